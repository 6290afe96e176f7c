"""Compiled queries per target for every rule of the pack."""

import pytest

from t1114 import schema
from t1114.targets import all_targets, applicable_rules, build_targets


def compiled(pack, target_name):
    """Rule name -> compiled query, for the rules the target applies to."""
    target = all_targets()[target_name]
    return {
        r.name: target.compile_rule(pack.collection([r]), r.id)
        for r in applicable_rules(target, pack)
    }


def test_targets_are_discovered():
    assert set(all_targets()) == {"native", "splunk", "splunk_cim", "elastic"}
    assert set(build_targets()) == {"splunk", "splunk_cim", "elastic"}


@pytest.mark.parametrize("target", ["splunk", "elastic"])
def test_every_rule_compiles(pack, target):
    for name, query in compiled(pack, target).items():
        assert query is not None and query.text.strip(), name


def test_only_sources_without_elastic_data_are_skipped_there(pack):
    skipped = {r.name for r in pack.rules} - {
        r.name for r in applicable_rules(all_targets()["elastic"], pack)
    }
    assert skipped == {"m365_message_trace_auto_forwarded_external"}
    assert applicable_rules(all_targets()["splunk"], pack) == pack.rules
    rule = pack.find("m365_message_trace_auto_forwarded_external")
    assert all_targets()["elastic"].compile_rule(pack.collection([rule]), rule.id) is None


def test_splunk_searches_start_with_the_source_macro(pack):
    for name, q in compiled(pack, "splunk").items():
        assert q.extra["macros"], name
        assert any(f"`{m}`" in q.text for m in q.extra["macros"]), name


def test_elastic_rules_are_pinned_to_data_streams(pack):
    for name, q in compiled(pack, "elastic").items():
        assert q.extra["index"] and all(i.startswith("logs-") for i in q.extra["index"]), name
        assert "data_stream.dataset" in q.text, name


@pytest.mark.parametrize("target", ["splunk", "elastic"])
def test_every_compiled_field_is_in_the_target_schema(pack, target):
    for name, q in compiled(pack, target).items():
        assert all_targets()[target].unknown_fields(q) == [], name


def test_an_unknown_field_is_reported(pack):
    from dataclasses import replace

    q = compiled(pack, "elastic")["m365_inbox_rule_forwarding"]
    bad = replace(q, fields=q.fields + ("o365.audit.NoSuchFieldAnywhere",))
    assert all_targets()["elastic"].unknown_fields(bad) == [
        "field 'o365.audit.NoSuchFieldAnywhere' is not in the schema of o365.audit"
    ]


ORDERED = """
title: Step One
id: 0f9d7a10-1111-4c1a-9a51-000000000001
name: step_one
logsource: {product: m365, service: exchange}
detection:
  sel: {Operation: MailItemsAccessed}
  condition: sel
level: low
---
title: Step Two
id: 0f9d7a10-1111-4c1a-9a51-000000000002
name: step_two
logsource: {product: m365, service: exchange}
detection:
  sel: {Operation: New-InboxRule}
  condition: sel
level: low
---
title: Ordered
id: 0f9d7a10-1111-4c1a-9a51-000000000003
name: ordered
correlation:
  type: temporal_ordered
  rules: [step_one, step_two]
  group-by: [UserId]
  timespan: 30m
level: high
"""


def _compile_text(target_name, yaml_text, rule_id):
    from sigma.collection import SigmaCollection

    collection = SigmaCollection.from_yaml(yaml_text)
    collection.resolve_rule_references()
    return all_targets()[target_name].compile_rule(collection, rule_id)


def test_temporal_ordered_on_elastic_is_one_windowed_sequence():
    q = _compile_text("elastic", ORDERED, "0f9d7a10-1111-4c1a-9a51-000000000003")
    assert len(q.queries) == 1
    lines = q.queries[0].splitlines()
    assert lines[0] == "sequence by user.id with maxspan=30m"
    assert "MailItemsAccessed" in lines[1] and "New-InboxRule" in lines[2]
    assert all(line.strip().startswith("[any where ") for line in lines[1:])


def test_temporal_any_order_on_elastic_is_one_sequence_per_order(pack):
    rule = pack.find("m365_forwarding_rule_and_mailbox_sync")
    q = all_targets()["elastic"].compile_rule(pack.collection([rule]), rule.id)
    assert len(q.queries) == 2
    assert all(x.startswith("sequence by user.id with maxspan=1h") for x in q.queries)
    assert q.queries[0].splitlines()[1:] == list(reversed(q.queries[1].splitlines()[1:]))


def test_splunk_correlations_use_a_sliding_window():
    q = _compile_text("splunk", ORDERED, "0f9d7a10-1111-4c1a-9a51-000000000003")
    assert "bin _time" not in q.text
    assert "| eval t1114_key0=lower('UserId')" in q.text  # Sigma groups case-insensitively
    assert "streamstats current=f time_window=30m max(t1114_s0) as t1114_p1 by t1114_key0" in q.text
    assert 'event_type="step_two" AND t1114_p1 >= _time - 1800' in q.text
    assert q.text.rstrip().endswith("| where isnotnull(t1114_s1)")


def test_cim_variant_ships_tstats_for_modelled_sources_only(pack):
    cim = compiled(pack, "splunk_cim")
    shipped = {name for name, q in cim.items() if q is not None}
    assert {
        "win_exchange_new_mailbox_export_request",
        "win_outlook_data_file_created_by_non_outlook",
    } <= shipped
    assert (
        "win_exchange_management_forwarding" not in shipped
        and "m365_inbox_rule_forwarding" not in shipped
    )
    q = cim["win_outlook_data_file_created_by_non_outlook"]
    assert (
        "from datamodel=Endpoint.Filesystem" in q.text
        and 'Filesystem.process_name IN ("OUTLOOK.EXE"' in q.text
    )
    assert (
        "from datamodel=Endpoint.Processes" in cim["win_exchange_new_mailbox_export_request"].text
    )
    assert all_targets()["splunk_cim"].unknown_fields(q) == []


def test_eql_regexes_are_lucene_whole_value_patterns(pack):
    from t1114.targets.elastic import lucene_regex

    assert lucene_regex("ab") == ".*(ab).*" and lucene_regex("^a[^$]b$") == "a[^$]b"
    assert lucene_regex("x@y") == ".*(x\\@y).*"
    assert (
        lucene_regex("a|b") == ".*(a|b).*"
    )  # not ".*a|b.*", which is "ends in a or starts with b"
    for bad in ("a\\sb", "(?:a)", "a$b"):
        with pytest.raises(ValueError):
            lucene_regex(bad)
    text = compiled(pack, "elastic")["win_exchange_forwarding_cmdlet_cmdline"].text
    assert 'regex~ ".*(S`?e`?t`?' in text and "(?i)" not in text


def _signal(n, field, value, logsource="{product: m365, service: exchange}"):
    return f"""
title: Signal {n}
id: 0f9d7a10-2222-4c1a-9a51-00000000000{n}
name: signal_{n}
logsource: {logsource}
detection:
  sel: {{{field}: {value}}}
  condition: sel
level: low
"""


def _k_of_n(rules, count):
    return f"""
title: K of N
id: 0f9d7a10-2222-4c1a-9a51-000000000009
name: k_of_n
correlation:
  type: temporal
  rules: [{", ".join(rules)}]
  group-by: [Computer]
  timespan: 30m
  condition: {{gte: {count}}}
level: high
"""


def test_temporal_k_of_n_on_elastic_is_every_ordered_choice_of_k():
    win = "{product: windows, category: process_creation}"
    text = "---".join(
        [_signal(i, "CommandLine|contains", f"tool{i}", win) for i in range(1, 5)]
        + [_k_of_n([f"signal_{i}" for i in range(1, 5)], 2)]
    )
    q = _compile_text("elastic", text, "0f9d7a10-2222-4c1a-9a51-000000000009")
    # gte: 2 of 4 rules: 4 * 3 ordered pairs, each a two-step sequence on one host.
    assert q.language == "eql" and len(q.queries) == 12
    assert all(
        len(x.splitlines()) == 3 and x.startswith("sequence by host.name with maxspan=30m")
        for x in q.queries
    )
    assert len(set(q.queries)) == 12


def test_temporal_ordered_with_aliases_joins_each_step_on_its_own_field(pack):
    rule = pack.find("m365_forwarding_after_risky_signin")
    eql = all_targets()["elastic"].compile_rule(pack.collection([rule]), rule.id)
    (query,) = eql.queries
    lines = query.splitlines()
    assert lines[0] == "sequence with maxspan=1h"
    assert "azure.signinlogs" in lines[1] and lines[1].endswith(
        "] by azure.signinlogs.properties.user_principal_name"
    )
    assert "o365.audit" in lines[2] and lines[2].endswith("] by user.id")
    assert "user" not in eql.fields  # the alias is no field of its own
    spl = all_targets()["splunk"].compile_rule(pack.collection([rule]), rule.id).text
    assert "rename properties.userPrincipalName as user" in spl and "rename UserId as user" in spl
    assert 'event_type="m365_forwarding_change" AND t1114_p1 >= _time - 3600' in spl


# --- rules on text fields: ES|QL ----------------------------------------------------------------


def test_rules_on_text_fields_compile_to_esql_reading_their_own_data_streams(pack):
    from sigma.correlations import SigmaCorrelationType

    target = all_targets()["elastic"]
    counting = (SigmaCorrelationType.EVENT_COUNT, SigmaCorrelationType.VALUE_COUNT)
    queries = compiled(pack, "elastic")
    for name, q in queries.items():
        rule = pack.collection([pack.find(name)])[pack.find(name).id]
        # The choice follows the schema: ES|QL exactly when a compared field is analysed text
        # (or the rule counts, which EQL cannot).
        expected = bool(target.text_fields(rule)) or getattr(rule, "type", None) in counting
        assert (q.language == "esql") == expected, name
        if q.language == "esql":
            assert q.extension == "esql" and q.text.startswith(
                f"from {', '.join(q.extra['index'])} metadata "
            ), name
        else:
            assert not schema.analysed_fields(schema.elastic_datasets(q), q.fields), name
    script_rules = {
        n for n, q in queries.items() if "powershell.file.script_block_text" in q.fields
    }
    assert {"win_outlook_automation_script", "win_email_collection_multi_signal"} <= script_rules
    assert all(queries[n].language == "esql" for n in script_rules)


def test_esql_regexes_ignore_case_through_to_lower(pack):
    q = compiled(pack, "elastic")["win_exchange_forwarding_cmdlet_script"]
    assert (
        'to_lower(powershell.file.script_block_text) rlike ".*(s`?e`?t`?\\\\-`?m`?a`?i`?l`?b`?o`?x).*"'
        in q.text
    )
    assert "regex" not in q.text and "(?i)" not in q.text


def test_text_field_decision_follows_the_schema_not_the_rule_name():
    # The same detection on a keyword field (process command line) stays EQL.
    script = _signal(
        1,
        "ScriptBlockText|contains",
        "Outlook.Application",
        "{product: windows, category: ps_script}",
    )
    cmdline = _signal(
        2,
        "CommandLine|contains",
        "Outlook.Application",
        "{product: windows, category: process_creation}",
    )
    q1 = _compile_text("elastic", script, "0f9d7a10-2222-4c1a-9a51-000000000001")
    q2 = _compile_text("elastic", cmdline, "0f9d7a10-2222-4c1a-9a51-000000000002")
    assert (
        q1.language == "esql"
        and 'to_lower(powershell.file.script_block_text) like "*outlook.application*"' in q1.text
    )
    assert q1.text.startswith(
        "from logs-windows.forwarded-*, logs-windows.powershell_operational-* metadata _id, _index, _version | where "
    )
    assert q2.language == "eql" and 'process.command_line : "*Outlook.Application*"' in q2.text


def test_temporal_correlation_over_a_text_field_rule_is_esql_with_a_flag_per_rule():
    script = _signal(
        1,
        "ScriptBlockText|contains",
        "Outlook.Application",
        "{product: windows, category: ps_script}",
    )
    network = _signal(2, "DestinationPort", 587, "{product: windows, category: network_connection}")
    q = _compile_text(
        "elastic",
        "---".join([script, network, _k_of_n(["signal_1", "signal_2"], 2)]),
        "0f9d7a10-2222-4c1a-9a51-000000000009",
    )
    assert q.language == "esql" and len(q.queries) == 1
    lines = q.text.strip().splitlines()
    assert lines[0].startswith(
        "from logs-windows.forwarded-*, logs-windows.powershell_operational-*, logs-windows.sysmon_operational-* metadata "
    )
    assert lines[1].startswith("| eval signal_1=case(") and ", signal_2=case(" in lines[1]
    assert lines[2:] == [
        "| eval t1114_key0=to_lower(to_string(host.name))",
        "| eval window_start=mv_append(mv_append(mv_append(date_trunc(30 minutes, @timestamp), "
        "date_trunc(30 minutes, @timestamp + 450 seconds) - 450 seconds), date_trunc(30 minutes, @timestamp + 15 minutes) - 15 minutes), "
        "date_trunc(30 minutes, @timestamp + 1350 seconds) - 1350 seconds)",
        "| stats signal_1=max(signal_1), signal_2=max(signal_2) by window_start, t1114_key0",
        "| eval rule_count=signal_1 + signal_2",
        "| where rule_count >= 2",
    ]


def test_ordered_correlation_over_a_text_field_rule_is_esql_first_then_last():
    """ES|QL has no sequences: two rules in order are "the first's earliest event is not after
    the second's latest" in a window; three cannot be said that way and are refused clearly."""
    from t1114.errors import PackError

    script = _signal(
        1,
        "ScriptBlockText|contains",
        "Outlook.Application",
        "{product: windows, category: ps_script}",
    )
    network = _signal(2, "DestinationPort", 587, "{product: windows, category: network_connection}")
    ordered = (
        _k_of_n(["signal_1", "signal_2"], 2)
        .replace("type: temporal", "type: temporal_ordered")
        .replace("  condition: {gte: 2}\n", "")
    )
    q = _compile_text(
        "elastic", "---".join([script, network, ordered]), "0f9d7a10-2222-4c1a-9a51-000000000009"
    )
    assert q.language == "esql" and len(q.queries) == 1
    text = q.queries[0]
    assert "signal_1_first=min(signal_1_at), signal_2_last=max(signal_2_at)" in text
    assert text.rstrip().endswith("| where signal_1_first <= signal_2_last")
    third = _signal(3, "DestinationPort", 465, "{product: windows, category: network_connection}")
    longer = ordered.replace("[signal_1, signal_2]", "[signal_1, signal_2, signal_3]")
    with pytest.raises(PackError, match="ordered correlation of more than two rules in ES\\|QL"):
        _compile_text(
            "elastic",
            "---".join([script, network, third, longer]),
            "0f9d7a10-2222-4c1a-9a51-000000000009",
        )
