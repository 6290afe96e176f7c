"""Finding ids hash what a finding is about, not where it was read."""

from __future__ import annotations

import pytest

from audit_helpers import TENANT, TUNING, tenant_audit
from t1114.audit.findings import (
    FINDING_TECHNIQUES,
    Finding,
    finding_id,
    raise_severity,
    technique_of,
)
from t1114.audit.run import audit_paths, tenant_from_tuning


def test_ids_ignore_file_names_and_row_order(tmp_path):
    lines = (TENANT / "mailboxes.csv").read_text().splitlines(keepends=True)
    (tmp_path / "renamed-export.csv").write_text(lines[0] + "".join(reversed(lines[1:])))
    for name in (
        "accepted_domains.csv",
        "recipients.json",
        "remote_domains.json",
        "outbound_policies.jsonl",
        "outbound_rules.csv",
    ):
        (tmp_path / f"copy-{name}").write_bytes((TENANT / name).read_bytes())
    again = audit_paths([tmp_path], tenant_from_tuning(TUNING))
    original = {f.id for f in tenant_audit().findings if f.source_file.endswith("mailboxes.csv")}
    assert {f.id for f in again.findings if f.source_kind == "exchange.mailbox"} == original
    assert len(original) == 7  # every mailbox but Hal's, which forwards nothing


def test_ids_are_unique_in_one_audit():
    ids = [f.id for f in tenant_audit().findings]
    assert len(ids) == len(set(ids))


def test_id_depends_on_kind_object_finding_target():
    base = finding_id("exchange.inbox_rule", "A\\1", "inbox_rule_forwards_external", "x@y.example")
    assert base == finding_id(
        "exchange.inbox_rule", "a\\1 ", "inbox_rule_forwards_external", "X@y.example"
    )
    assert base != finding_id(
        "exchange.inbox_rule", "A\\1", "inbox_rule_forwards_external", "z@y.example"
    )
    assert base != finding_id(
        "graph.message_rule", "A\\1", "inbox_rule_forwards_external", "x@y.example"
    )


def test_severities_and_registry():
    assert raise_severity("high") == "critical" and raise_severity("critical") == "critical"
    with pytest.raises(ValueError):
        technique_of("not_a_finding")
    with pytest.raises(ValueError):
        Finding(
            "f", 1, "k", "o", "inbox_rule_forwards_external", "severe", "T1114.003", "s", {}, "fix"
        )
    produced = {f.finding for f in tenant_audit().findings}
    assert produced <= set(FINDING_TECHNIQUES)
    assert all(f.technique == FINDING_TECHNIQUES[f.finding] for f in tenant_audit().findings)
