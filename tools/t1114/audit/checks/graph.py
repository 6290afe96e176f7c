"""Checks of Microsoft Graph exports: inbox message rules, and the app role assignments that
give applications every mailbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

from t1114.audit import fixes
from t1114.audit.checks.base import Context
from t1114.audit.checks.exchange import rule_findings, rule_hiding
from t1114.audit.errors import AuditInputError
from t1114.audit.findings import Finding
from t1114.audit.readers import Record
from t1114.audit.recipients import LostValues, parse_recipients
from t1114.audit.tenant import truthy

Out = Iterator["Finding | AuditInputError"]
ACTIONS = {
    "forwardTo": "forwardTo",
    "forwardAsAttachmentTo": "forwardAsAttachmentTo",
    "redirectTo": "redirectTo",
}
CONTEXT_USER = re.compile(r"users\('([^']+)'\)|users/([^/]+)/", re.I)


def _mailbox(ctx: Context, record: Record) -> str | None:
    own = record.first("mailbox", "userPrincipalName", "user", "owner", "mailboxOwner")
    if own:
        return str(own)
    m = CONTEXT_USER.search(str(ctx.context_value("@odata.context") or ""))
    if m:
        return unquote(m.group(1) or m.group(2))
    return None


def message_rules(ctx: Context) -> Out:
    for record in ctx.table.records:
        actions = record.get("actions") or {}
        if not isinstance(actions, dict):
            yield AuditInputError(
                ctx.table.path, "messageRule 'actions' is not an object", record.line
            )
            continue
        act = {k.lower(): v for k, v in actions.items()}
        name = record.get("displayName")
        rule_id = str(record.get("id") or name)
        mailbox = _mailbox(ctx, record)
        enabled = truthy(record.get("isEnabled")) is not False
        hiding = rule_hiding(
            name,
            bool(truthy(act.get("delete")) or truthy(act.get("permanentdelete"))),
            bool(truthy(act.get("markasread"))),
            act.get("movetofolder"),
        )
        targets = []
        try:
            for key in ACTIONS:
                targets += [(key, r) for r in parse_recipients(act.get(key.lower()))]
        except LostValues as e:
            yield AuditInputError(
                ctx.table.path, f"a recipient holds the type name '{e}'", record.line
            )
        evidence = record.pick(
            "id", "displayName", "sequence", "isEnabled", "hasError", "actions", "conditions"
        )
        fix = fixes.graph_message_rule(mailbox, rule_id)
        yield from rule_findings(
            ctx,
            record,
            obj=f"{mailbox or '(mailbox not named)'}\\{name}",
            mailbox=mailbox,
            name=name,
            targets=targets,
            enabled=enabled,
            hiding=hiding,
            fix=fix,
            evidence=evidence,
        )


# App roles that read (or, for MailboxSettings, forward) every mailbox, by id: Microsoft Graph's
# and Office 365 Exchange Online's (the latter's Mail.* ids are the same as Graph's).
MAIL_ROLES: dict[str, tuple[str, str]] = {
    "810c84a8-4a9e-49e6-bf7d-12d183f40d01": ("Mail.Read", "high"),
    "e2a3a72e-5f79-4c64-b1b1-878b674786c9": ("Mail.ReadWrite", "high"),
    "693c5e45-0940-467d-9b8a-1022fb9d42ef": ("Mail.ReadBasic.All", "medium"),
    "6be147d2-ea4f-4b5a-a3fa-3eab6f3c140a": ("Mail.ReadBasic", "medium"),
    "dc890d15-9560-4a4c-9b7f-a736ec74ec40": ("full_access_as_app", "high"),
    "5e5addcd-3e8d-4e90-baf5-964efab2b20a": ("IMAP.AccessAsApp", "high"),
    "cb842b43-da6e-4506-86fe-bb12199c656d": ("POP.AccessAsApp", "high"),
    "6931bccd-447a-43d1-b442-00a195474933": ("MailboxSettings.ReadWrite", "medium"),
    "f9156939-25cd-4ba8-abfe-7fabcf003749": ("MailboxSettings.ReadWrite", "medium"),
}
BY_NAME = {v[0].lower(): v for v in MAIL_ROLES.values()}


def app_role_assignments(ctx: Context) -> Out:
    for record in ctx.table.records:
        role_id = record.text("appRoleId").lower()
        value = record.first("appRoleValue", "appRole", "permission", "value")
        role = MAIL_ROLES.get(role_id) or BY_NAME.get(str(value or "").lower())
        if role is None:
            continue
        permission, severity = role
        app = record.text("principalDisplayName", "principalId")
        reasons = [f"{permission} is an application permission: every mailbox, no signed-in user"]
        if permission.startswith("MailboxSettings"):
            reasons = [
                f"{permission} lets the application create forwarding inbox rules in every mailbox"
            ]
        known = ctx.tenant.is_known_account(app)
        if known:
            severity = "informational"
            reasons.append(f"{app} is listed in {known}_accounts")
        yield ctx.finding(
            record,
            object=app,
            severity=severity,
            subject=permission,
            finding="app_can_set_mail_rules"
            if permission.startswith("MailboxSettings")
            else "app_has_mail_permission",
            summary=f"application {app} holds {permission} on "
            f"{record.get('resourceDisplayName') or 'the mail API'}",
            reasons=reasons,
            evidence=record.pick(
                "id",
                "appRoleId",
                "principalDisplayName",
                "principalId",
                "principalType",
                "resourceDisplayName",
                "resourceId",
                "createdDateTime",
            ),
            fix=fixes.graph_app_role_assignment(
                record.text("principalId") or None, record.text("id") or None
            ),
        )
