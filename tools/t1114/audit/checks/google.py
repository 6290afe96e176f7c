"""Checks of Google Workspace exports: the Gmail API's autoForwarding, forwardingAddresses
and filters, and GAM's ``print forwards`` and ``print filters`` CSV."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from t1114.audit import fixes
from t1114.audit.checks.base import Context, judge_forward
from t1114.audit.errors import AuditInputError
from t1114.audit.findings import Finding
from t1114.audit.readers import Record
from t1114.audit.recipients import LostValues, parse_recipient
from t1114.audit.tenant import Effect, truthy

Out = Iterator["Finding | AuditInputError"]
# Google's admin setting "Allow users to automatically forward incoming email" is not in
# any of these exports, so whether forwarding works is unknown, never assumed blocked.
GOOGLE_EFFECT = Effect(
    "unknown", ("the Workspace automatic forwarding setting is not in the exports",)
)
HIDING_DISPOSITIONS = {
    "trash": "moves forwarded mail to the trash",
    "markread": "marks forwarded mail read",
    "archive": "archives forwarded mail",
}
USER_COLUMNS = ("User", "userId", "user", "primaryEmail", "userEmail", "mailbox")


def _user(ctx: Context, record: Record) -> str:
    return record.text(*USER_COLUMNS) or str(ctx.context_value(*USER_COLUMNS) or "me")


def _target(ctx: Context, record: Record, value: Any):
    try:
        return parse_recipient(value)
    except LostValues as e:
        return AuditInputError(
            ctx.table.path, f"the address holds the type name '{e}'", record.line
        )


def auto_forwarding(ctx: Context) -> Out:
    for record in ctx.table.records:
        user = _user(ctx, record)
        enabled = truthy(record.first("forwardEnabled", "enabled"))
        target = _target(ctx, record, record.first("forwardTo", "emailAddress"))
        if isinstance(target, AuditInputError):
            yield target
            continue
        disposition = record.text("disposition")
        evidence = record.pick(
            *USER_COLUMNS, "forwardEnabled", "forwardTo", "enabled", "emailAddress", "disposition"
        )
        fix = fixes.gam_forward_off(user)
        if target is None:
            continue
        if not enabled:
            yield ctx.finding(
                record,
                object=user,
                mailbox=user,
                finding="gmail_forwarding_cleared",
                severity="low",
                summary=f"{user}: automatic forwarding is off (to {target.label()} before)",
                reasons=["a cleared forwarding: nothing is forwarded now"],
                evidence=evidence,
                fix=fix,
            )
            continue
        hiding = (
            [f"hides mail: disposition {disposition} {HIDING_DISPOSITIONS[disposition.lower()]}"]
            if disposition.lower() in HIDING_DISPOSITIONS
            else []
        )
        verdict = judge_forward(
            ctx.tenant, target, sender=user, enabled=True, hiding=hiding, effect=GOOGLE_EFFECT
        )
        yield ctx.finding(
            record,
            object=user,
            mailbox=user,
            finding=f"gmail_{verdict.suffix}",
            severity=verdict.severity,
            external_target=verdict.external_target,
            summary=f"{user} forwards all incoming mail to {target.label()}",
            reasons=verdict.reasons,
            evidence=evidence,
            fix=fix,
        )


def forwarding_addresses(ctx: Context) -> Out:
    for record in ctx.table.records:
        user = _user(ctx, record)
        target = _target(ctx, record, record.get("forwardingEmail"))
        if isinstance(target, AuditInputError):
            yield target
            continue
        if target is None:
            continue
        resolved = ctx.tenant.resolve(target)
        if resolved.external is False or ctx.tenant.is_allowed_target(resolved.address or ""):
            continue
        status = record.text("verificationStatus")
        accepted = status.lower() == "accepted"
        yield ctx.finding(
            record,
            object=f"{user} -> {target.label()}",
            mailbox=user,
            finding="gmail_forwarding_address_registered",
            severity="medium" if accepted else "low",
            summary=f"{user} has registered the forwarding address {target.label()} "
            f"({status or 'status unknown'})",
            reasons=[
                resolved.reason,
                "a verified address is what filters and automatic forwarding may send to"
                if accepted
                else "not verified: nothing can be forwarded to it yet",
            ],
            evidence=record.pick(*USER_COLUMNS, "forwardingEmail", "verificationStatus"),
            fix=fixes.gam_delete_forwarding_address(user, target.label()),
        )


def _labels(value: Any) -> set[str]:
    if value is None:
        return set()
    items = value if isinstance(value, list) else str(value).replace(",", " ").split()
    return {str(i).strip().upper() for i in items}


def filters(ctx: Context) -> Out:
    for record in ctx.table.records:
        user = _user(ctx, record)
        action = record.get("action") if isinstance(record.get("action"), dict) else {}
        act = {k.lower(): v for k, v in action.items()}
        forward = act.get("forward") if action else record.get("forward")
        target = _target(ctx, record, forward)
        if isinstance(target, AuditInputError):
            yield target
            continue
        if target is None:
            continue
        add = _labels(
            act.get("addlabelids") if action else record.first("addLabelIds", "addLabels", "label")
        )
        remove = _labels(
            act.get("removelabelids") if action else record.first("removeLabelIds", "removeLabels")
        )
        hiding = []
        if "TRASH" in add or truthy(record.get("trash")):
            hiding.append("hides mail: the filter deletes it")
        if "UNREAD" in remove or truthy(record.first("markRead", "markAsRead")):
            hiding.append("hides mail: the filter marks it read")
        if "INBOX" in remove or truthy(record.first("archive", "skipInbox")):
            hiding.append("hides mail: the filter skips the inbox")
        verdict = judge_forward(
            ctx.tenant, target, sender=user, enabled=True, hiding=hiding, effect=GOOGLE_EFFECT
        )
        filter_id = record.text("id") or None
        yield ctx.finding(
            record,
            object=f"{user}\\{filter_id or '(no id)'}",
            mailbox=user,
            finding=f"gmail_filter_{verdict.suffix}",
            severity=verdict.severity,
            external_target=verdict.external_target,
            summary=f"a Gmail filter of {user} forwards matching mail to {target.label()}",
            reasons=verdict.reasons,
            evidence={k: v for k, v in record.fields.items()},
            fix=fixes.gam_delete_filter(user, filter_id),
        )
