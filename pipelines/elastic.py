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


# --- Linux (AN1310) / macOS (AN1311) ---

# Elastic Defend process events on Linux and macOS: exec events only (fork events repeat
# the parent's command line).
_DEFEND_PROCESS_FIELDS = {
    "Image": "process.executable",
    "CommandLine": "process.command_line",
    "CurrentDirectory": "process.working_directory",
    "ParentImage": "process.parent.executable",
    "ParentCommandLine": "process.parent.command_line",
    "ProcessId": "process.pid",
    "ParentProcessId": "process.parent.pid",
    "User": "user.name",
    "Computer": "host.name",
}
_DEFEND_FILE_FIELDS = {
    "TargetFilename": "file.path",
    "Image": "process.executable",
    "ProcessId": "process.pid",
    "User": "user.name",
    "Computer": "host.name",
}


def _defend_source(logsource: LogSource, dataset: str, conditions: dict, fields: dict) -> ElasticSource:
    return ElasticSource(
        logsource,
        datasets=(dataset,),
        integrations=("endpoint",),
        conditions={"data_stream.dataset": dataset, "host.os.type": logsource.product, **conditions},
        fields=fields,
    )


ELASTIC_SOURCES.update(
    {
        # auditd_manager keeps one document per audit event. Auditbeat's names: the rule key
        # is in tags, the EXECVE arguments are process.args (their positions are lost: a0..a3
        # each match any argument), PATH items are auditd.paths.*, and message_type is the
        # event's first record type in lower case ("syscall").
        "linux_auditd": ElasticSource(
            LogSource("linux", service="auditd"),
            datasets=("auditd_manager.auditd",),
            integrations=("auditd_manager",),
            conditions={"data_stream.dataset": "auditd_manager.auditd"},
            fields={
                "type": "auditd.message_type",
                "key": "tags",
                "exe": "process.executable",
                "comm": "process.name",
                "syscall": "auditd.data.syscall",
                "SYSCALL": "auditd.data.syscall",
                "pid": "process.pid",
                "ppid": "process.parent.pid",
                "auid": "user.audit.id",
                "AUID": "user.audit.name",
                "uid": "user.id",
                "UID": "user.name",
                "euid": "user.effective.id",
                "EUID": "user.effective.name",
                "gid": "user.group.id",
                "tty": "auditd.data.tty",
                "ses": "auditd.session",
                "exit": "auditd.data.exit",
                "name": "auditd.paths.name",
                "nametype": "auditd.paths.nametype",
                "cwd": "process.working_directory",
                "proctitle": "process.title",
                "argc": "auditd.data.argc",
                "a0": "process.args",
                "a1": "process.args",
                "a2": "process.args",
                "a3": "process.args",
            },
        ),
        "linux_process_creation": _defend_source(
            LogSource("linux", "process_creation"), "endpoint.events.process", {"event.action": "exec"}, _DEFEND_PROCESS_FIELDS
        ),
        "linux_file_event": _defend_source(
            LogSource("linux", "file_event"),
            "endpoint.events.file",
            {"event.action": ["creation", "rename"]},
            _DEFEND_FILE_FIELDS,
        ),
        "macos_process_creation": _defend_source(
            LogSource("macos", "process_creation"), "endpoint.events.process", {"event.action": "exec"}, _DEFEND_PROCESS_FIELDS
        ),
        "macos_file_event": _defend_source(
            LogSource("macos", "file_event"),
            "endpoint.events.file",
            {"event.action": ["creation", "modification", "rename"]},
            _DEFEND_FILE_FIELDS,
        ),
    }
)


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
