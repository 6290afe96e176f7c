"""The Sigma log sources the pack's rules use, with the field names rules may use on each.

Every platform pipeline maps each source (a test fails when one is missing), so adding a
source here is the one step that asks every platform to say how it sees it. The field lists
are the pack's taxonomy: SigmaHQ's field-name validators check every rule against them.
"""

from sigma.pipelines.t1114.base import LogSource

# Sysmon event 1 names, which Sigma's process_creation taxonomy uses.
_PROCESS_CREATION_FIELDS = (
    "CommandLine",
    "Company",
    "Computer",
    "CurrentDirectory",
    "Description",
    "EventID",
    "FileVersion",
    "Hashes",
    "Image",
    "IntegrityLevel",
    "LogonId",
    "OriginalFileName",
    "ParentCommandLine",
    "ParentImage",
    "ParentProcessId",
    "ParentUser",
    "ProcessId",
    "Product",
    "User",
)

# --- Microsoft 365 / Entra ID / Google Workspace (AN1312) ---
# Office 365 Management Activity API record fields; Parameters.<Name> and
# OperationProperties.<Name> are the cmdlet parameters and operation properties rules use, and
# Item.* the folder of mailbox-audit records.
_EXCHANGE_AUDIT_FIELDS = (
    "AppId",
    "ClientAppId",
    "ClientIP",
    "ClientInfoString",
    "ExternalAccess",
    "Item.ParentFolder.MemberRights",
    "Item.ParentFolder.MemberSid",
    "Item.ParentFolder.MemberUpn",
    "Item.ParentFolder.Name",
    "Item.ParentFolder.Path",
    "LogonType",
    "MailboxOwnerUPN",
    "ObjectId",
    "Operation",
    "OperationCount",
    "OperationProperties.Actions",
    "OperationProperties.IsThrottled",
    "OperationProperties.MailAccessType",
    "OperationProperties.RuleActions",
    "OperationProperties.RuleName",
    "OperationProperties.ServerRule",
    "OrganizationName",
    "Parameters.AccessRights",
    "Parameters.AddToRecipients",
    "Parameters.AutoForwardEnabled",
    "Parameters.AutoForwardingMode",
    "Parameters.BlindCopyTo",
    "Parameters.CopyTo",
    "Parameters.DeleteMessage",
    "Parameters.DeliverToMailboxAndForward",
    "Parameters.ForwardAsAttachmentTo",
    "Parameters.ForwardTo",
    "Parameters.ForwardingAddress",
    "Parameters.ForwardingSmtpAddress",
    "Parameters.Identity",
    "Parameters.Mailbox",
    "Parameters.MarkAsRead",
    "Parameters.MoveToFolder",
    "Parameters.Name",
    "Parameters.RedirectMessageTo",
    "Parameters.RedirectTo",
    "Parameters.Role",
    "Parameters.User",
    "RecordType",
    "ResultStatus",
    "UserId",
    "UserType",
    "Workload",
)

# Any workload of the unified audit log (eDiscovery and Threat Explorer records are not
# Exchange's): the common schema plus the few parameters rules use.
_UNIFIED_AUDIT_FIELDS = (
    "ClientIP",
    "ObjectId",
    "Operation",
    "Parameters.TargetMailbox",
    "RecordType",
    "ResultStatus",
    "UserId",
    "UserType",
    "Workload",
)

# Exchange message tracking log / Exchange Online extended message trace report columns.
_MESSAGE_TRACE_FIELDS = (
    "client_ip",
    "connector_id",
    "custom_data",
    "date_time",
    "directionality",
    "event_id",
    "message_id",
    "message_info",
    "message_subject",
    "network_message_id",
    "original_client_ip",
    "recipient_address",
    "recipient_count",
    "recipient_status",
    "related_recipient_address",
    "return_path",
    "sender_address",
    "server_hostname",
    "source",
    "source_context",
)

# Entra ID sign-ins as Microsoft Graph returns them (signIn resource).
_ENTRA_SIGNIN_FIELDS = (
    "appDisplayName",
    "appId",
    "clientAppUsed",
    "conditionalAccessStatus",
    "ipAddress",
    "isInteractive",
    "location.city",
    "location.countryOrRegion",
    "resourceDisplayName",
    "riskDetail",
    "riskEventTypes_v2",
    "riskLevelAggregated",
    "riskLevelDuringSignIn",
    "riskState",
    "status.errorCode",
    "userId",
    "userPrincipalName",
)

# Entra ID audit records as Microsoft Graph returns them (directoryAudit resource).
_ENTRA_AUDIT_FIELDS = (
    "activityDisplayName",
    "initiatedBy.user.userPrincipalName",
    "result",
    "targetResources.modifiedProperties.newValue",
)

# Google Workspace Admin SDK Reports API activities; events.parameters.<name> are the event's
# parameters by name, as Parameters.<Name> are for Microsoft 365.
_GWS_ACTIVITY_FIELDS = (
    "actor.callerType",
    "actor.email",
    "events.name",
    "events.type",
    "id.applicationName",
    "ipAddress",
)
_GWS_ADMIN_FIELDS = _GWS_ACTIVITY_FIELDS + (
    "events.parameters.NEW_VALUE",
    "events.parameters.OLD_VALUE",
    "events.parameters.ORG_UNIT_NAME",
    "events.parameters.SETTING_NAME",
    "events.parameters.USER_EMAIL",
)
_GWS_USER_ACCOUNTS_FIELDS = _GWS_ACTIVITY_FIELDS + ("events.parameters.email_forwarding_destination_address",)

# Gmail logs (the BigQuery export schema, which the Splunk and Elastic integrations keep).
_GMAIL_FIELDS = (
    "event_info.client_context.client_type",
    "event_info.mail_event_type",
    "event_info.success",
    "message_info.destination.address",
    "message_info.rfc2822_message_id",
    "message_info.source.address",
    "message_info.subject",
)

_CLOUD_SOURCES = {
    "m365_exchange": LogSource("m365", service="exchange", fields=_EXCHANGE_AUDIT_FIELDS),
    "m365_audit": LogSource("m365", service="audit", fields=_UNIFIED_AUDIT_FIELDS),
    "m365_message_trace": LogSource("m365", service="message_trace", fields=_MESSAGE_TRACE_FIELDS),
    "azure_signinlogs": LogSource("azure", service="signinlogs", fields=_ENTRA_SIGNIN_FIELDS),
    "azure_auditlogs": LogSource("azure", service="auditlogs", fields=_ENTRA_AUDIT_FIELDS),
    "google_workspace_admin": LogSource("google_workspace", service="admin", fields=_GWS_ADMIN_FIELDS),
    "google_workspace_user_accounts": LogSource(
        "google_workspace", service="user_accounts", fields=_GWS_USER_ACCOUNTS_FIELDS
    ),
    "google_workspace_gmail": LogSource("google_workspace", service="gmail", fields=_GMAIL_FIELDS),
}
# --- end Microsoft 365 / Entra ID / Google Workspace ---

SOURCES: dict[str, LogSource] = {
    "windows_process_creation": LogSource("windows", "process_creation", fields=_PROCESS_CREATION_FIELDS),
    **_CLOUD_SOURCES,
}
