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

# Office 365 Management Activity API record fields; Parameters.<Name> and
# OperationProperties.<Name> are the cmdlet parameters and operation properties rules use.
_EXCHANGE_AUDIT_FIELDS = (
    "AppId",
    "ClientAppId",
    "ClientIP",
    "ClientInfoString",
    "ExternalAccess",
    "LogonType",
    "MailboxOwnerUPN",
    "ObjectId",
    "Operation",
    "OperationCount",
    "OperationProperties.MailAccessType",
    "OperationProperties.IsThrottled",
    "OrganizationName",
    "Parameters.AccessRights",
    "Parameters.DeleteMessage",
    "Parameters.DeliverToMailboxAndForward",
    "Parameters.ForwardAsAttachmentTo",
    "Parameters.ForwardTo",
    "Parameters.ForwardingAddress",
    "Parameters.ForwardingSmtpAddress",
    "Parameters.Identity",
    "Parameters.MarkAsRead",
    "Parameters.MoveToFolder",
    "Parameters.Name",
    "Parameters.RedirectTo",
    "RecordType",
    "ResultStatus",
    "UserId",
    "UserType",
    "Workload",
)

SOURCES: dict[str, LogSource] = {
    "windows_process_creation": LogSource("windows", "process_creation", fields=_PROCESS_CREATION_FIELDS),
    "m365_exchange": LogSource("m365", service="exchange", fields=_EXCHANGE_AUDIT_FIELDS),
}
