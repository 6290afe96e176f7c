"""Native shape: events as recorded at their source, with Sigma taxonomy field names.

Used by ``t1114 scan --target native`` and by fixture tests on ``native`` events. The main
job here is to keep each rule on its own log source, since a scanned file may mix sources,
and to name the values a source leaves unnamed (the MSExchange Management log's EventData);
the tuning lists are written into the rules as on every platform (see tuning.py). Where a
source's own records do not use Sigma's names (macOS Endpoint Security messages),
its fields are mapped as on any other platform.
"""

from __future__ import annotations

from typing import Any

from sigma.processing.pipeline import ProcessingPipeline

from sigma.pipelines.t1114.base import (
    SourceMapping,
    any_of,
    bind,
    derived_field_items,
    field_mapping_items,
    rendered_into_items,
    source_condition_item,
)
from sigma.pipelines.t1114.sources import SOURCES
from sigma.pipelines.t1114.tuning import tuning_item, tuning_vars

# Endpoint Security messages as eslogger writes them (and Jamf Protect telemetry v2 forwards
# them, adding host): es_event_type_t numbers, the event under event.<type>.
ES_NOTIFY_EXEC, ES_NOTIFY_CREATE, ES_NOTIFY_RENAME, ES_NOTIFY_WRITE = 9, 13, 25, 33


# A flat Sigma-taxonomy record: neither an event log record (Channel) nor an Endpoint Security
# message (event_type).
_FLAT_TAXONOMY = {"Channel|exists": False, "event_type|exists": False}


def _event_log(key: str, **mapping: Any) -> SourceMapping:
    """The source's events as its event logs record them (sources.SOURCES): each channel with
    its event IDs."""
    conditions = [
        {"Channel": log.channel, **({"EventID": any_of(log.event_ids)} if log.event_ids else {})}
        for log in SOURCES[key].event_logs
    ]
    return SourceMapping(conditions=any_of(conditions), **mapping)


NATIVE_SOURCES: dict[str, SourceMapping] = bind(
    SOURCES,
    {
        "windows_process_creation": _event_log(
            "windows_process_creation",
            # Security 4688 names the image and its parent differently.
            fields={
                "Image": ["Image", "NewProcessName"],
                "ParentImage": ["ParentImage", "ParentProcessName"],
            },
        ),
        "windows_file_event": _event_log("windows_file_event"),
        "windows_network_connection": _event_log("windows_network_connection"),
        "windows_registry_set": _event_log("windows_registry_set"),
        "windows_security": _event_log("windows_security"),
        "windows_ps_script": _event_log("windows_ps_script"),
        "windows_msexchange_management": _event_log(
            "windows_msexchange_management",
            # The log's EventData values are unnamed; the reader numbers them param1.. as
            # Winlogbeat does (t1114.events).
            fields={"CmdletName": "param1", "CmdletParameters": "param2", "Caller": "param3"},
            # Forwarders that flatten EventData keep only the rendered text (as Splunk's
            # classic WinEventLog does): the same values, as substrings of Message.
            rendered_into={"Message": ("CmdletName", "CmdletParameters", "Caller")},
        ),
        "m365_exchange": SourceMapping(conditions={"Workload": "Exchange"}),
        # Every Management Activity API record names its workload; nothing else here does.
        "m365_audit": SourceMapping(conditions={"Workload|exists": True}),
        "m365_message_trace": SourceMapping(
            conditions={"event_id|exists": True, "recipient_address|exists": True}
        ),
        # Microsoft Graph signIn and directoryAudit resources.
        "azure_signinlogs": SourceMapping(
            conditions={"createdDateTime|exists": True, "userPrincipalName|exists": True}
        ),
        "azure_auditlogs": SourceMapping(
            conditions={"activityDisplayName|exists": True, "loggedByService|exists": True}
        ),
        # Rows of the Log Analytics table MicrosoftGraphActivityLogs.
        "azure_graphactivitylogs": SourceMapping(
            conditions={"RequestUri|exists": True, "RequestMethod|exists": True}
        ),
        # Admin SDK Reports API activities carry their application in id.applicationName.
        "google_workspace_admin": SourceMapping(conditions={"id.applicationName": "admin"}),
        "google_workspace_user_accounts": SourceMapping(
            conditions={"id.applicationName": "user_accounts"}
        ),
        "google_workspace_gmail": SourceMapping(
            conditions={"event_info.mail_event_type|exists": True}
        ),
        # One event per audit event, grouped from the raw records by t1114.auditd; the reader
        # gives every such event msg=audit(<time>:<serial>).
        "linux_auditd": SourceMapping(conditions={"msg|startswith": "audit("}),
        "linux_process_creation": _event_log("linux_process_creation"),
        "linux_file_event": _event_log("linux_file_event"),
        # Endpoint Security exec messages, or the same events as flat Sigma-taxonomy records
        # (Image, CommandLine...: as many agents and converters write them), which carry no
        # event log channel and no ES event type.
        "macos_process_creation": SourceMapping(
            conditions=[
                {"event_type": ES_NOTIFY_EXEC},
                {"CommandLine|exists": True, **_FLAT_TAXONOMY},
            ],
            fields={
                "Image": ["event.exec.target.executable.path", "Image"],
                # The argument vector: each CommandLine condition matches within one argument.
                "CommandLine": ["event.exec.args", "CommandLine"],
                "CurrentDirectory": ["event.exec.cwd.path", "CurrentDirectory"],
                # For an exec, the message's process is the image being replaced: the forked
                # copy of the parent.
                "ParentImage": ["process.executable.path", "ParentImage"],
                "ProcessId": ["event.exec.target.audit_token.pid", "ProcessId"],
                # One field: a correlation groups by one name per platform; the reader gives a
                # flat record's Computer this name as well (t1114.events).
                "Computer": "host.hostname",
            },
        ),
        # A file created, renamed or written to. A message naming a new file splits its path
        # into directory and name; the reader joins them under new_path.path (t1114.events).
        "macos_file_event": SourceMapping(
            conditions=[
                {"event_type": [ES_NOTIFY_CREATE, ES_NOTIFY_RENAME, ES_NOTIFY_WRITE]},
                {"TargetFilename|exists": True, **_FLAT_TAXONOMY},
            ],
            fields={
                "TargetFilename": [
                    "event.write.target.path",
                    "event.create.destination.existing_file.path",
                    "event.rename.destination.existing_file.path",
                    "event.create.destination.new_path.path",
                    "event.rename.destination.new_path.path",
                    "TargetFilename",
                ],
                "Image": ["process.executable.path", "Image"],
                "ProcessId": ["process.audit_token.pid", "ProcessId"],
                # One field: a correlation groups by one name per platform; the reader gives a
                # flat record's Computer this name as well (t1114.events).
                "Computer": "host.hostname",
            },
        ),
    },
)


def native_pipeline(tuning: dict | None = None) -> ProcessingPipeline:
    """``tuning``: the tuning lists to use instead of the defaults (see tuning.py)."""
    items = [tuning_item()]
    for source in NATIVE_SOURCES.values():
        items += rendered_into_items(source, keep_field=True)
        items += field_mapping_items(source)
        items += derived_field_items(source)
        items += source_condition_item(source)
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
