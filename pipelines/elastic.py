"""Elastic: ECS and integration field names, each log source pinned to its data streams."""

from __future__ import annotations

from dataclasses import dataclass

from sigma.processing.conditions import IncludeFieldCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import ConvertTypeTransformation, RuleFailureTransformation, SetStateTransformation

from sigma.pipelines.t1114.base import LogSource, SourceMapping, field_mapping_items, source_condition_item
from sigma.pipelines.t1114.sources import SOURCES
from sigma.pipelines.t1114.transformations import RegistryDwordTransformation
from sigma.pipelines.t1114.tuning import tuning_item, tuning_vars


@dataclass(frozen=True)
class ElasticSource(SourceMapping):
    datasets: tuple[str, ...] = ()
    integrations: tuple[str, ...] = ()
    # Why no Elastic integration in this pack carries the source; its rules ship no Elastic query.
    unavailable: str = ""

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

_SYSMON = "Microsoft-Windows-Sysmon/Operational"


def _windows_channel(dataset: str, channel: str, code: str) -> list[dict]:
    """The event in its own integration's data stream, or forwarded (WEF) with its channel."""
    return [
        {"data_stream.dataset": dataset, "event.code": code},
        {"data_stream.dataset": "windows.forwarded", "winlog.channel": channel, "event.code": code},
    ]


# --- Microsoft 365 / Entra ID / Google Workspace (AN1312) ---
# The o365 integration keeps every audit record field under o365.audit. and copies a few into ECS.
_O365_FIELDS = {
    "Operation": "event.action",
    "Workload": "event.provider",
    "UserId": "user.id",
    "AppId": "o365.audit.AppId",
    "ClientAppId": "o365.audit.ClientAppId",
    "ClientIP": "o365.audit.ClientIP",
    "ClientInfoString": "o365.audit.ClientInfoString",
    "ExternalAccess": "o365.audit.ExternalAccess",
    "LogonType": "o365.audit.LogonType",
    "MailboxOwnerUPN": "o365.audit.MailboxOwnerUPN",
    "Name": "o365.audit.Name",
    "ObjectId": "o365.audit.ObjectId",
    "OperationCount": "o365.audit.OperationCount",
    "OrganizationName": "o365.audit.OrganizationName",
    "RecordType": "o365.audit.RecordType",
    "ResultStatus": "o365.audit.ResultStatus",
    "UserType": "o365.audit.UserType",
}
# Name/Value lists become objects keyed by name (the Parameters.<Name> the rules use).
_O365_PREFIXES = {
    "Parameters.": "o365.audit.Parameters.",
    "OperationProperties.": "o365.audit.OperationProperties.",
    "Item.": "o365.audit.Item.",
}
# Audit record numbers the o365 integration keeps as keywords.
_O365_KEYWORD_NUMBERS = ("o365.audit.LogonType", "o365.audit.RecordType", "o365.audit.UserType")
_GWS_ACTIVITY_FIELDS = {
    "actor.callerType": "google_workspace.actor.type",
    "actor.email": "google_workspace.actor.email",
    "events.name": "event.action",
    "events.type": "google_workspace.event.type",
    "id.applicationName": "google_workspace.id.application_name",
    "ipAddress": "source.ip",
}


def _gws_source(stream: str, parameters: dict | None = None, prefixes: dict | None = None) -> ElasticSource:
    """A data stream of the google_workspace integration; Reports API streams share the
    activity fields, each adds its parameters."""
    fields = {**_GWS_ACTIVITY_FIELDS, **parameters} if parameters is not None else {}
    return ElasticSource(
        LogSource("google_workspace", service=stream),
        datasets=(f"google_workspace.{stream}",),
        integrations=("google_workspace",),
        conditions={"data_stream.dataset": f"google_workspace.{stream}"},
        fields=fields,
        prefixes=prefixes or {},
    )


# --- end Microsoft 365 / Entra ID / Google Workspace ---

ELASTIC_SOURCES: dict[str, ElasticSource] = {
    "windows_process_creation": ElasticSource(
        LogSource("windows", "process_creation"),
        datasets=("windows.sysmon_operational", "system.security", "windows.forwarded", "endpoint.events.process"),
        integrations=("windows", "system", "endpoint"),
        conditions=[
            {"data_stream.dataset": "windows.sysmon_operational", "event.code": "1"},
            {"data_stream.dataset": "system.security", "event.code": "4688"},
            {"data_stream.dataset": "windows.forwarded", "winlog.channel": _SYSMON, "event.code": "1"},
            {"data_stream.dataset": "windows.forwarded", "winlog.channel": "Security", "event.code": "4688"},
            {"data_stream.dataset": "endpoint.events.process", "event.type": "start"},
        ],
        fields=_PROCESS_FIELDS,
    ),
    # --- Microsoft 365 / Entra ID / Google Workspace (AN1312) ---
    "m365_exchange": ElasticSource(
        LogSource("m365", service="exchange"),
        datasets=("o365.audit",),
        integrations=("o365",),
        conditions={"data_stream.dataset": "o365.audit", "event.provider": "Exchange"},
        fields=_O365_FIELDS,
        prefixes=_O365_PREFIXES,
    ),
    "m365_audit": ElasticSource(
        LogSource("m365", service="audit"),
        datasets=("o365.audit",),
        integrations=("o365",),
        conditions={"data_stream.dataset": "o365.audit"},
        fields=_O365_FIELDS,
        prefixes=_O365_PREFIXES,
    ),
    "m365_message_trace": ElasticSource(
        LogSource("m365", service="message_trace"),
        unavailable=(
            "no Elastic integration of this pack's reference schemas records Exchange message tracking; "
            "the Exchange Online message trace integration's summary records carry no forwarding marker"
        ),
    ),
    "azure_signinlogs": ElasticSource(
        LogSource("azure", service="signinlogs"),
        datasets=("azure.signinlogs",),
        integrations=("azure",),
        conditions={"data_stream.dataset": "azure.signinlogs"},
        fields={
            "appDisplayName": "azure.signinlogs.properties.app_display_name",
            "appId": "azure.signinlogs.properties.app_id",
            "clientAppUsed": "azure.signinlogs.properties.client_app_used",
            "conditionalAccessStatus": "azure.signinlogs.properties.conditional_access_status",
            "ipAddress": "source.ip",
            "isInteractive": "azure.signinlogs.properties.is_interactive",
            # The integration geolocates the client address; Graph reports Entra's own lookup.
            "location.city": "source.geo.city_name",
            "location.countryOrRegion": "source.geo.country_iso_code",
            "resourceDisplayName": "azure.signinlogs.properties.resource_display_name",
            "riskDetail": "azure.signinlogs.properties.risk_detail",
            "riskEventTypes_v2": "azure.signinlogs.properties.risk_event_types_v2",
            "riskLevelAggregated": "azure.signinlogs.properties.risk_level_aggregated",
            "riskLevelDuringSignIn": "azure.signinlogs.properties.risk_level_during_signin",
            "riskState": "azure.signinlogs.properties.risk_state",
            "status.errorCode": "azure.signinlogs.properties.status.error_code",
            "userId": "azure.signinlogs.properties.user_id",
            "userPrincipalName": "azure.signinlogs.properties.user_principal_name",
        },
    ),
    # The azure integration's auditlogs data stream has no field definitions in the pack's
    # reference data, so its fields cannot be checked. The same Entra audit records reach
    # Elastic through the o365 integration (Audit.AzureActiveDirectory content), whose fields
    # are known: Operation is Graph's activity name with a trailing period, and the modified
    # properties are keyed by name (dots become underscores).
    "azure_auditlogs": ElasticSource(
        LogSource("azure", service="auditlogs"),
        datasets=("o365.audit",),
        integrations=("o365",),
        conditions={"data_stream.dataset": "o365.audit", "event.provider": "AzureActiveDirectory"},
        fields={
            "activityDisplayName": "event.action",
            "initiatedBy.user.userPrincipalName": "user.id",
            "result": "o365.audit.ResultStatus",
            "targetResources.modifiedProperties.newValue": [
                "o365.audit.ModifiedProperties.ConsentAction_Permissions.NewValue",
                "o365.audit.ModifiedProperties.DelegatedPermissionGrant_Scope.NewValue",
                "o365.audit.ModifiedProperties.AppRole_Value.NewValue",
            ],
        },
    ),
    "google_workspace_admin": _gws_source(
        "admin",
        {
            "events.parameters.NEW_VALUE": "google_workspace.admin.new_value",
            "events.parameters.OLD_VALUE": "google_workspace.admin.old_value",
            "events.parameters.ORG_UNIT_NAME": "google_workspace.admin.org_unit.name",
            "events.parameters.SETTING_NAME": "google_workspace.admin.setting.name",
            "events.parameters.USER_EMAIL": "google_workspace.admin.user.email",
        },
    ),
    "google_workspace_user_accounts": _gws_source(
        "user_accounts",
        {
            "events.parameters.email_forwarding_destination_address": (
                "google_workspace.user_accounts.email_forwarding_destination_address"
            ),
        },
    ),
    "google_workspace_gmail": _gws_source(
        "gmail",
        prefixes={
            "event_info.": "google_workspace.gmail.event_info.",
            "message_info.": "google_workspace.gmail.message_info.",
        },
    ),
    # --- end Microsoft 365 / Entra ID / Google Workspace ---
    # --- Windows / Exchange Server (AN1309) ---
    "windows_file_event": ElasticSource(
        LogSource("windows", "file_event"),
        datasets=("windows.sysmon_operational", "windows.forwarded", "endpoint.events.file"),
        integrations=("windows", "endpoint"),
        conditions=_windows_channel("windows.sysmon_operational", _SYSMON, "11")
        # Elastic Defend reports a copy's destination as a creation, an overwrite or a rename.
        + [{"data_stream.dataset": "endpoint.events.file", "event.action": ["creation", "overwrite", "rename"]}],
        fields={
            "TargetFilename": "file.path",
            "Image": "process.executable",
            "ProcessId": "process.pid",
            "User": "user.name",
            "Computer": "host.name",
        },
    ),
    "windows_network_connection": ElasticSource(
        LogSource("windows", "network_connection"),
        datasets=("windows.sysmon_operational", "windows.forwarded"),
        integrations=("windows",),
        conditions=_windows_channel("windows.sysmon_operational", _SYSMON, "3"),
        fields={
            "DestinationPort": "destination.port",
            "DestinationIp": "destination.ip",
            "DestinationHostname": "destination.domain",
            "SourceIp": "source.ip",
            "SourcePort": "source.port",
            "Protocol": "network.transport",
            "Image": "process.executable",
            "ProcessId": "process.pid",
            "User": "user.name",
            "Computer": "host.name",
        },
    ),
    "windows_registry_set": ElasticSource(
        LogSource("windows", "registry_set"),
        datasets=("windows.sysmon_operational", "windows.forwarded"),
        integrations=("windows",),
        conditions=_windows_channel("windows.sysmon_operational", _SYSMON, "13"),
        fields={
            "TargetObject": "registry.path",
            "Details": "registry.data.strings",
            "Image": "process.executable",
            "ProcessId": "process.pid",
            "User": "user.name",
            "Computer": "host.name",
        },
    ),
    "windows_security": ElasticSource(
        LogSource("windows", service="security"),
        datasets=("system.security", "windows.forwarded"),
        integrations=("system", "windows"),
        conditions=[
            {"data_stream.dataset": "system.security"},
            {"data_stream.dataset": "windows.forwarded", "winlog.channel": "Security"},
        ],
        fields={
            "EventID": "event.code",
            "ObjectName": "winlog.event_data.ObjectName",
            "ObjectType": "winlog.event_data.ObjectType",
            "ObjectServer": "winlog.event_data.ObjectServer",
            "AccessMask": "winlog.event_data.AccessMask",
            "AccessList": "winlog.event_data.AccessList",
            "ShareName": "winlog.event_data.ShareName",
            "RelativeTargetName": "winlog.event_data.RelativeTargetName",
            "WorkstationName": "winlog.event_data.WorkstationName",
            "IpAddress": "source.ip",
            "ProcessName": "process.executable",
            "SubjectUserName": "user.name",
            "SubjectDomainName": "user.domain",
            "Computer": "host.name",
        },
    ),
    "windows_ps_script": ElasticSource(
        LogSource("windows", "ps_script"),
        datasets=("windows.powershell_operational", "windows.forwarded"),
        integrations=("windows",),
        conditions=_windows_channel("windows.powershell_operational", "Microsoft-Windows-PowerShell/Operational", "4104"),
        fields={
            "ScriptBlockText": "powershell.file.script_block_text",
            "ScriptBlockId": "powershell.file.script_block_id",
            "MessageNumber": "powershell.sequence",
            "MessageTotal": "powershell.total",
            "Path": "file.path",
            "Computer": "host.name",
        },
    ),
    "windows_msexchange_management": ElasticSource(
        LogSource("windows", service="msexchange-management"),
        # Collected as forwarded events (or a custom winlog input) of the Windows
        # integration; Winlogbeat names the log's unnamed EventData values param1...
        datasets=("windows.forwarded",),
        integrations=("windows",),
        conditions={"data_stream.dataset": "windows.forwarded", "winlog.channel": "MSExchange Management"},
        fields={
            "CmdletName": "winlog.event_data.param1",
            "CmdletParameters": "winlog.event_data.param2",
            "Caller": "winlog.event_data.param3",
            "EventID": "event.code",
            "Computer": "host.name",
        },
    ),
    # --- end Windows / Exchange Server ---
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


def index_item(source: ElasticSource) -> ProcessingItem:
    """The source's index patterns as the pipeline state ``index``, which the ES|QL backend
    reads for its ``FROM`` (instead of ``FROM *``)."""
    return ProcessingItem(
        identifier=source.item_id("index"),
        transformation=SetStateTransformation("index", source.index_patterns),
        rule_conditions=[source.logsource.condition()],
    )


def elastic_pipeline(tuning: dict | None = None) -> ProcessingPipeline:
    """``tuning``: the tuning lists to use instead of the defaults (see tuning.py)."""
    items = [
        tuning_item(),
        ProcessingItem(
            identifier="t1114_windows_registry_set_dword_values",
            transformation=RegistryDwordTransformation("Details"),
            rule_conditions=[ELASTIC_SOURCES["windows_registry_set"].logsource.condition()],
        ),
    ]
    for key in SOURCES:
        source = ELASTIC_SOURCES[key]
        if source.unavailable:
            items.append(
                ProcessingItem(
                    identifier=source.item_id("unavailable"),
                    transformation=RuleFailureTransformation(f"log source {source.logsource.key}: {source.unavailable}"),
                    rule_conditions=[source.logsource.condition()],
                )
            )
            continue
        items += field_mapping_items(source)
        items += source_condition_item(source)
        items.append(index_item(source))
    # ECS keeps event.code as a keyword, and the o365 integration these audit record numbers:
    # rules' numbers become strings there.
    items.append(
        ProcessingItem(
            identifier="t1114_event_code_as_keyword",
            transformation=ConvertTypeTransformation("str"),
            field_name_conditions=[IncludeFieldCondition(["event.code", *_O365_KEYWORD_NUMBERS])],
        )
    )
    return ProcessingPipeline(
        name="T1114 pack: Elastic ECS and integration fields, pinned to data streams",
        priority=20,
        items=items,
        vars=tuning_vars(tuning),
        allowed_backends=frozenset({"elasticsearch", "eql", "esql", "lucene", "sqlite"}),
    )


def t1114_elastic_pipeline() -> ProcessingPipeline:
    return elastic_pipeline()
