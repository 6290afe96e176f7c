"""What changed since the last audit: its JSON Lines output is the baseline, and finding ids
are stable, so a finding whose id the baseline holds is not new."""

from __future__ import annotations

import json
from pathlib import Path

from t1114.audit.errors import AuditInputError
from t1114.audit.findings import Finding


def load_baseline(path: Path) -> dict[str, dict]:
    """The baseline's findings by id."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise AuditInputError(
            path, f"cannot read the baseline: {getattr(e, 'strerror', None) or e}"
        ) from None
    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as e:
            raise AuditInputError(path, f"not a t1114 audit JSON Lines file: {e.msg}", n) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            raise AuditInputError(path, "not a t1114 audit finding (no 'id')", n)
        out[doc["id"]] = doc
    return out


def compare(findings: list[Finding], baseline: dict[str, dict]) -> list[dict]:
    """Mark each finding new or not; return the baseline's findings that are gone."""
    current = set()
    for f in findings:
        f.new = f.id not in baseline
        current.add(f.id)
    return [doc for fid, doc in sorted(baseline.items()) if fid not in current]
