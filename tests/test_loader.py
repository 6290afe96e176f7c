import pytest

from t1114.errors import PackErrors
from t1114.loader import load_pack
from t1114.project import Project

RULE = """title: Test Rule
id: 11111111-2222-4333-8444-555555555555
name: test_rule
status: experimental
description: d
references: [https://attack.mitre.org/techniques/T1114/]
author: a
date: 2026-11-27
tags: [attack.collection, attack.t1114]
detection_strategy: DET0476
analytic: AN1309
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine|contains: x
  condition: sel
falsepositives: [none]
level: low
"""


def load_error(pack_copy, name, text):
    path = pack_copy / "sigma" / name
    path.write_text(text)
    with pytest.raises(PackErrors) as e:
        load_pack(Project(pack_copy))
    messages = [str(x) for x in e.value.errors]
    assert any(str(path) in m for m in messages), messages
    return " ".join(messages)


def test_the_pack_loads(pack):
    names = [r.name for r in pack.rules]
    assert "win_exchange_new_mailbox_export_request" in names
    assert names.index("m365_forwarding_rule_and_mailbox_sync") > names.index(
        "m365_inbox_rule_forwarding"
    )


def test_malformed_yaml(pack_copy):
    assert "invalid YAML" in load_error(pack_copy, "test_rule.yml", "title: [unclosed\n")


def test_unknown_modifier(pack_copy):
    text = RULE.replace("CommandLine|contains", "CommandLine|containz")
    assert "containz" in load_error(pack_copy, "test_rule.yml", text)


def test_file_must_be_named_after_rule(pack_copy):
    assert "must match the rule name" in load_error(pack_copy, "other_name.yml", RULE)


def test_one_rule_per_file(pack_copy):
    assert "exactly one Sigma rule" in load_error(pack_copy, "test_rule.yml", RULE + "---\n" + RULE)


def test_correlation_to_unknown_rule(pack_copy):
    corr = (
        RULE.split("logsource:")[0]
        .replace("test_rule", "test_corr")
        .replace("11111111-2222-4333-8444-555555555555", "11111111-2222-4333-8444-555555555556")
        + "correlation:\n  type: temporal\n  rules: [test_rule, nowhere_rule]\n  group-by: [User]\n  timespan: 1h\nfalsepositives: [x]\nlevel: low\n"
    )
    (pack_copy / "sigma" / "test_rule.yml").write_text(RULE)
    assert "unknown rule 'nowhere_rule'" in load_error(pack_copy, "test_corr.yml", corr)


def test_a_rule_that_is_not_a_mapping(pack_copy):
    assert "must be a mapping" in load_error(pack_copy, "test_rule.yml", "- a\n- b\n")
