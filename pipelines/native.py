"""Native shape: events as recorded at their source, with Sigma taxonomy field names.

Used by ``t1114 scan --target native`` and by fixture tests on ``native`` events. The main
job here is to keep each rule on its own log source, since a scanned file may mix sources,
and to name the values a source leaves unnamed (the MSExchange Management log's EventData);
the tuning lists are written into the rules as on every platform (see tuning.py). Where a source's own records do not use Sigma's names (macOS Endpoint Security messages),
its fields are mapped as on any other platform.
"""

from __future__ import annotations

from sigma.processing.pipeline import ProcessingPipeline

from sigma.pipelines.t1114.base import LogSource, SourceMapping, field_mapping_items, source_condition_item
from sigma.pipelines.t1114.sources import SOURCES
from sigma.pipelines.t1114.tuning import tuning_item, tuning_vars

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


# --- Linux (AN1310) / macOS (AN1311) ---

# Endpoint Security messages as eslogger writes them (and Jamf Protect telemetry v2 forwards
# them, adding host): es_event_type_t numbers, the event under event.<type>.
ES_NOTIFY_EXEC, ES_NOTIFY_CREATE, ES_NOTIFY_RENAME, ES_NOTIFY_WRITE = 9, 13, 25, 33

NATIVE_SOURCES.update(
    {
        # One event per audit event, grouped from the raw records by t1114.auditd; the
        # reader gives every such event msg=audit(<time>:<serial>).
        "linux_auditd": SourceMapping(
            LogSource("linux", service="auditd"),
            conditions={"msg|startswith": "audit("},
        ),
        "linux_process_creation": SourceMapping(
            LogSource("linux", "process_creation"),
            conditions={"Channel": "Linux-Sysmon/Operational", "EventID": 1},
        ),
        "linux_file_event": SourceMapping(
            LogSource("linux", "file_event"),
            conditions={"Channel": "Linux-Sysmon/Operational", "EventID": 11},
        ),
        "macos_process_creation": SourceMapping(
            LogSource("macos", "process_creation"),
            conditions={"event_type": ES_NOTIFY_EXEC},
            fields={
                "Image": "event.exec.target.executable.path",
                # The argument vector: each CommandLine condition matches within one argument.
                "CommandLine": "event.exec.args",
                "CurrentDirectory": "event.exec.cwd.path",
                # For an exec, the message's process is the image being replaced: the forked
                # copy of the parent.
                "ParentImage": "process.executable.path",
                "ProcessId": "event.exec.target.audit_token.pid",
                "Computer": "host.hostname",
            },
        ),
        # Writes only: a file created (when it existed), renamed over, or written to. A new
        # file's create message splits its path into directory and name; its write
        # messages carry the whole path.
        "macos_file_event": SourceMapping(
            LogSource("macos", "file_event"),
            conditions={"event_type": [ES_NOTIFY_CREATE, ES_NOTIFY_RENAME, ES_NOTIFY_WRITE]},
            fields={
                "TargetFilename": [
                    "event.write.target.path",
                    "event.create.destination.existing_file.path",
                    "event.rename.destination.existing_file.path",
                ],
                "Image": "process.executable.path",
                "ProcessId": "process.audit_token.pid",
                "Computer": "host.hostname",
            },
        ),
    }
)


def native_pipeline(tuning: dict | None = None) -> ProcessingPipeline:
    """``tuning``: the tuning lists to use instead of the defaults (see tuning.py)."""
    items = [tuning_item()]
    for key in SOURCES:
        items += field_mapping_items(NATIVE_SOURCES[key])
        items += source_condition_item(NATIVE_SOURCES[key])
    return ProcessingPipeline(
        name=(
            "T1114 pack: native event shapes (Sysmon/Windows XML names, O365 Management API, Microsoft Graph, "
            "Google Reports API, auditd, Endpoint Security)"
        ),
        priority=20,
        items=items,
        vars=tuning_vars(tuning),
        allowed_backends=frozenset({"sqlite"}),
    )


def t1114_native_pipeline() -> ProcessingPipeline:
    return native_pipeline()
