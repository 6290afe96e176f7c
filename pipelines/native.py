"""Native shape: events as recorded at their source, with Sigma taxonomy field names.

Used by ``t1114 scan --target native`` and by fixture tests on ``native`` events. The only
job here is to keep each rule on its own log source, since a scanned file may mix sources,
and to name the values a source leaves unnamed (the MSExchange Management log's EventData).
"""

from __future__ import annotations

from sigma.processing.pipeline import ProcessingPipeline

from sigma.pipelines.t1114.base import LogSource, SourceMapping, field_mapping_items, source_condition_item
from sigma.pipelines.t1114.sources import SOURCES

_SYSMON = "Microsoft-Windows-Sysmon/Operational"

NATIVE_SOURCES: dict[str, SourceMapping] = {
    "windows_process_creation": SourceMapping(
        LogSource("windows", "process_creation"),
        # Sysmon 1 and Security 4688 carry the same CommandLine field name.
        conditions={
            "Channel": ["Microsoft-Windows-Sysmon/Operational", "Security"],
            "EventID": [1, 4688],
        },
        # Security 4688 names the image and its parent differently.
        fields={"Image": ["Image", "NewProcessName"], "ParentImage": ["ParentImage", "ParentProcessName"]},
    ),
    "m365_exchange": SourceMapping(
        LogSource("m365", service="exchange"),
        conditions={"Workload": "Exchange"},
    ),
    # --- Windows / Exchange Server (AN1309) ---
    "windows_file_event": SourceMapping(
        LogSource("windows", "file_event"), conditions={"Channel": _SYSMON, "EventID": 11}
    ),
    "windows_network_connection": SourceMapping(
        LogSource("windows", "network_connection"), conditions={"Channel": _SYSMON, "EventID": 3}
    ),
    "windows_registry_set": SourceMapping(
        LogSource("windows", "registry_set"), conditions={"Channel": _SYSMON, "EventID": 13}
    ),
    "windows_security": SourceMapping(LogSource("windows", service="security"), conditions={"Channel": "Security"}),
    "windows_ps_script": SourceMapping(
        LogSource("windows", "ps_script"),
        conditions={"Channel": "Microsoft-Windows-PowerShell/Operational", "EventID": 4104},
    ),
    "windows_msexchange_management": SourceMapping(
        LogSource("windows", service="msexchange-management"),
        conditions={"Channel": "MSExchange Management"},
        # The log's EventData values are unnamed; the reader numbers them param1.. as
        # Winlogbeat does (t1114.events).
        fields={"CmdletName": "param1", "CmdletParameters": "param2", "Caller": "param3"},
    ),
    # --- end Windows / Exchange Server ---
}


def t1114_native_pipeline() -> ProcessingPipeline:
    items = []
    for key in SOURCES:
        items += field_mapping_items(NATIVE_SOURCES[key])
        items += source_condition_item(NATIVE_SOURCES[key])
    return ProcessingPipeline(
        name="T1114 pack: native event shapes (Sysmon/Windows XML names, O365 Management API)",
        priority=20,
        items=items,
        allowed_backends=frozenset({"sqlite"}),
    )
