"""The ES|QL verifier, with Elastic's ES|QL parser, and the pack's ES|QL emission."""

import pytest
from sigma.collection import SigmaCollection

from t1114.events import Event, flatten
from t1114.targets import all_targets
from t1114.verify import _elastic_types, esql
from t1114.verify.base import Context, QuerySyntaxError, Unverifiable

CTX = Context("elastic", ("@timestamp",), field_types=_elastic_types())


def ev(t, action, user, dataset="o365.audit"):
    return {"@timestamp": t, "data_stream": {"dataset": dataset}, "event": {"action": action}, "user": {"id": user}}


def run(query, *docs):
    return esql.evaluate(esql.parse(query), [Event(i, flatten(d)) for i, d in enumerate(docs)], CTX)


def test_comparisons_are_case_sensitive_and_three_valued():
    docs = (ev("2026-01-01T10:00:00Z", "Set-Mailbox", "a"), ev("2026-01-01T10:00:00Z", "set-mailbox", "a"), {"data_stream": {"dataset": "o365.audit"}})
    assert run('from * | where event.action == "Set-Mailbox"', *docs) == {0}
    assert run('from * | where to_lower(event.action) == "set-mailbox"', *docs) == {0, 1}
    assert run('from * | where not event.action like "Set*"', *docs) == {1}  # the null row drops out
    assert run('from logs-other-* | where event.action is not null', *docs) == set()


def test_like_escapes_with_backslash():
    doc = {"data_stream": {"dataset": "o365.audit"}, "event": {"action": "C:\\dir\\*x"}}
    assert run('from * | where event.action like "C:\\\\\\\\dir*"', doc) == {0}
    assert run('from * | where event.action like "C:\\\\dir*"', doc) == set()  # \d is an escaped d
    assert run('from * | where event.action like "*\\\\*x"', doc) == {0}


def test_stats_groups_by_buckets_and_exact_keys():
    q = "from * | eval b=date_trunc(1 hour, @timestamp) | stats n=count() by b, user.id | where n >= 2"
    same_hour = (ev("2026-01-01T10:05:00Z", "x", "u"), ev("2026-01-01T10:55:00Z", "x", "u"))
    across_edge = (ev("2026-01-01T10:55:00Z", "x", "u"), ev("2026-01-01T11:05:00Z", "x", "u"))
    case_differs = (ev("2026-01-01T10:05:00Z", "x", "u"), ev("2026-01-01T10:15:00Z", "x", "U"))
    assert run(q, *same_hour) == {0, 1}
    assert run(q, *across_edge) == set()  # fixed buckets, not a sliding window
    assert run(q, *case_differs) == set()


def test_pack_emission_ignores_case_and_lowers_group_keys():
    text = """
title: one
id: 6a1f0c11-0000-4000-8000-000000000001
name: one
status: test
logsource: {product: m365, service: exchange}
detection:
  sel: {Operation: Set-Mailbox}
  condition: sel
level: low
---
title: many
id: 6a1f0c11-0000-4000-8000-000000000002
name: many
status: test
correlation: {type: event_count, rules: [one], group-by: [UserId], timespan: 1h, condition: {gte: 2}}
level: high
"""
    collection = SigmaCollection.from_yaml(text)
    collection.resolve_rule_references()
    compiled = all_targets()["elastic"].compile_rule(collection, "6a1f0c11-0000-4000-8000-000000000002")
    assert compiled.language == "esql"
    assert "to_lower(event.action)==\"set-mailbox\"" in compiled.text
    assert "t1114_key0=to_lower(to_string(user.id))" in compiled.text
    docs = (ev("2026-01-01T10:05:00Z", "set-mailbox", "Alice"), ev("2026-01-01T10:15:00Z", "SET-MAILBOX", "alice"))
    for d in docs:
        d["event"]["provider"] = "exchange"
    assert run(compiled.text, *docs) == {0, 1}


def test_pack_emission_negates_a_missing_field_as_sigma_does():
    from t1114.targets.elastic import PackEsqlBackend

    rule = SigmaCollection.from_yaml(
        """
title: n
id: 6a1f0c11-0000-4000-8000-000000000003
name: n
status: test
logsource: {product: m365, service: exchange}
detection:
  sel: {Operation: Set-Mailbox}
  filter: {UserId|startswith: 'NT AUTHORITY'}
  condition: sel and not filter
level: low
"""
    )
    (query,) = PackEsqlBackend(processing_pipeline=all_targets()["elastic"].query_pipeline()).convert(rule)
    assert "not coalesce((" in query
    base = {"data_stream": {"dataset": "o365.audit"}, "event": {"action": "Set-Mailbox", "provider": "Exchange"}}
    system = {**base, "user": {"id": "NT AUTHORITY\\SYSTEM"}}
    assert run(query, base, system) == {0}


def test_syntax_errors_and_unmodelled_commands():
    with pytest.raises(QuerySyntaxError):
        esql.parse("from * | where x ==")
    with pytest.raises(Unverifiable):
        run("from * | mv_expand user.id", ev("2026-01-01T10:05:00Z", "x", "u"))
