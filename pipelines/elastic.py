"""Elastic: ECS and integration field names, each log source pinned to its data streams."""

from __future__ import annotations

from dataclasses import dataclass

from sigma.processing.conditions import IncludeFieldCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    ConvertTypeTransformation,
    RuleFailureTransformation,
    SetStateTransformation,
)

from sigma.pipelines.t1114.base import (
    SourceMapping,
    bind,
    derived_field_items,
    field_mapping_items,
    rendered_into_items,
    source_condition_item,
)
from sigma.pipelines.t1114.sources import (
    MSEXCHANGE_MANAGEMENT_CHANNEL,
    POWERSHELL_CHANNEL,
    SECURITY_CHANNEL,
    SOURCES,
    SYSMON_CHANNEL,
)
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


# ECS names of the acting process and its host, shared by every endpoint source.
_ECS_ACTOR = {
    "Image": "process.executable",
    "ProcessId": "process.pid",
    "User": "user.name",
    "Computer": "host.name",
}
_ECS_PROCESS = {
    **_ECS_ACTOR,
    "CommandLine": "process.command_line",
    "ParentImage": "process.parent.executable",
    "ParentCommandLine": "process.parent.command_line",
}
_ECS_FILE = {"TargetFilename": "file.path", **_ECS_ACTOR}
# Windows events in the windows/system integrations: the host and the event ID.
_WINLOG = {"Computer": "host.name", "EventID": "event.code"}


def _windows_channel(dataset: str, channel: str, code: str) -> list[dict]:
    """The event in its own integration's data stream, or forwarded (WEF) with its channel."""
    return [
        {"data_stream.dataset": dataset, "event.code": code},
        {"data_stream.dataset": "windows.forwarded", "winlog.channel": channel, "event.code": code},
    ]


# The o365 integration keeps every audit record field under o365.audit. and copies a few into ECS.
_O365_FIELDS = {
    "Operation": "event.action",
    "Workload": "event.provider",
    "UserId": "user.id",
    # The integration moves the client address out of o365.audit (test-exchange-access-event).
    "ClientIP": "client.address",
    **{
        name: f"o365.audit.{name}"
        for name in (
            "AppId",
            "ClientAppId",
            "ClientInfoString",
            "ExternalAccess",
            "LogonType",
            "MailboxOwnerUPN",
            "Name",
            "ObjectId",
            "OperationCount",
            "OrganizationName",
            "RecordType",
            "ResultStatus",
            "UserType",
        )
    },
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
    # The actor's address is source.user.email, the application event.provider (test-login
    # vector, user_accounts sample event); google_workspace.actor holds only the type.
    "actor.email": "source.user.email",
    "events.name": "event.action",
    "events.type": "google_workspace.event.type",
    "id.applicationName": "event.provider",
    "ipAddress": "source.ip",
}


def _gws_source(
    stream: str, parameters: dict | None = None, prefixes: dict | None = None
) -> ElasticSource:
    """A data stream of the google_workspace integration; Reports API streams share the
    activity fields, each adds its parameters."""
    fields = {**_GWS_ACTIVITY_FIELDS, **parameters} if parameters is not None else {}
    return ElasticSource(
        datasets=(f"google_workspace.{stream}",),
        integrations=("google_workspace",),
        conditions={"data_stream.dataset": f"google_workspace.{stream}"},
        fields=fields,
        prefixes=prefixes or {},
    )


def _azure_source(stream: str, fields: dict) -> ElasticSource:
    """A data stream of the azure integration (Entra diagnostic categories)."""
    return ElasticSource(
        datasets=(f"azure.{stream}",),
        integrations=("azure",),
        conditions={"data_stream.dataset": f"azure.{stream}"},
        fields=fields,
    )


def _sysmon_source(code: str, fields: dict) -> ElasticSource:
    """A Sysmon event in the windows integration's data stream, or forwarded."""
    return ElasticSource(
        datasets=("windows.sysmon_operational", "windows.forwarded"),
        integrations=("windows",),
        conditions=_windows_channel("windows.sysmon_operational", SYSMON_CHANNEL, code),
        fields=fields,
    )


def _defend_source(os_type: str, dataset: str, conditions: dict, fields: dict) -> ElasticSource:
    """Elastic Defend events on Linux and macOS."""
    return ElasticSource(
        datasets=(dataset,),
        integrations=("endpoint",),
        conditions={"data_stream.dataset": dataset, "host.os.type": os_type, **conditions},
        fields=fields,
    )


def _linux_source(
    defend_dataset: str,
    defend_conditions: dict,
    sysmon_code: str,
    fields: dict,
    audit: dict | None = None,
) -> ElasticSource:
    """Linux events from Elastic Defend or from Sysmon for Linux (the sysmon_linux
    integration: the Windows Sysmon pipeline over syslog), and, given ``audit`` (its Sigma
    fields where auditd_manager names them otherwise), from auditd_manager's documents of the
    same syscalls. All name the process alike; the host is host.hostname in all (sysmon_linux
    sets no host.name of the event's machine: the test-sysmon vector), so correlations group by
    the same key whichever delivered the event. sysmon_linux sets no user.* (a Linux User has
    no DOMAIN\\ part to split)."""
    datasets: tuple[str, ...] = (defend_dataset, "sysmon_linux.log")
    conditions = [
        {"data_stream.dataset": defend_dataset, "host.os.type": "linux", **defend_conditions},
        {"data_stream.dataset": "sysmon_linux.log", "event.code": sysmon_code},
    ]
    fields = {**fields, "Computer": "host.hostname"}
    if audit is not None:
        datasets += ("auditd_manager.auditd",)
        conditions.append(
            {"data_stream.dataset": "auditd_manager.auditd", "event.action": "executed"}
        )
        # A Sigma field any of whose platform fields may hold it (each stream sets one).
        fields.update({name: [fields[name], *others] for name, others in audit.items()})
    return ElasticSource(
        datasets=datasets,
        integrations=("endpoint", "sysmon_linux")
        + (("auditd_manager",) if audit is not None else ()),
        conditions=conditions,
        fields=fields,
    )


# Elastic Defend process events on Linux and macOS: exec events only (fork events repeat the
# parent's command line).
_DEFEND_PROCESS_FIELDS = {
    **_ECS_PROCESS,
    "CurrentDirectory": "process.working_directory",
    "ParentProcessId": "process.parent.pid",
}

ELASTIC_SOURCES: dict[str, ElasticSource] = bind(
    SOURCES,
    {
        "windows_process_creation": ElasticSource(
            datasets=(
                "windows.sysmon_operational",
                "system.security",
                "windows.forwarded",
                "endpoint.events.process",
            ),
            integrations=("windows", "system", "endpoint"),
            conditions=[
                {"data_stream.dataset": "windows.sysmon_operational", "event.code": "1"},
                {"data_stream.dataset": "system.security", "event.code": "4688"},
                {
                    "data_stream.dataset": "windows.forwarded",
                    "winlog.channel": SYSMON_CHANNEL,
                    "event.code": "1",
                },
                {
                    "data_stream.dataset": "windows.forwarded",
                    "winlog.channel": SECURITY_CHANNEL,
                    "event.code": "4688",
                },
                {"data_stream.dataset": "endpoint.events.process", "event.type": "start"},
            ],
            fields={**_ECS_PROCESS, **_WINLOG, "OriginalFileName": "process.pe.original_file_name"},
        ),
        "windows_file_event": ElasticSource(
            datasets=("windows.sysmon_operational", "windows.forwarded", "endpoint.events.file"),
            integrations=("windows", "endpoint"),
            conditions=_windows_channel("windows.sysmon_operational", SYSMON_CHANNEL, "11")
            # Elastic Defend reports a copy's destination as a creation, an overwrite or a rename.
            + [
                {
                    "data_stream.dataset": "endpoint.events.file",
                    "event.action": ["creation", "overwrite", "rename"],
                }
            ],
            fields=_ECS_FILE,
        ),
        "windows_network_connection": _sysmon_source(
            "3",
            {
                "DestinationPort": "destination.port",
                "DestinationIp": "destination.ip",
                "DestinationHostname": "destination.domain",
                "SourceIp": "source.ip",
                "SourcePort": "source.port",
                "Protocol": "network.transport",
                **_ECS_ACTOR,
            },
        ),
        "windows_registry_set": _sysmon_source(
            "13",
            {"TargetObject": "registry.path", "Details": "registry.data.strings", **_ECS_ACTOR},
        ),
        "windows_security": ElasticSource(
            datasets=("system.security", "windows.forwarded"),
            integrations=("system", "windows"),
            conditions=[
                {"data_stream.dataset": "system.security"},
                {"data_stream.dataset": "windows.forwarded", "winlog.channel": SECURITY_CHANNEL},
            ],
            fields={
                # The System integration keeps 4663's EventData under winlog.event_data and sets
                # no process.* or user.* from it (test-4663 vector); 5145 and 4624/4776 keep
                # theirs there too (IpAddress, WorkstationName and 4776's Workstation stay in
                # winlog.event_data).
                **{
                    name: f"winlog.event_data.{name}"
                    for name in (
                        "ObjectName",
                        "ObjectType",
                        "ObjectServer",
                        "AccessMask",
                        "AccessList",
                        "ProcessName",
                        "SubjectUserName",
                        "SubjectDomainName",
                        "ShareName",
                        "RelativeTargetName",
                        "Workstation",
                        "WorkstationName",
                        "IpAddress",
                    )
                },
                **_WINLOG,
            },
        ),
        "windows_ps_script": ElasticSource(
            datasets=("windows.powershell_operational", "windows.forwarded"),
            integrations=("windows",),
            conditions=_windows_channel(
                "windows.powershell_operational", POWERSHELL_CHANNEL, "4104"
            ),
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
            # Collected as forwarded events (or a custom winlog input) of the Windows
            # integration; Winlogbeat names the log's unnamed EventData values param1...
            datasets=("windows.forwarded",),
            integrations=("windows",),
            conditions={
                "data_stream.dataset": "windows.forwarded",
                "winlog.channel": MSEXCHANGE_MANAGEMENT_CHANNEL,
            },
            fields={
                "CmdletName": "winlog.event_data.param1",
                "CmdletParameters": "winlog.event_data.param2",
                "Caller": "winlog.event_data.param3",
                **_WINLOG,
            },
            # A forwarder that flattens EventData leaves only the rendered text in message
            # (match_only_text: such rules go to ES|QL, whose LIKE reads the value).
            rendered_into={"message": ("CmdletName", "CmdletParameters", "Caller")},
        ),
        "m365_exchange": ElasticSource(
            datasets=("o365.audit",),
            integrations=("o365",),
            conditions={"data_stream.dataset": "o365.audit", "event.provider": "Exchange"},
            fields=_O365_FIELDS,
            prefixes=_O365_PREFIXES,
        ),
        "m365_audit": ElasticSource(
            datasets=("o365.audit",),
            integrations=("o365",),
            conditions={"data_stream.dataset": "o365.audit"},
            fields=_O365_FIELDS,
            prefixes=_O365_PREFIXES,
        ),
        "m365_message_trace": ElasticSource(
            unavailable=(
                "no Elastic integration of this pack's reference schemas records Exchange message tracking; "
                "the Exchange Online message trace integration's summary records carry no forwarding marker"
            ),
        ),
        "azure_signinlogs": _azure_source(
            "signinlogs",
            {
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
        # Elastic through the o365 integration (Audit.AzureActiveDirectory content), whose
        # fields are known: Operation is Graph's activity name with a trailing period, and the
        # modified properties are keyed by name (dots become underscores).
        "azure_auditlogs": ElasticSource(
            datasets=("o365.audit",),
            integrations=("o365",),
            conditions={
                "data_stream.dataset": "o365.audit",
                "event.provider": "AzureActiveDirectory",
            },
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
        # The azure integration's graphactivitylogs stream (its pipeline: requestUri becomes
        # url.original, requestMethod http.request.method, userId user.id, the other properties
        # stay snake_cased under azure.graphactivitylogs.properties; roles and scopes are split).
        "azure_graphactivitylogs": _azure_source(
            "graphactivitylogs",
            {
                "AppId": "azure.graphactivitylogs.properties.app_id",
                "IPAddress": "source.ip",
                "RequestMethod": "http.request.method",
                "RequestUri": "url.original",
                "ResponseStatusCode": "http.response.status_code",
                "Roles": "azure.graphactivitylogs.properties.roles",
                "Scopes": "azure.graphactivitylogs.properties.scopes",
                "ServicePrincipalId": "azure.graphactivitylogs.properties.service_principal_id",
                "UserAgent": "user_agent.original",
                "UserId": "user.id",
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
        # auditd_manager keeps one document per audit event. Auditbeat's names: the rule key is
        # in tags, the EXECVE arguments are process.args (their positions are lost: a0..a3 each
        # match any argument), PATH items are auditd.paths.*, and message_type is the event's
        # first record type in lower case ("syscall").
        "linux_auditd": ElasticSource(
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
                # The integration's pipeline moves user.audit under auditd. (test-useradd vector).
                "auid": "auditd.user.audit.id",
                "AUID": "auditd.user.audit.name",
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
        # auditd_manager has no command line: the process title (the argument vector as the
        # kernel keeps it, 128 bytes at most) stands in for it.
        "linux_process_creation": _linux_source(
            "endpoint.events.process",
            {"event.action": "exec"},
            "1",
            _DEFEND_PROCESS_FIELDS,
            audit={"CommandLine": ["process.title"]},
        ),
        "linux_file_event": _linux_source(
            "endpoint.events.file", {"event.action": ["creation", "rename"]}, "11", _ECS_FILE
        ),
        "macos_process_creation": _defend_source(
            "macos", "endpoint.events.process", {"event.action": "exec"}, _DEFEND_PROCESS_FIELDS
        ),
        "macos_file_event": _defend_source(
            "macos",
            "endpoint.events.file",
            {"event.action": ["creation", "modification", "rename"]},
            _ECS_FILE,
        ),
    },
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
    for source in ELASTIC_SOURCES.values():
        if source.unavailable:
            items.append(
                ProcessingItem(
                    identifier=source.item_id("unavailable"),
                    transformation=RuleFailureTransformation(
                        f"log source {source.logsource.key}: {source.unavailable}"
                    ),
                    rule_conditions=[source.logsource.condition()],
                )
            )
            continue
        items += rendered_into_items(source, keep_field=True)
        items += field_mapping_items(source)
        items += derived_field_items(source)
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
