"""Two audits compared through stable ids."""

from __future__ import annotations

import json

import pytest

from audit_helpers import tenant_audit
from t1114.audit import render
from t1114.audit.baseline import compare, load_baseline
from t1114.audit.errors import AuditInputError
from t1114.audit.run import AuditResult


def test_new_and_resolved(tmp_path):
    findings = tenant_audit().findings
    old = findings[1:] + []
    previous = tmp_path / "previous.jsonl"
    previous.write_text(
        render.jsonl(AuditResult(old, []))
        + json.dumps({"id": "gone0000", "finding": "x", "object": "y", "severity": "low"})
        + "\n"
    )
    fresh = [f.__class__(**{**f.__dict__, "new": None}) for f in findings]
    resolved = compare(fresh, load_baseline(previous))
    assert [f.id for f in fresh if f.new] == [findings[0].id]
    assert [d["id"] for d in resolved] == ["gone0000"]


def test_a_baseline_that_is_not_an_audit(tmp_path):
    bad = tmp_path / "b.jsonl"
    bad.write_text('{"id": "a"}\n{"no": "id"}\n')
    with pytest.raises(AuditInputError) as e:
        load_baseline(bad)
    assert e.value.line == 2
