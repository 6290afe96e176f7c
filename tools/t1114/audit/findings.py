"""A finding: what was seen, how bad it is, and how to undo it.

Ids hash what the finding is about (the export's kind, the object, the finding type and the
target), never the file name or the row order, so the same configuration audited twice, from
files named differently or exported in another order, gives the same ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

MITIGATION = "M1047"
SEVERITIES = ("informational", "low", "medium", "high", "critical")
RANK = {name: i for i, name in enumerate(SEVERITIES)}


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
    reasons: list[str] = field(default_factory=list)
    new: bool | None = None  # set by a baseline comparison

    def __post_init__(self) -> None:
        if self.severity not in RANK:
            raise ValueError(f"unknown severity {self.severity!r}")

    @property
    def id(self) -> str:
        return finding_id(self.source_kind, self.object, self.finding, self.external_target)

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
    return (-f.rank, (f.mailbox or "").lower(), f.object.lower(), f.finding, f.external_target or "")
