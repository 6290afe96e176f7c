"""Text, JSON Lines and CSV output, and writing a report all at once."""

from __future__ import annotations

import csv
import io
import json

import pytest

from audit_helpers import tenant_audit
from t1114.audit import render
from t1114.errors import PackError

KEYS = {
    "id",
    "source_file",
    "object",
    "finding",
    "severity",
    "external_target",
    "technique",
    "mitigation",
    "evidence",
    "fix",
}


def test_jsonl_holds_the_required_keys():
    lines = render.jsonl(tenant_audit()).splitlines()
    assert len(lines) == len(tenant_audit().findings)
    for line in lines:
        doc = json.loads(line)
        assert KEYS <= set(doc)
        assert doc["mitigation"] == "M1047"
        assert doc["severity"] in ("informational", "low", "medium", "high", "critical")
        assert doc["technique"].startswith("T1")


def test_csv_round_trips():
    rows = list(csv.DictReader(io.StringIO(render.csv_text(tenant_audit()))))
    assert [r["id"] for r in rows] == [f.id for f in tenant_audit().findings]
    assert json.loads(rows[0]["evidence"]) == tenant_audit().findings[0].evidence


def test_text_summary_counts_and_lists_fixes():
    out = render.text(tenant_audit())
    first = out.splitlines()[0]
    c = render.counts(tenant_audit())
    assert first.startswith(
        f"t1114 audit (M1047 Audit): {len(tenant_audit().findings)} findings "
        f"({c['critical']} critical"
    )
    assert (
        "    fix: Remove-InboxRule -Identity 'Bob Brown\\4317866021913853953' -Confirm:$false"
        in out
    )


def test_write_atomic_replaces_whole_or_not_at_all(tmp_path, monkeypatch):
    out = tmp_path / "report.jsonl"
    render.write_atomic(out, "old\n")
    assert out.read_text() == "old\n"

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(render.os, "replace", broken_replace)
    with pytest.raises(PackError, match="No space left"):
        render.write_atomic(out, "new\n")
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.jsonl"]
