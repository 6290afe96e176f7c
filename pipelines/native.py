"""Native shape: events as recorded at their source, with Sigma taxonomy field names.

Used by ``t1114 scan --target native`` and by fixture tests on ``native`` events. The main
job here is to keep each rule on its own log source, since a scanned file may mix sources.
"""

from __future__ import annotations

from sigma.processing.pipeline import ProcessingPipeline

from sigma.pipelines.t1114.base import LogSource, SourceMapping, source_condition_item
from sigma.pipelines.t1114.sources import SOURCES
from sigma.pipelines.t1114.tuning import tuning_item, tuning_vars

NATIVE_SOURCES: dict[str, SourceMapping] = {
    "windows_process_creation": SourceMapping(
        LogSource("windows", "process_creation"),
        # Sysmon 1 and Security 4688 carry the same CommandLine field name.
        conditions={
            "Channel": ["Microsoft-Windows-Sysmon/Operational", "Security"],
            "EventID": [1, 4688],
        },
    ),
    # --- Microsoft 365 / Entra ID / Google Workspace (AN1312) ---
    "m365_exchange": SourceMapping(
        LogSource("m365", service="exchange"),
        conditions={"Workload": "Exchange"},
    ),
    # Every Management Activity API record names its workload; nothing else here does.
    "m365_audit": SourceMapping(LogSource("m365", service="audit"), conditions={"Workload|exists": True}),
    "m365_message_trace": SourceMapping(
        LogSource("m365", service="message_trace"),
        conditions={"event_id|exists": True, "recipient_address|exists": True},
    ),
    # Microsoft Graph signIn and directoryAudit resources.
    "azure_signinlogs": SourceMapping(
        LogSource("azure", service="signinlogs"),
        conditions={"createdDateTime|exists": True, "userPrincipalName|exists": True},
    ),
    "azure_auditlogs": SourceMapping(
        LogSource("azure", service="auditlogs"),
        conditions={"activityDisplayName|exists": True, "loggedByService|exists": True},
    ),
    # Admin SDK Reports API activities carry their application in id.applicationName.
    "google_workspace_admin": SourceMapping(
        LogSource("google_workspace", service="admin"), conditions={"id.applicationName": "admin"}
    ),
    "google_workspace_user_accounts": SourceMapping(
        LogSource("google_workspace", service="user_accounts"), conditions={"id.applicationName": "user_accounts"}
    ),
    "google_workspace_gmail": SourceMapping(
        LogSource("google_workspace", service="gmail"), conditions={"event_info.mail_event_type|exists": True}
    ),
    # --- end Microsoft 365 / Entra ID / Google Workspace ---
}


def native_pipeline(tuning: dict | None = None) -> ProcessingPipeline:
    """``tuning``: the tuning lists to use instead of the defaults (see tuning.py)."""
    items = [tuning_item()]
    for key in SOURCES:
        items += source_condition_item(NATIVE_SOURCES[key])
    return ProcessingPipeline(
        name="T1114 pack: native event shapes (Sysmon/Windows XML names, O365 Management API, Graph, Google Reports API)",
        priority=20,
        items=items,
        vars=tuning_vars(tuning),
        allowed_backends=frozenset({"sqlite"}),
    )


def t1114_native_pipeline() -> ProcessingPipeline:
    return native_pipeline()
