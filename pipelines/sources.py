"""The Sigma log sources the pack's rules use, with the field names rules may use on each.

Every platform pipeline maps each source (a test fails when one is missing), so adding a
source here is the one step that asks every platform to say how it sees it. The field lists
are the pack's taxonomy: SigmaHQ's field-name validators check every rule against them.
"""

from sigma.pipelines.t1114.base import DerivedField, LogSource

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

# Microsoft 365 / Entra ID / Google Workspace (AN1312).
# Where mail is forwarded, however the record names it: mailbox forwarding
# (ForwardingSmtpAddress), an inbox rule's forward, forward-as-attachment or redirect target
# (New-InboxRule / Set-InboxRule), or the recipients of an Outlook rule's Forward action
# (UpdateInboxRules: a JSON list in RuleActions). One address reads the same in every form:
# "smtp:x@y", "SMTP:X@Y", "x@y" and the resolved '"Name" [SMTP:x@y]' all give x@y. A list of
# several recipients stays one value (the rules cannot split lists).
FORWARDING_DESTINATION = DerivedField(
    name="ForwardingDestination",
    sources=(
        ("Parameters.ForwardingSmtpAddress", None),
        ("Parameters.ForwardTo", None),
        ("Parameters.ForwardAsAttachmentTo", None),
        ("Parameters.RedirectTo", None),
        ("OperationProperties.RuleActions", r'^.*?"Recipients":\["(.*?)"\].*$'),
    ),
    normalise=r"^(?:.*\[)?\s*(?:smtp:)?\s*([^\[\]]*?)\s*\]?\s*$",
)
# Whose mail is forwarded: the mailbox an administrator names (New-InboxRule -Mailbox), the
# owner of the mailbox an Outlook rule was saved in (UpdateInboxRules), the mailbox of a
# Set-Mailbox or Set-InboxRule identity ("mailbox\rule" for a rule), or else the user who
# forwarded their own mail. A mailbox named in two forms (alias and address) counts twice.
FORWARDED_MAILBOX = DerivedField(
    name="ForwardedMailbox",
    sources=(
        ("Parameters.Mailbox", None),
        ("MailboxOwnerUPN", None),
        ("Parameters.Identity", r"^(.*?)\\[^\\]*$"),
        ("UserId", None),
    ),
    normalise=r"^\s*(?:smtp:)?\s*(.*?)\s*$",
)

# Office 365 Management Activity API record fields; Parameters.<Name> and
# OperationProperties.<Name> are the cmdlet parameters and operation properties rules use, and
# Item.* the folder of mailbox-audit records.
_EXCHANGE_AUDIT_FIELDS = (
    "AppId",
    "ClientAppId",
    "ClientIP",
    "ClientInfoString",
    "ExternalAccess",
    FORWARDED_MAILBOX.name,
    FORWARDING_DESTINATION.name,
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
    "Parameters.ActiveSyncAllowedDeviceIDs",
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
    "Parameters.GrantSendOnBehalfTo",
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
    "Name",
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

# The mailbox a Graph request reads: the user segment of /users/{id or UPN}/... (an object id
# and a UPN of one mailbox count as two), lower-cased.
GRAPH_MAILBOX = DerivedField(
    name="GraphMailbox",
    sources=(("RequestUri", r"^.*?/[Uu][Ss][Ee][Rr][Ss]/([^/?]+)[/?].*$"),),
    normalise=r"^\s*(.*?)\s*$",
)

# Microsoft Graph activity logs (Entra ID diagnostic category MicrosoftGraphActivityLogs), under
# the column names of the Log Analytics table MicrosoftGraphActivityLogs: one record per HTTP
# request Graph served. An app-only token has a ServicePrincipalId and no UserId.
_GRAPH_ACTIVITY_FIELDS = (
    "AppId",
    GRAPH_MAILBOX.name,
    "IPAddress",
    "RequestMethod",
    "RequestUri",
    "ResponseStatusCode",
    "Roles",
    "Scopes",
    "ServicePrincipalId",
    "UserAgent",
    "UserId",
)

# The same fields as an Entra diagnostic record (Event Hub, storage) names them under
# properties: the Log Analytics column names in camelCase.
GRAPH_DIAGNOSTIC_NAMES = {
    name: ("ipAddress" if name == "IPAddress" else name[0].lower() + name[1:])
    for name in _GRAPH_ACTIVITY_FIELDS
    if name != GRAPH_MAILBOX.name
}

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
_GWS_USER_ACCOUNTS_FIELDS = _GWS_ACTIVITY_FIELDS + (
    "events.parameters.email_forwarding_destination_address",
)

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

# Windows / Exchange Server (AN1309).

# Sysmon event 11 (FileCreate); Elastic Defend file events carry the same facts.
_WINDOWS_FILE_EVENT_FIELDS = (
    "Computer",
    "CreationUtcTime",
    "Image",
    "ProcessId",
    "TargetFilename",
    "User",
)

# Sysmon event 3 (NetworkConnect).
_NETWORK_CONNECTION_FIELDS = (
    "Computer",
    "DestinationHostname",
    "DestinationIp",
    "DestinationPort",
    "Image",
    "ProcessId",
    "Protocol",
    "SourceIp",
    "SourcePort",
    "User",
)

# Sysmon event 13 (RegistryEvent, value set).
_REGISTRY_SET_FIELDS = ("Computer", "Details", "Image", "ProcessId", "TargetObject", "User")

# Security log EventData names of the events rules read (4663 object access, 5145 network
# share access, 4624/4625 logons, 4776 NTLM credential validation: its client name is
# Workstation, not the logons' WorkstationName); rules on this source name the EventID.
_SECURITY_FIELDS = (
    "AccessList",
    "AccessMask",
    "Computer",
    "EventID",
    "IpAddress",
    "ObjectName",
    "ObjectServer",
    "ObjectType",
    "ProcessName",
    "RelativeTargetName",
    "ShareName",
    "SubjectDomainName",
    "SubjectUserName",
    "Workstation",
    "WorkstationName",
)

# PowerShell Operational 4104 (script block logging).
_PS_SCRIPT_FIELDS = (
    "Computer",
    "MessageNumber",
    "MessageTotal",
    "Path",
    "ScriptBlockId",
    "ScriptBlockText",
)

# MSExchange Management log (provider MSExchange CmdletLogs; event 1 cmdlet succeeded, 6
# failed). Its EventData values are unnamed: the first is the cmdlet, the second its
# parameters as the caller gave them, the third the caller. The pack names them here;
# each platform says where they land (Winlogbeat calls them param1.., the Splunk add-on
# only renders them into Message).
_MSEXCHANGE_MANAGEMENT_FIELDS = ("Caller", "CmdletName", "CmdletParameters", "Computer", "EventID")

# Linux (AN1310) / macOS (AN1311).

# Linux audit record fields, under auditd's own names (Sigma's auditd rules use them): the
# SYSCALL record (key is the audit rule's -k), EXECVE arguments a0..a3, CWD, PATH and
# PROCTITLE; upper-case names are the enriched format's interpreted values. Only the
# arguments a0..a3 are listed because the Splunk add-on's schema stops there.
_LINUX_AUDITD_FIELDS = (
    "AUID",
    "EUID",
    "SYSCALL",
    "UID",
    "a0",
    "a1",
    "a2",
    "a3",
    "argc",
    "auid",
    "comm",
    "cwd",
    "euid",
    "exe",
    "exit",
    "gid",
    "key",
    "name",
    "nametype",
    "pid",
    "ppid",
    "proctitle",
    "ses",
    "success",
    "syscall",
    "tty",
    "type",
    "uid",
)

# Sysmon for Linux event 1 names (Sigma's process_creation taxonomy), and what macOS
# process telemetry can fill of them.
_LINUX_PROCESS_CREATION_FIELDS = (
    "CommandLine",
    "Computer",
    "CurrentDirectory",
    "EventID",
    "Image",
    "LogonId",
    "ParentCommandLine",
    "ParentImage",
    "ParentProcessId",
    "ParentUser",
    "ProcessId",
    "User",
)
_MACOS_PROCESS_CREATION_FIELDS = (
    "CommandLine",
    "Computer",
    "CurrentDirectory",
    "Image",
    "ParentImage",
    "ProcessId",
)
# Sysmon for Linux event 11 names (Sigma's file_event taxonomy); macOS file telemetry has no user.
_FILE_EVENT_FIELDS = ("Computer", "Image", "ProcessId", "TargetFilename", "User")

# The Windows event log channels the sources are recorded in; platforms select the events by
# them (Splunk's Windows add-on puts the channel in ``source``).
SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"
SECURITY_CHANNEL = "Security"
POWERSHELL_CHANNEL = "Microsoft-Windows-PowerShell/Operational"
MSEXCHANGE_MANAGEMENT_CHANNEL = "MSExchange Management"
LINUX_SYSMON_CHANNEL = "Linux-Sysmon/Operational"

# Each source once; a platform module maps every key (sigma.pipelines.t1114.base.bind).
SOURCES: dict[str, LogSource] = {
    "windows_process_creation": LogSource(
        "windows", "process_creation", fields=_PROCESS_CREATION_FIELDS
    ),
    "windows_file_event": LogSource("windows", "file_event", fields=_WINDOWS_FILE_EVENT_FIELDS),
    "windows_network_connection": LogSource(
        "windows", "network_connection", fields=_NETWORK_CONNECTION_FIELDS
    ),
    "windows_registry_set": LogSource("windows", "registry_set", fields=_REGISTRY_SET_FIELDS),
    "windows_security": LogSource("windows", service="security", fields=_SECURITY_FIELDS),
    "windows_ps_script": LogSource("windows", "ps_script", fields=_PS_SCRIPT_FIELDS),
    "windows_msexchange_management": LogSource(
        "windows", service="msexchange-management", fields=_MSEXCHANGE_MANAGEMENT_FIELDS
    ),
    "m365_exchange": LogSource(
        "m365",
        service="exchange",
        fields=_EXCHANGE_AUDIT_FIELDS,
        derived=(FORWARDING_DESTINATION, FORWARDED_MAILBOX),
    ),
    "m365_audit": LogSource("m365", service="audit", fields=_UNIFIED_AUDIT_FIELDS),
    "m365_message_trace": LogSource("m365", service="message_trace", fields=_MESSAGE_TRACE_FIELDS),
    "azure_signinlogs": LogSource("azure", service="signinlogs", fields=_ENTRA_SIGNIN_FIELDS),
    "azure_auditlogs": LogSource("azure", service="auditlogs", fields=_ENTRA_AUDIT_FIELDS),
    "azure_graphactivitylogs": LogSource(
        "azure",
        service="graphactivitylogs",
        fields=_GRAPH_ACTIVITY_FIELDS,
        derived=(GRAPH_MAILBOX,),
    ),
    "google_workspace_admin": LogSource(
        "google_workspace", service="admin", fields=_GWS_ADMIN_FIELDS
    ),
    "google_workspace_user_accounts": LogSource(
        "google_workspace", service="user_accounts", fields=_GWS_USER_ACCOUNTS_FIELDS
    ),
    "google_workspace_gmail": LogSource("google_workspace", service="gmail", fields=_GMAIL_FIELDS),
    "linux_auditd": LogSource("linux", service="auditd", fields=_LINUX_AUDITD_FIELDS),
    "linux_process_creation": LogSource(
        "linux", "process_creation", fields=_LINUX_PROCESS_CREATION_FIELDS
    ),
    "linux_file_event": LogSource("linux", "file_event", fields=_FILE_EVENT_FIELDS),
    "macos_process_creation": LogSource(
        "macos", "process_creation", fields=_MACOS_PROCESS_CREATION_FIELDS
    ),
    "macos_file_event": LogSource(
        "macos", "file_event", fields=tuple(f for f in _FILE_EVENT_FIELDS if f != "User")
    ),
}
