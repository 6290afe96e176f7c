"""Elastic: ECS and integration field names, each log source pinned to its data streams."""

from __future__ import annotations

from dataclasses import dataclass

from sigma.processing.pipeline import ProcessingPipeline

from sigma.pipelines.t1114.base import LogSource, SourceMapping, field_mapping_items, source_condition_item
from sigma.pipelines.t1114.sources import SOURCES


@dataclass(frozen=True)
class ElasticSource(SourceMapping):
    datasets: tuple[str, ...] = ()
    integrations: tuple[str, ...] = ()

    @property
    def index_patterns(self) -> list[str]:
        return [f"logs-{d}-*" for d in self.datasets]


_PROCESS_FIELDS = {
    "CommandLine": "process.command_line",
    "Image": "process.executable",
    "OriginalFileName": "process.pe.original_file_name",
    "ParentImage": "process.parent.executable",
    "ParentCommandLine": "process.parent.command_line",
    "ProcessId": "process.pid",
    "User": "user.name",
    "Computer": "host.name",
    "EventID": "event.code",
}

ELASTIC_SOURCES: dict[str, ElasticSource] = {
    "windows_process_creation": ElasticSource(
        LogSource("windows", "process_creation"),
        datasets=("windows.sysmon_operational", "system.security"),
        integrations=("windows", "system"),
        conditions={
            "data_stream.dataset": ["windows.sysmon_operational", "system.security"],
            "event.code": ["1", "4688"],
        },
        fields=_PROCESS_FIELDS,
    ),
    "m365_exchange": ElasticSource(
        LogSource("m365", service="exchange"),
        datasets=("o365.audit",),
        integrations=("o365",),
        conditions={"data_stream.dataset": "o365.audit", "event.provider": "Exchange"},
        fields={
            "Operation": "event.action",
            "Workload": "event.provider",
            "UserId": "user.id",
            "ClientIP": "o365.audit.ClientIP",
            "ResultStatus": "o365.audit.ResultStatus",
            "ObjectId": "o365.audit.ObjectId",
            "ClientInfoString": "o365.audit.ClientInfoString",
            "AppId": "o365.audit.AppId",
            "MailboxOwnerUPN": "o365.audit.MailboxOwnerUPN",
        },
        prefixes={
            "Parameters.": "o365.audit.Parameters.",
            "OperationProperties.": "o365.audit.OperationProperties.",
        },
    ),
}


def t1114_elastic_pipeline() -> ProcessingPipeline:
    items = []
    for key in SOURCES:
        source = ELASTIC_SOURCES[key]
        items += field_mapping_items(source)
        items += source_condition_item(source)
    return ProcessingPipeline(
        name="T1114 pack: Elastic ECS and integration fields, pinned to data streams",
        priority=20,
        items=items,
        allowed_backends=frozenset({"elasticsearch", "eql", "esql", "lucene", "sqlite"}),
    )
