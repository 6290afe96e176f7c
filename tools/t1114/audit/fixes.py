"""The command that undoes each finding, quoted to paste as is. The audit never runs them:
a reviewer reads the finding, then the command, then decides."""

from __future__ import annotations

import shlex
from urllib.parse import quote


def ps(value: str) -> str:
    """A PowerShell single-quoted literal (a quote inside is doubled, nothing is expanded)."""
    return "'" + str(value).replace("'", "''") + "'"


def inbox_rule(identity: str | None, mailbox: str | None, name: str | None) -> str:
    target = (
        f"-Identity {ps(identity)}"
        if identity
        else f"-Mailbox {ps(mailbox or '')} -Identity {ps(name or '')}"
    )
    return f"Disable-InboxRule {target} -Confirm:$false\nRemove-InboxRule {target} -Confirm:$false"


def mailbox_forwarding(mailbox: str) -> str:
    return (
        f"Set-Mailbox -Identity {ps(mailbox)} "
        "-ForwardingSmtpAddress $null -ForwardingAddress $null "
        "-DeliverToMailboxAndForward $false"
    )


def transport_rule(name: str, parameters: list[str]) -> str:
    cleared = " ".join(f"-{p} $null" for p in parameters)
    return (
        f"Disable-TransportRule -Identity {ps(name)} -Confirm:$false\n"
        f"Set-TransportRule -Identity {ps(name)} {cleared}"
    )


def remote_domain(identity: str) -> str:
    return f"Set-RemoteDomain -Identity {ps(identity)} -AutoForwardEnabled $false"


def outbound_policy(identity: str) -> str:
    return f"Set-HostedOutboundSpamFilterPolicy -Identity {ps(identity)} -AutoForwardingMode Off"


def mailbox_permission(identity: str, user: str, rights: list[str]) -> str:
    return (
        f"Remove-MailboxPermission -Identity {ps(identity)} -User {ps(user)} "
        f"-AccessRights {','.join(rights)} -InheritanceType All -Confirm:$false"
    )


def recipient_permission(identity: str, trustee: str, rights: list[str]) -> str:
    return (
        f"Remove-RecipientPermission -Identity {ps(identity)} -Trustee {ps(trustee)} "
        f"-AccessRights {','.join(rights)} -Confirm:$false"
    )


def folder_permission(folder: str, user: str) -> str:
    return f"Set-MailboxFolderPermission -Identity {ps(folder)} -User {ps(user)} -AccessRights None"


def role_assignment(name: str) -> str:
    return f"Remove-ManagementRoleAssignment -Identity {ps(name)} -Confirm:$false"


def graph_message_rule(mailbox: str | None, rule_id: str) -> str:
    user = quote(mailbox, safe="@.") if mailbox else "{user-id}"
    rule = quote(rule_id, safe="")
    return f"DELETE https://graph.microsoft.com/v1.0/users/{user}/mailFolders/inbox/messageRules/{rule}"


def graph_app_role_assignment(principal_id: str | None, assignment_id: str | None) -> str:
    return (
        "DELETE https://graph.microsoft.com/v1.0/servicePrincipals/"
        f"{quote(principal_id or '{principal-id}', safe='{}-')}/appRoleAssignments/"
        f"{quote(assignment_id or '{assignment-id}', safe='{}-_')}"
    )


def gam_forward_off(user: str) -> str:
    return f"gam user {shlex.quote(user)} forward off"


def gam_delete_forwarding_address(user: str, address: str) -> str:
    return f"gam user {shlex.quote(user)} delete forwardingaddress {shlex.quote(address)}"


def gam_delete_filter(user: str, filter_id: str | None) -> str:
    return f"gam user {shlex.quote(user)} delete filter {shlex.quote(filter_id or '<filter-id>')}"
