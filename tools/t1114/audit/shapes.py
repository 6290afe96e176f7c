"""Which export a table is, told from its columns (never from the file name).

Each shape lists signature columns, any one of which names it, and the columns its checks
need. Shapes are tried in order, so where two exports share columns (Get-Mailbox carries
every Get-Recipient column), the narrower is tried first. A table that matches a signature
but lacks a needed column is reported as that export with the missing column.
"""

from __future__ import annotations

from dataclasses import dataclass

from t1114.audit.errors import AuditInputError
from t1114.audit.readers import Table


@dataclass(frozen=True)
class Shape:
    kind: str  # stable: part of every finding id
    source: str  # what produced it, as users know it
    signature: tuple[str, ...]
    required: tuple[tuple[str, ...], ...]  # each: one of these columns
    # A table of this shape feeds the tenant model (resolution) rather than being checked.
    directory: bool = False

    def matches(self, columns: set[str]) -> bool:
        return any(c.lower() in columns for c in self.signature)

    def missing(self, columns: set[str]) -> list[str]:
        return [
            " or ".join(group)
            for group in self.required
            if not any(c.lower() in columns for c in group)
        ]


SHAPES: tuple[Shape, ...] = (
    # GAM's columns (forwardTo, forward) would otherwise pass for Exchange's.
    Shape(
        "gam.forwards",
        "GAM print forwards",
        ("forwardEnabled",),
        (("User",), ("forwardEnabled",), ("forwardTo",)),
    ),
    Shape("gam.filters", "GAM print filters", ("forward",), (("User",), ("forward",))),
    Shape(
        "exchange.inbox_rule",
        "Get-InboxRule",
        (
            "ForwardTo",
            "ForwardAsAttachmentTo",
            "RedirectTo",
            "MailboxOwnerId",
            "RuleIdentity",
            "SendTextMessageNotificationTo",
            "DeleteMessage",
            "MoveToFolder",
            "StopProcessingRules",
        ),
        (
            ("Name",),
            ("MailboxOwnerId", "Identity"),
            ("ForwardTo", "RedirectTo", "ForwardAsAttachmentTo"),
        ),
    ),
    Shape(
        "exchange.mailbox",
        "Get-Mailbox",
        ("ForwardingSmtpAddress", "ForwardingAddress", "DeliverToMailboxAndForward"),
        (
            ("ForwardingSmtpAddress", "ForwardingAddress"),
            ("UserPrincipalName", "PrimarySmtpAddress", "Identity", "Name"),
        ),
    ),
    Shape(
        "exchange.transport_rule",
        "Get-TransportRule",
        (
            "BlindCopyTo",
            "RedirectMessageTo",
            "AddToRecipients",
            "SentToScope",
            "FromScope",
            "RuleVersion",
            "CopyTo",
            "ApplyHtmlDisclaimerText",
        ),
        (("Name",), ("State",)),
    ),
    Shape(
        "exchange.outbound_spam_rule",
        "Get-HostedOutboundSpamFilterRule",
        ("HostedOutboundSpamFilterPolicy",),
        (("Name",), ("HostedOutboundSpamFilterPolicy",)),
        directory=True,
    ),
    Shape(
        "exchange.outbound_spam_policy",
        "Get-HostedOutboundSpamFilterPolicy",
        ("AutoForwardingMode",),
        (("Name", "Identity"), ("AutoForwardingMode",)),
    ),
    Shape(
        "exchange.remote_domain",
        "Get-RemoteDomain",
        ("AutoForwardEnabled",),
        (("DomainName",), ("AutoForwardEnabled",)),
    ),
    Shape(
        "exchange.accepted_domain",
        "Get-AcceptedDomain",
        ("DomainType",),
        (("DomainName",),),
        directory=True,
    ),
    Shape(
        "exchange.mailbox_folder_permission",
        "Get-MailboxFolderPermission",
        ("FolderName", "SharingPermissionFlags"),
        (("Identity",), ("User",), ("AccessRights",)),
    ),
    Shape(
        "exchange.recipient_permission",
        "Get-RecipientPermission",
        ("Trustee", "AccessControlType"),
        (("Identity",), ("Trustee",), ("AccessRights",)),
    ),
    Shape(
        "exchange.mailbox_permission",
        "Get-MailboxPermission",
        ("IsInherited", "Deny", "InheritanceType"),
        (("Identity",), ("User",), ("AccessRights",)),
    ),
    Shape(
        "exchange.management_role_assignment",
        "Get-ManagementRoleAssignment",
        ("RoleAssigneeName", "RoleAssignee", "RoleAssigneeType", "RoleAssignmentDelegationType"),
        (("Role",), ("RoleAssigneeName", "RoleAssignee")),
    ),
    Shape(
        "graph.message_rule",
        "Microsoft Graph messageRules",
        ("actions",),
        (("actions",), ("displayName", "id")),
    ),
    Shape(
        "graph.app_role_assignment",
        "Microsoft Graph appRoleAssignments",
        ("appRoleId",),
        (("appRoleId",), ("principalDisplayName", "principalId")),
    ),
    Shape(
        "gmail.auto_forwarding",
        "Gmail API autoForwarding",
        ("disposition",),
        (("enabled",), ("emailAddress",)),
    ),
    Shape(
        "gmail.forwarding_address",
        "Gmail API forwardingAddresses / GAM print forwardingaddresses",
        ("forwardingEmail",),
        (("forwardingEmail",),),
    ),
    Shape("gmail.filter", "Gmail API filters", ("criteria",), (("action",), ("id",))),
    Shape(
        "exchange.recipient",
        "Get-Recipient / Get-MailContact / Get-MailUser",
        ("RecipientType", "RecipientTypeDetails", "ExternalEmailAddress", "LegacyExchangeDN"),
        (("PrimarySmtpAddress", "ExternalEmailAddress", "EmailAddresses"),),
        directory=True,
    ),
)

BY_KIND = {s.kind: s for s in SHAPES}


def recognise(table: Table) -> Shape:
    columns = table.columns
    if not table.records:
        raise AuditInputError(table.path, "no records in the export")
    for shape in SHAPES:
        if shape.matches(columns):
            missing = shape.missing(columns)
            if missing:
                raise AuditInputError(
                    table.path,
                    f"looks like {shape.source} output but has no column {', '.join(missing)}",
                )
            return shape
    names = sorted({k for r in table.records for k in r.fields}, key=str.lower)
    listed = ", ".join(names[:12]) + (" ..." if len(names) > 12 else "")
    raise AuditInputError(
        table.path,
        f"unknown export shape (columns: {listed}); "
        "see docs/audit.md for the exports t1114 audit reads",
    )
