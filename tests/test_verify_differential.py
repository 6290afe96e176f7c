"""Query level over the real pack: every shipped query parses, the differential check agrees on
every fixture, unverified rules are few and say why, and failures are reported and fail."""

from dataclasses import replace

import pytest

from conftest import fixture_report_test
from t1114 import build as build_module
from t1114.build import compile_queries
from t1114.errors import PackErrors
from t1114.fixtures import load_fixtures
from t1114.targets import all_targets, build_targets
from t1114.testing import format_text, run_tests
from t1114.verify import differential, parse


@pytest.fixture
def report(fixture_report):
    return fixture_report


def test_every_shipped_query_parses(pack):
    compiled = compile_queries(pack, build_targets().values())
    assert {q.language for q in compiled} >= {"spl", "eql"}
    for q in compiled:
        assert len(parse(q)) == len(q.queries) > 0


@fixture_report_test
def test_the_differential_check_agrees_on_every_fixture(report):
    checks = report.queries.checks
    assert {c.target for c in checks} == set(build_targets())
    failures = [f"{c.rule_name} [{c.target}] {c.case}: {c.reason}" for c in report.queries.failures]
    assert failures == []
    assert report.ok


@fixture_report_test
def test_unverified_rules_are_few_and_say_why(report):
    rules = report.queries.rules()
    unverified = [r for r in rules if r.status == "unverified"]
    assert len(unverified) <= max(1, len(rules) // 10), unverified
    assert all(r.reasons and all(reason.strip() for reason in r.reasons) for r in unverified)
    assert sum(r.status == "verified" for r in rules) >= len(rules) - len(unverified)


def test_a_query_that_ignores_case_wrongly_is_a_disagreement(pack, monkeypatch):
    real = differential.compile_rule

    def case_sensitive(pack, target, rule, tuning=None):
        # What the Lucene output of the issue did: compare the command line case-sensitively.
        q = real(pack, target, rule, tuning)
        return replace(
            q,
            queries=tuple(
                x.replace("process.command_line regex~", "process.command_line regex")
                for x in q.queries
            ),
        )

    monkeypatch.setattr(differential, "compile_rule", case_sensitive)
    rule = pack.find("win_exchange_new_mailbox_export_request")
    result = run_tests(pack, load_fixtures(pack), [all_targets()["elastic"]], {rule.id})
    bad = result.queries.failures
    assert [(c.case, c.status) for c in bad] == [("lower_case_via_security_4688", "disagree")]
    assert "the reference matched events [0], the eql query none" in bad[0].reason
    assert not result.ok
    assert [r.status for r in result.queries.rules()] == ["failing"]


def test_a_query_that_does_not_parse_fails_the_build_naming_the_rule(pack, monkeypatch):
    from t1114.targets.elastic import PackEqlBackend

    monkeypatch.setattr(PackEqlBackend, "field_in_list_expression", "{field}{op}(({list})")
    with pytest.raises(PackErrors) as e:
        compile_queries(pack, [all_targets()["elastic"]])
    messages = [str(x) for x in e.value.errors]
    assert any(
        m.startswith(
            "sigma/m365/m365_inbox_rule_forwarding.yml: rule 'm365_inbox_rule_forwarding': elastic eql query"
        )
        and "does not parse" in m
        for m in messages
    ), messages
    assert build_module.compile_queries is compile_queries


def test_test_command_reports_a_query_that_does_not_parse(pack, monkeypatch):
    from t1114.targets.elastic import PackEqlBackend

    monkeypatch.setattr(PackEqlBackend, "field_in_list_expression", "{field}{op}(({list})")
    rule = pack.find("m365_inbox_rule_forwarding")
    result = run_tests(pack, load_fixtures(pack), [all_targets()["elastic"]], {rule.id})
    assert result.queries.failures and all(c.status == "syntax" for c in result.queries.failures)
    assert "does not parse" in result.queries.failures[0].reason
    assert not result.ok


def test_build_command_reports_the_syntax_error(pack, monkeypatch, capsys, tmp_path):
    from t1114.cli import main
    from t1114.targets.elastic import PackEqlBackend

    monkeypatch.setattr(PackEqlBackend, "field_in_list_expression", "{field}{op}(({list})")
    out = tmp_path / "dist"
    assert main(["--root", str(pack.project.root), "build", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert (
        "m365_inbox_rule_forwarding" in err and "does not parse" in err and "Traceback" not in err
    )
    assert not out.exists()


@fixture_report_test
def test_the_test_report_gives_query_level_counts_per_target(report):
    # The text `t1114 test` prints (tests/test_cli.py runs the command itself).
    text = format_text(report)
    for target in build_targets():
        assert f"{target} queries: " in text
    assert "rules verified at query level" in text
