"""A finding: what was seen, how bad it is, and how to undo it.

Ids hash what the finding is about (the export's kind, the object, the finding type and the
target, or the subject where there is no target), never the file name or the row order, so the
same configuration audited twice, from files named differently or exported in another order,
gives the same ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

MITIGATION = "M1047"
SEVERITIES = ("informational", "low", "medium", "high", "critical")
RANK = {name: i for i, name in enumerate(SEVERITIES)}


# Every finding type and the ATT&CK technique it is evidence of, written once: checks take the
# technique from here, and the coverage layer lists M1047's implementation from it.
FINDING_TECHNIQUES: dict[str, str] = {
    **{
        f"{kind}_{suffix}": "T1114.003"
        for kind in ("inbox_rule", "mailbox", "transport_rule", "gmail", "gmail_filter")
        for suffix in (
            "forwards_external",
            "disabled_forwards_external",
            "forwards_unresolved",
            "forwards_internal",
            "forwards_allowed_target",
        )
    },
    "mailbox_forwarding_cleared": "T1114.003",
    "gmail_forwarding_cleared": "T1114.003",
    "gmail_forwarding_address_registered": "T1114.003",
    "inbox_rule_text_message_notification": "T1114.003",
    "remote_domain_allows_auto_forward": "T1114.003",
    "outbound_policy_allows_auto_forward": "T1114.003",
    "outbound_policy_auto_forward_ambiguous": "T1114.003",
    "app_can_set_mail_rules": "T1114.003",
    "inbox_rule_hides_mail": "T1564.008",
    "mailbox_permission_delegate": "T1098.002",
    "recipient_permission_send_as": "T1098.002",
    "mailbox_folder_open_to_everyone": "T1098.002",
    "mailbox_folder_delegate": "T1098.002",
    "role_assignment_mailbox_import_export": "T1114.002",
    "role_assignment_applicationimpersonation": "T1114.002",
    "app_has_mail_permission": "T1114.002",
}


def technique_of(finding: str) -> str:
    try:
        return FINDING_TECHNIQUES[finding]
    except KeyError:
        raise ValueError(
            f"finding type {finding!r} is not registered in FINDING_TECHNIQUES"
        ) from None


def raise_severity(severity: str, steps: int = 1) -> str:
    return SEVERITIES[max(0, min(len(SEVERITIES) - 1, RANK[severity] + steps))]


def finding_id(source_kind: str, obj: str, finding: str, target: str | None) -> str:
    key = "\x1f".join([source_kind, obj.strip().lower(), finding, (target or "").strip().lower()])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass
class Finding:
    source_file: str
    line: int | None
    source_kind: str
    object: str
    finding: str
    severity: str
    technique: str
    summary: str
    evidence: dict[str, Any]
    fix: str
    external_target: str | None = None
    mailbox: str | None = None
    # What the finding is about beside the object when there is no external target (an
    # internal target, the holder of a right, a permission): it keeps ids apart.
    subject: str | None = None
    reasons: list[str] = field(default_factory=list)
    new: bool | None = None  # set by a baseline comparison

    def __post_init__(self) -> None:
        if self.severity not in RANK:
            raise ValueError(f"unknown severity {self.severity!r}")

    @property
    def id(self) -> str:
        return finding_id(
            self.source_kind, self.object, self.finding, self.external_target or self.subject
        )

    @property
    def rank(self) -> int:
        return RANK[self.severity]

    def as_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "source_file": self.source_file,
            "line": self.line,
            "source_kind": self.source_kind,
            "object": self.object,
            "mailbox": self.mailbox,
            "finding": self.finding,
            "severity": self.severity,
            "external_target": self.external_target,
            "technique": self.technique,
            "mitigation": MITIGATION,
            "summary": self.summary,
            "reasons": list(self.reasons),
            "evidence": self.evidence,
            "fix": self.fix,
        }
        if self.new is not None:
            out["new"] = self.new
        return out


def sort_key(f: Finding) -> tuple:
    return (
        -f.rank,
        (f.mailbox or "").lower(),
        f.object.lower(),
        f.finding,
        f.external_target or "",
    )
