"""Elastic: ECS and integration field names, each log source pinned to its data streams."""

from __future__ import annotations

from dataclasses import dataclass

from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.conditions import IncludeFieldCondition
from sigma.processing.transformations import ConvertTypeTransformation, RuleFailureTransformation

from sigma.pipelines.t1114.base import LogSource, SourceMapping, field_mapping_items, source_condition_item
from sigma.pipelines.t1114.sources import SOURCES
from sigma.pipelines.t1114.tuning import tuning_item, tuning_vars


@dataclass(frozen=True)
class ElasticSource(SourceMapping):
    datasets: tuple[str, ...] = ()
    integrations: tuple[str, ...] = ()
    # Why no Elastic integration in this pack carries the source; its rules ship no Elastic query.
    unavailable: str = ""
    # Integration fields that hold numbers as keywords: a rule's number is compared as text there.
    keyword_numbers: tuple[str, ...] = ()

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
        datasets=("windows.sysmon_operational", "system.security"),
        integrations=("windows", "system"),
        conditions={
            "data_stream.dataset": ["windows.sysmon_operational", "system.security"],
            "event.code": ["1", "4688"],
        },
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
        keyword_numbers=_O365_KEYWORD_NUMBERS,
    ),
    "m365_audit": ElasticSource(
        LogSource("m365", service="audit"),
        datasets=("o365.audit",),
        integrations=("o365",),
        conditions={"data_stream.dataset": "o365.audit"},
        fields=_O365_FIELDS,
        prefixes=_O365_PREFIXES,
        keyword_numbers=_O365_KEYWORD_NUMBERS,
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
}


def elastic_pipeline(tuning: dict | None = None) -> ProcessingPipeline:
    """``tuning``: the tuning lists to use instead of the defaults (see tuning.py)."""
    items = [tuning_item()]
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
        if source.keyword_numbers:
            items.append(
                ProcessingItem(
                    identifier=source.item_id("keyword_numbers"),
                    transformation=ConvertTypeTransformation("str"),
                    rule_conditions=[source.logsource.condition()],
                    field_name_conditions=[IncludeFieldCondition(list(source.keyword_numbers))],
                )
            )
        items += source_condition_item(source)
    return ProcessingPipeline(
        name="T1114 pack: Elastic ECS and integration fields, pinned to data streams",
        priority=20,
        items=items,
        vars=tuning_vars(tuning),
        allowed_backends=frozenset({"elasticsearch", "eql", "esql", "lucene", "sqlite"}),
    )


def t1114_elastic_pipeline() -> ProcessingPipeline:
    return elastic_pipeline()
