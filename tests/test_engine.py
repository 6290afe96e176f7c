"""Sigma matching semantics as the engine reproduces them over SQLite."""

import pytest
from sigma.collection import SigmaCollection
from sigma.processing.pipeline import ProcessingPipeline

from t1114 import engine
from t1114.events import Event, flatten

BASE = """
title: T
id: {id}
name: {name}
logsource: {{product: test}}
detection:
{detection}
level: low
"""


def rule(detection: str, name="r", id="11111111-1111-4111-8111-111111111111") -> str:
    return BASE.format(detection=detection, name=name, id=id)


def matches(yaml_text: str, docs: list[dict]) -> list[int]:
    rules = engine.compile_sql(SigmaCollection.from_yaml(yaml_text), ProcessingPipeline())
    hits = engine.run(rules, [Event(i, flatten(d)) for i, d in enumerate(docs)], ["ts"])
    return sorted(i for h in hits for i in h.event_indices)


def test_equality_is_case_insensitive():
    r = rule("  sel:\n    Operation: New-InboxRule\n  condition: sel")
    assert matches(r, [{"Operation": "new-inboxrule"}, {"Operation": "Set-InboxRule"}]) == [0]


def test_contains_is_case_insensitive_and_unicode_aware():
    r = rule("  sel:\n    CommandLine|contains: NEW-MAILBOXEXPORTREQUEST\n  condition: sel")
    assert matches(
        r, [{"CommandLine": "x new-MailboxExportRequest y"}, {"CommandLine": "other"}]
    ) == [0]


def test_cased_modifier_stays_case_sensitive():
    r = rule("  sel:\n    CommandLine|cased|contains: Export\n  condition: sel")
    assert matches(r, [{"CommandLine": "Export"}, {"CommandLine": "export"}]) == [0]


def test_multivalue_field_matches_any_value():
    r = rule("  sel:\n    Parameters{}.Name: ForwardTo\n  condition: sel")
    docs = [
        {"Parameters{}.Name": ["Identity", "forwardto"]},
        {"Parameters{}.Name": ["Identity", "Name"]},
    ]
    assert matches(r, docs) == [0]


def test_numbers_compare_numerically():
    r = rule("  sel:\n    OperationCount|gte: 100\n  condition: sel")
    assert matches(
        r, [{"OperationCount": 50}, {"OperationCount": "250"}, {"OperationCount": 100}]
    ) == [1, 2]


def test_integer_value_matches_string_field():
    r = rule("  sel:\n    EventID: 4688\n  condition: sel")
    assert matches(r, [{"EventID": "4688"}, {"EventID": 4688}, {"EventID": 1}]) == [0, 1]


def test_absent_field_is_null_for_not_and_exists():
    r = rule("  sel:\n    A: x\n  f:\n    B|exists: true\n  condition: sel and not f")
    assert matches(r, [{"A": "x"}, {"A": "x", "B": "y"}]) == [0]


def test_regex_and_wildcards():
    r = rule(
        "  sel:\n    P|re: '^C:\\\\Users\\\\[^\\\\]+\\\\.+\\.pst$'\n  w:\n    Q: 'a?c*'\n  condition: sel or w"
    )
    docs = [{"P": "C:\\Users\\bob\\x.pst"}, {"Q": "ABCdef"}, {"Q": "abd"}]
    assert matches(r, docs) == [0, 1]


@pytest.mark.parametrize("gap_minutes, expected", [(30, True), (90, False)])
def test_temporal_correlation_window(gap_minutes, expected):
    a = rule(
        "  sel:\n    K: a\n  condition: sel", name="ra", id="11111111-1111-4111-8111-111111111112"
    )
    b = rule(
        "  sel:\n    K: b\n  condition: sel", name="rb", id="11111111-1111-4111-8111-111111111113"
    )
    corr = """
title: C
id: 11111111-1111-4111-8111-111111111114
correlation:
  type: temporal
  rules: [ra, rb]
  group-by: [U]
  timespan: 1h
level: high
"""
    docs = [
        {"K": "a", "U": "Alice", "ts": "2026-01-01T10:00:00Z"},
        {
            "K": "b",
            "U": "alice",
            "ts": f"2026-01-01T{10 + gap_minutes // 60:02d}:{gap_minutes % 60:02d}:00Z",
        },
        {"K": "b", "U": "bob", "ts": "2026-01-01T10:05:00Z"},
    ]
    rules = engine.compile_sql(
        SigmaCollection.from_yaml("---".join([a, b, corr])), ProcessingPipeline()
    )
    hits = [
        h
        for h in engine.run(rules, [Event(i, flatten(d)) for i, d in enumerate(docs)], ["ts"])
        if h.correlation
    ]
    assert bool(hits) is expected
    if expected:
        assert hits[0].event_indices == (0, 1)
        assert list(hits[0].group.values()) == ["alice"]


def test_timestamps_from_epoch_and_iso():
    assert engine.to_iso(1767261600) == engine.to_iso("2026-01-01T10:00:00Z")
    assert engine.to_iso(1767261600000) == engine.to_iso("2026-01-01T10:00:00+00:00")
    assert engine.to_iso("not a time") is None
