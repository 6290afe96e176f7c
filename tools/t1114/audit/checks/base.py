"""What every check shares: the context it runs in, and the judgement of one forwarding
target (external or not, effective or not, hidden or not) into a finding type and severity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from t1114.audit.errors import AuditInputError
from t1114.audit.findings import Finding, raise_severity, technique_of
from t1114.audit.readers import Record, Table
from t1114.audit.recipients import LostValues, Recipient, parse_recipients
from t1114.audit.shapes import Shape
from t1114.audit.tenant import Effect, Tenant

# Folders attackers move mail to so the owner does not see it (Microsoft's and CISA's
# guidance on malicious inbox rules name these).
HIDING_FOLDERS = (
    "rss feeds",
    "rss subscriptions",
    "rss",
    "archive",
    "conversation history",
    "deleted items",
    "junk email",
    "junk e-mail",
    "deleteditems",
    "junkemail",
    "conversationhistory",
)
NO_WORDS = re.compile(r"^[\W_]*$")


@dataclass
class Context:
    table: Table
    shape: Shape
    tenant: Tenant

    def finding(self, record: Record, **kw: Any) -> Finding:
        return Finding(
            source_file=str(self.table.path),
            line=record.line,
            source_kind=self.shape.kind,
            technique=technique_of(kw["finding"]),
            **kw,
        )

    def recipients(self, record: Record, column: str) -> list[Recipient] | AuditInputError:
        try:
            return parse_recipients(record.get(column))
        except LostValues as e:
            return AuditInputError(
                self.table.path,
                f"column {column} holds the type name '{e}', not the "
                f"addresses; export it joined, e.g. @{{n='{column}';e={{$_.{column} -join ';'}}}}",
                record.line,
            )

    def context_value(self, *names: str) -> Any:
        lower = {k.lower(): v for k, v in self.table.context.items()}
        return next((lower[n.lower()] for n in names if lower.get(n.lower())), None)


def folder_hides(folder: Any) -> bool:
    if not folder:
        return False
    name = str(folder).rsplit(":\\", 1)[-1].rsplit("\\", 1)[-1].strip().lower()
    return name in HIDING_FOLDERS


def name_hides(name: Any) -> bool:
    """A rule named only with punctuation or spaces, so it reads as nothing in a list."""
    return bool(name) and bool(NO_WORDS.match(str(name)))


@dataclass(frozen=True)
class Verdict:
    suffix: str  # forwards_external, forwards_internal, ...
    severity: str
    external_target: str | None
    reasons: list[str]


def judge_forward(
    tenant: Tenant,
    recipient: Recipient,
    *,
    sender: str | None,
    enabled: bool,
    hiding: list[str],
    effect: Effect | None = None,
) -> Verdict:
    """One forwarding target of a mailbox, rule or filter.

    External and enabled: high; critical when the exports show forwarding is allowed out, or
    when the mail is also hidden; medium when a remote domain or the outbound policy blocks
    automatic forwarding (high when hidden too). Disabled or internal: reported low or
    informational, never as external forwarding.
    """
    target = tenant.resolve(recipient)
    reasons = [target.reason]
    if target.external is False:
        return Verdict("forwards_internal", "informational", None, reasons + hiding)
    if target.external is None:
        severity = "medium" if enabled else "low"
        if not enabled:
            reasons.append("the rule is disabled")
        return Verdict(
            "forwards_unresolved",
            raise_severity(severity) if hiding and enabled else severity,
            None,
            reasons + hiding,
        )
    address = target.address or recipient.label()
    if tenant.is_allowed_target(address):
        return Verdict(
            "forwards_allowed_target",
            "informational",
            address,
            reasons + [f"{address} is listed in allowed_forwarding_targets"],
        )
    if not enabled:
        return Verdict(
            "disabled_forwards_external",
            "low",
            address,
            reasons + ["disabled: nothing is forwarded now"],
        )
    if effect is None:
        effect = tenant.effect(sender, address.split("@")[-1] if "@" in address else None)
    reasons += list(effect.reasons)
    severity = {"allowed": "critical", "blocked": "medium"}.get(effect.state, "high")
    if effect.state == "ambiguous":
        reasons.append(
            "ambiguous: whether automatic forwarding leaves the tenant "
            "cannot be told from the exports"
        )
    if hiding:
        severity = raise_severity(severity)
        reasons += hiding
    return Verdict("forwards_external", severity, address, reasons)
