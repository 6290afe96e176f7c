"""Native shape: events as recorded at their source, with Sigma taxonomy field names.

Used by ``t1114 scan --target native`` and by fixture tests on ``native`` events. The only
job here is to keep each rule on its own log source, since a scanned file may mix sources.
"""

from __future__ import annotations

from sigma.processing.pipeline import ProcessingPipeline

from sigma.pipelines.t1114.base import LogSource, SourceMapping, source_condition_item
from sigma.pipelines.t1114.sources import SOURCES

NATIVE_SOURCES: dict[str, SourceMapping] = {
    "windows_process_creation": SourceMapping(
        LogSource("windows", "process_creation"),
        # Sysmon 1 and Security 4688 carry the same CommandLine field name.
        conditions={
            "Channel": ["Microsoft-Windows-Sysmon/Operational", "Security"],
            "EventID": [1, 4688],
        },
    ),
    "m365_exchange": SourceMapping(
        LogSource("m365", service="exchange"),
        conditions={"Workload": "Exchange"},
    ),
}


def t1114_native_pipeline() -> ProcessingPipeline:
    items = []
    for key in SOURCES:
        items += source_condition_item(NATIVE_SOURCES[key])
    return ProcessingPipeline(
        name="T1114 pack: native event shapes (Sysmon/Windows XML names, O365 Management API)",
        priority=20,
        items=items,
        allowed_backends=frozenset({"sqlite"}),
    )
