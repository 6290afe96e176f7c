"""Checks of Exchange Online / Exchange Server exports."""

from __future__ import annotations

from collections.abc import Iterator

from t1114.audit import fixes
from t1114.audit.checks.base import Context, folder_hides, judge_forward, name_hides
from t1114.audit.errors import AuditInputError
from t1114.audit.findings import Finding
from t1114.audit.readers import Record
from t1114.audit.recipients import LostValues, parse_recipient
from t1114.audit.tenant import truthy

Out = Iterator["Finding | AuditInputError"]
FORWARD_COLUMNS = ("ForwardTo", "ForwardAsAttachmentTo", "RedirectTo")
SELF = ("nt authority\\self", "s-1-5-10")


def _sender(ctx: Context, mailbox: str | None) -> str | None:
    """The mailbox's SMTP address, for choosing the outbound policy that applies to it."""
    if not mailbox:
        return None
    if "@" in mailbox:
        return mailbox.lower()
    entry = ctx.tenant.lookup(mailbox)
    return next(iter(sorted(entry.addresses)), None) if entry else None


def rule_hiding(name: object, delete: bool, mark_read: bool, folder: object) -> list[str]:
    hiding = []
    if delete:
        hiding.append("hides mail: the rule deletes it")
    if mark_read:
        hiding.append("hides mail: the rule marks it read")
    if folder_hides(folder):
        hiding.append(f"hides mail: the rule moves it to {folder}")
    if name_hides(name):
        hiding.append(f"hides itself: the rule's name {str(name)!r} has no letters or digits")
    return hiding


def forwarding_findings(
    ctx: Context,
    record: Record,
    *,
    kind: str,
    obj: str,
    mailbox: str | None,
    targets: list,
    enabled: bool,
    hiding: list[str],
    fix: str,
    evidence: dict,
    what: str,
) -> Out:
    """Findings for the forwarding targets of one rule or mailbox, one per target."""
    seen = set()
    sender = _sender(ctx, mailbox)
    for column, recipient in targets:
        verdict = judge_forward(
            ctx.tenant, recipient, sender=sender, enabled=enabled, hiding=hiding
        )
        key = (verdict.suffix, verdict.external_target or recipient.label())
        if key in seen:
            continue
        seen.add(key)
        yield ctx.finding(
            record,
            object=obj,
            mailbox=mailbox,
            finding=f"{kind}_{verdict.suffix}",
            severity=verdict.severity,
            external_target=verdict.external_target,
            subject=recipient.label(),
            summary=f"{what} {column} {recipient.label()}",
            reasons=verdict.reasons,
            evidence=evidence,
            fix=fix,
        )


def inbox_rules(ctx: Context) -> Out:
    for record in ctx.table.records:
        # The raw value: a name of only spaces is one of the ways a rule hides in a list.
        name = record.get("Name") if isinstance(record.get("Name"), str) else record.text("Name")
        identity = record.text("Identity")
        owner = record.text("MailboxOwnerId") or (identity.split("\\")[0] if identity else None)
        mailbox = str(owner) if owner else None
        enabled = truthy(record.get("Enabled")) is not False
        hiding = rule_hiding(
            name,
            bool(truthy(record.get("DeleteMessage")) or truthy(record.get("SoftDeleteMessage"))),
            bool(truthy(record.get("MarkAsRead"))),
            record.get("MoveToFolder"),
        )
        targets, broken = [], False
        for column in FORWARD_COLUMNS:
            got = ctx.recipients(record, column)
            if isinstance(got, AuditInputError):
                yield got
                broken = True
                continue
            targets += [(column, r) for r in got]
        obj = str(identity) if identity else f"{mailbox}\\{name}"
        evidence = record.pick(
            "Name",
            "Identity",
            "MailboxOwnerId",
            "Enabled",
            "Priority",
            *FORWARD_COLUMNS,
            "SendTextMessageNotificationTo",
            "DeleteMessage",
            "SoftDeleteMessage",
            "MarkAsRead",
            "MoveToFolder",
            "StopProcessingRules",
            "Description",
        )
        fix = fixes.inbox_rule(
            str(identity) if identity else None, mailbox, str(name) if name else None
        )
        yield from rule_findings(
            ctx,
            record,
            obj=obj,
            mailbox=mailbox,
            name=name,
            targets=targets,
            enabled=enabled,
            hiding=hiding,
            fix=fix,
            evidence=evidence,
            broken=broken,
        )
        sms = ctx.recipients(record, "SendTextMessageNotificationTo")
        if isinstance(sms, AuditInputError):
            yield sms
        elif sms:
            yield ctx.finding(
                record,
                object=obj,
                mailbox=mailbox,
                finding="inbox_rule_text_message_notification",
                severity="medium" if enabled else "low",
                summary=f"inbox rule {name!r} of {mailbox} texts message details to "
                f"{', '.join(r.label() for r in sms)}",
                reasons=["message notifications by text message leave the tenant"]
                + ([] if enabled else ["disabled"]),
                evidence=evidence,
                fix=fix,
            )


def rule_findings(
    ctx: Context,
    record: Record,
    *,
    obj: str,
    mailbox: str | None,
    name: object,
    targets: list,
    enabled: bool,
    hiding: list[str],
    fix: str,
    evidence: dict,
    broken: bool = False,
) -> Out:
    """An inbox rule's findings, whoever exported it (Get-InboxRule or Graph): one per
    forwarding target, and a hiding finding when it hides mail without forwarding it out."""
    found = list(
        forwarding_findings(
            ctx,
            record,
            kind="inbox_rule",
            obj=obj,
            mailbox=mailbox,
            targets=targets,
            enabled=enabled,
            hiding=hiding,
            fix=fix,
            evidence=evidence,
            what=f"inbox rule {name!r} of {mailbox}:",
        )
    )
    yield from found
    forwards_out = any(
        isinstance(f, Finding) and f.finding.endswith(("_external", "_unresolved")) for f in found
    )
    if not hiding or broken or forwards_out:
        return
    strong = any(h.startswith("hides itself") or "moves it" in h for h in hiding)
    yield ctx.finding(
        record,
        object=obj,
        mailbox=mailbox,
        finding="inbox_rule_hides_mail",
        severity=("medium" if strong else "low") if enabled else "low",
        summary=f"inbox rule {name!r} of {mailbox} hides mail from its owner",
        reasons=hiding + ([] if enabled else ["the rule is disabled"]),
        evidence=evidence,
        fix=fix,
    )


def mailboxes(ctx: Context) -> Out:
    for record in ctx.table.records:
        mailbox = record.text("UserPrincipalName", "PrimarySmtpAddress", "Identity", "Name")
        deliver = truthy(record.get("DeliverToMailboxAndForward"))
        evidence = record.pick(
            "Identity",
            "UserPrincipalName",
            "PrimarySmtpAddress",
            "RecipientTypeDetails",
            "ForwardingSmtpAddress",
            "ForwardingAddress",
            "DeliverToMailboxAndForward",
        )
        targets = []
        for column in ("ForwardingAddress", "ForwardingSmtpAddress"):
            try:
                r = parse_recipient(record.get(column))
            except LostValues as e:
                yield AuditInputError(
                    ctx.table.path, f"column {column} holds the type name '{e}'", record.line
                )
                continue
            if r is not None:
                targets.append((column, r))
        hiding = (
            ["hides mail: DeliverToMailboxAndForward is False, the mailbox keeps no copy"]
            if deliver is False
            else []
        )
        fix = fixes.mailbox_forwarding(mailbox)
        if not targets:
            if deliver:
                yield ctx.finding(
                    record,
                    object=mailbox,
                    mailbox=mailbox,
                    finding="mailbox_forwarding_cleared",
                    severity="low",
                    summary=f"mailbox {mailbox} has no forwarding address left but "
                    "DeliverToMailboxAndForward is still True",
                    reasons=[
                        "a cleared forwarding: nothing is forwarded now; "
                        "the leftover flag shows it was"
                    ],
                    evidence=evidence,
                    fix=fix,
                )
            continue
        yield from forwarding_findings(
            ctx,
            record,
            kind="mailbox",
            obj=mailbox,
            mailbox=mailbox,
            targets=targets,
            enabled=True,
            hiding=hiding,
            fix=fix,
            evidence=evidence,
            what=f"mailbox {mailbox} forwards all mail:",
        )


TRANSPORT_ACTIONS = {
    "BlindCopyTo": True,
    "RedirectMessageTo": True,
    "CopyTo": False,
    "AddToRecipients": False,
}


def transport_rules(ctx: Context) -> Out:
    for record in ctx.table.records:
        name = record.text("Name", "Identity")
        state = (record.text("State") or "Enabled").strip().lower()
        mode = (record.text("Mode") or "Enforce").strip().lower()
        enabled = state == "enabled" and mode == "enforce"
        evidence = record.pick(
            "Name",
            "Identity",
            "State",
            "Mode",
            "Priority",
            *TRANSPORT_ACTIONS,
            "SentToScope",
            "FromScope",
            "Description",
        )
        for column, silent in TRANSPORT_ACTIONS.items():
            got = ctx.recipients(record, column)
            if isinstance(got, AuditInputError):
                yield got
                continue
            for recipient in got:
                target = ctx.tenant.resolve(recipient)
                reasons = [target.reason]
                if target.external is False:
                    finding, severity, external = (
                        "transport_rule_forwards_internal",
                        "informational",
                        None,
                    )
                elif target.external is None:
                    finding, severity, external = (
                        "transport_rule_forwards_unresolved",
                        "medium",
                        None,
                    )
                else:
                    external = target.address
                    if ctx.tenant.is_allowed_target(external or ""):
                        finding, severity = (
                            "transport_rule_forwards_allowed_target",
                            "informational",
                        )
                        reasons.append(f"{external} is listed in allowed_forwarding_targets")
                    else:
                        finding = "transport_rule_forwards_external"
                        severity = "critical" if silent else "high"
                        reasons.append(
                            "transport rules are not held back by remote domain or outbound spam "
                            "policy auto-forwarding settings"
                        )
                        if silent:
                            reasons.append(f"{column}: recipients do not see the copy")
                if not enabled and finding != "transport_rule_forwards_internal":
                    severity = "low" if severity != "informational" else severity
                    reasons.append(
                        f"not applied now: State {record.get('State') or 'Enabled'}, "
                        f"Mode {record.get('Mode') or 'Enforce'}"
                    )
                yield ctx.finding(
                    record,
                    object=name,
                    finding=finding,
                    severity=severity,
                    external_target=external,
                    subject=f"{column} {recipient.label()}",
                    summary=f"transport rule {name!r} {column} {recipient.label()}",
                    reasons=reasons,
                    evidence=evidence,
                    fix=fixes.transport_rule(name, [column]),
                )


def remote_domains(ctx: Context) -> Out:
    for record in ctx.table.records:
        if truthy(record.get("AutoForwardEnabled")) is not True:
            continue
        domain = record.text("DomainName")
        identity = str(record.first("Identity", "Name") or domain)
        internal = domain != "*" and ctx.tenant.is_internal_domain(domain.lstrip("*."))
        severity = "medium" if domain == "*" else ("informational" if internal else "low")
        yield ctx.finding(
            record,
            object=identity,
            finding="remote_domain_allows_auto_forward",
            severity=severity,
            summary=f"remote domain {identity} ({domain}) lets automatic forwarding out",
            reasons=[
                "the default remote domain covers every outside domain"
                if domain == "*"
                else f"covers {domain} only" + (" (an internal domain)" if internal else "")
            ],
            evidence=record.pick("Identity", "Name", "DomainName", "AutoForwardEnabled"),
            fix=fixes.remote_domain(identity),
        )


def outbound_policies(ctx: Context) -> Out:
    for record in ctx.table.records:
        mode = record.text("AutoForwardingMode")
        identity = record.text("Identity", "Name")
        evidence = record.pick("Identity", "Name", "AutoForwardingMode", "IsDefault", "Enabled")
        if mode.lower() == "on":
            finding, severity, reasons = (
                "outbound_policy_allows_auto_forward",
                "medium",
                ["AutoForwardingMode On lets inbox rules and mailbox forwarding send mail outside"],
            )
        elif mode.lower() == "off":
            continue
        else:
            finding, severity, reasons = (
                "outbound_policy_auto_forward_ambiguous",
                "low",
                [
                    f"AutoForwardingMode {mode or '(empty)'}: ambiguous, "
                    "Microsoft decides what is allowed "
                    "(today the same as Off, but not set by you)"
                ],
            )
        yield ctx.finding(
            record,
            object=identity,
            finding=finding,
            severity=severity,
            summary=f"outbound spam policy {identity} has AutoForwardingMode {mode or '(empty)'}",
            reasons=reasons,
            evidence=evidence,
            fix=fixes.outbound_policy(identity),
        )


def _rights(value: object) -> list[str]:
    if value is None:
        return []
    items = (
        value if isinstance(value, list) else str(value).strip("{}").replace(";", ",").split(",")
    )
    return [str(i).strip() for i in items if str(i).strip()]


def _account_judgement(ctx: Context, account: str, base: str) -> tuple[str, list[str]] | None:
    """None for the system's own accounts; informational for those the tuning expects."""
    if account.lower() in SELF or account.upper().startswith("S-1-5-"):
        return None
    known = ctx.tenant.is_known_account(account)
    if known == "service":
        return None
    if known == "admin":
        return "informational", [f"{account} is listed in admin_accounts"]
    if "#ext#" in account.lower() or (
        "@" in account and not ctx.tenant.is_internal_domain(account.split("@")[1])
    ):
        return "high", [f"{account} is a guest or outside account"]
    return base, []


def _grant(
    ctx: Context,
    record: Record,
    *,
    holder: str,
    rights: list[str],
    finding: str,
    base: str,
    summary: str,
    columns: tuple[str, ...],
    fix: str,
) -> Out:
    """A finding for an explicit grant, judged by who holds it (nothing for the system's own)."""
    judged = _account_judgement(ctx, holder, base)
    if judged is None:
        return
    identity = record.text("Identity")
    yield ctx.finding(
        record,
        object=identity,
        mailbox=identity,
        finding=finding,
        severity=judged[0],
        subject=holder,
        summary=summary,
        reasons=["an explicit, not inherited, grant"] + judged[1],
        evidence=record.pick("Identity", *columns),
        fix=fix,
    )


MAILBOX_RIGHTS = ("fullaccess", "changepermission", "changeowner", "readpermission")


def mailbox_permissions(ctx: Context) -> Out:
    for record in ctx.table.records:
        if truthy(record.get("IsInherited")) or truthy(record.get("Deny")):
            # Inherited entries come from the organisation's own groups; deny grants nothing.
            continue
        user = record.text("User")
        wanted = [r for r in _rights(record.get("AccessRights")) if r.lower() in MAILBOX_RIGHTS]
        if not user or not wanted:
            continue
        identity = record.text("Identity")
        yield from _grant(
            ctx,
            record,
            holder=user,
            rights=wanted,
            finding="mailbox_permission_delegate",
            base="medium" if any(r.lower() != "readpermission" for r in wanted) else "low",
            summary=f"{user} holds {', '.join(wanted)} on mailbox {identity}",
            columns=("User", "AccessRights", "IsInherited", "Deny", "InheritanceType"),
            fix=fixes.mailbox_permission(identity, user, wanted),
        )


def recipient_permissions(ctx: Context) -> Out:
    for record in ctx.table.records:
        allow = (record.text("AccessControlType") or "Allow").lower() == "allow"
        if truthy(record.get("IsInherited")) or not allow:
            continue
        trustee = record.text("Trustee")
        rights = [r for r in _rights(record.get("AccessRights")) if r.lower() == "sendas"]
        if not trustee or not rights:
            continue
        identity = record.text("Identity")
        yield from _grant(
            ctx,
            record,
            holder=trustee,
            rights=rights,
            finding="recipient_permission_send_as",
            base="low",
            summary=f"{trustee} may send as {identity}",
            columns=("Trustee", "AccessRights", "AccessControlType", "IsInherited"),
            fix=fixes.recipient_permission(identity, trustee, rights),
        )


NON_MAIL_FOLDERS = ("calendar", "contacts", "tasks", "notes", "journal")
HARMLESS_RIGHTS = ("none", "availabilityonly", "limiteddetails")


def folder_permissions(ctx: Context) -> Out:
    for record in ctx.table.records:
        identity = record.text("Identity")
        folder = str(
            record.first("FolderName") or identity.split(":\\", 1)[-1] or "Top of Information Store"
        )
        if folder.strip().lower() in NON_MAIL_FOLDERS:
            continue
        user = record.text("User")
        rights = [
            r for r in _rights(record.get("AccessRights")) if r.lower() not in HARMLESS_RIGHTS
        ]
        if not user or not rights:
            continue
        mailbox = identity.split(":\\", 1)[0]
        evidence = record.pick(
            "Identity", "FolderName", "User", "AccessRights", "SharingPermissionFlags"
        )
        if user.lower() in ("default", "anonymous"):
            finding = "mailbox_folder_open_to_everyone"
            severity = "critical" if user.lower() == "anonymous" else "high"
            reasons = [
                f"'{user}' is every "
                + ("unauthenticated user" if severity == "critical" else "user in the organisation")
            ]
        else:
            judged = _account_judgement(ctx, user, "medium")
            if judged is None:
                continue
            finding, severity, reasons = "mailbox_folder_delegate", judged[0], judged[1]
        yield ctx.finding(
            record,
            object=identity,
            mailbox=mailbox,
            finding=finding,
            severity=severity,
            subject=user,
            summary=f"{user} holds {', '.join(rights)} on folder {folder} of {mailbox}",
            reasons=reasons,
            evidence=evidence,
            fix=fixes.folder_permission(identity, user),
        )


COLLECTION_ROLES = {
    "mailbox import export": "exports any mailbox to a PST (New-MailboxExportRequest)",
    "applicationimpersonation": "acts as any mailbox through EWS",
}


def role_assignments(ctx: Context) -> Out:
    for record in ctx.table.records:
        role = record.text("Role")
        if role.lower() not in COLLECTION_ROLES:
            continue
        name = record.text("Name", "Identity")
        assignee = record.text("RoleAssigneeName", "RoleAssignee", "EffectiveUserName")
        delegation = record.text("RoleAssignmentDelegationType") or "Regular"
        evidence = record.pick(
            "Name",
            "Role",
            "RoleAssigneeName",
            "RoleAssignee",
            "RoleAssigneeType",
            "RoleAssignmentDelegationType",
            "Enabled",
            "CustomRecipientWriteScope",
            "RecipientWriteScope",
        )
        reasons = [f"{role} {COLLECTION_ROLES[role.lower()]}"]
        if delegation.lower() != "regular":
            severity = "informational"
            reasons.append(
                f"a {delegation} assignment: it lets {assignee} assign the role, not use it"
            )
        elif truthy(record.get("Enabled")) is False:
            severity = "low"
            reasons.append("the assignment is disabled")
        else:
            known = ctx.tenant.is_known_account(assignee)
            severity = "informational" if known else "high"
            if known:
                reasons.append(f"{assignee} is listed in {known}_accounts")
        yield ctx.finding(
            record,
            object=name,
            finding="role_assignment_" + role.lower().replace(" ", "_"),
            severity=severity,
            summary=f"{assignee} is assigned {role} ({name})",
            reasons=reasons,
            evidence=evidence,
            fix=fixes.role_assignment(name),
        )
