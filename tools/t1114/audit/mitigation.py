"""M1047 in the coverage layer: the techniques ``t1114 audit`` looks for evidence of, and the
finding types that are that evidence, taken from the finding registry."""

from __future__ import annotations

from t1114.audit.findings import FINDING_TECHNIQUES, MITIGATION

MITIGATION_NAME = "Audit"
IMPLEMENTATION = "t1114 audit"


def mitigation_coverage() -> dict[str, dict]:
    techniques: dict[str, list[str]] = {}
    for finding, technique in sorted(FINDING_TECHNIQUES.items()):
        techniques.setdefault(technique, []).append(finding)
    return {
        MITIGATION: {
            "name": MITIGATION_NAME,
            "implementation": IMPLEMENTATION,
            "documentation": "docs/audit.md",
            "techniques": techniques,
        }
    }


def technique_note(technique: str) -> str | None:
    """A sentence for the technique's entry in the Navigator layer, when the audit covers it."""
    findings = FINDING_TECHNIQUES.values()
    if technique not in findings:
        return None
    count = sum(1 for t in findings if t == technique)
    return f"{MITIGATION} {MITIGATION_NAME}: {IMPLEMENTATION} reports {count} finding types"
