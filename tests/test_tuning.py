"""The tuning file: read and checked, and its lists written into every target's queries."""

import pytest

from sigma.pipelines.t1114.splunk import t1114_splunk_pipeline
from sigma.pipelines.t1114.tuning import EMPTY_LIST_VALUE, TUNING, tuning_defaults, tuning_vars
from t1114 import engine
from t1114.errors import PackError
from t1114.fixtures import load_fixtures
from t1114.targets import all_targets
from t1114.testing import run_tests
from t1114.tuning import load_tuning

RULE = "m365_forwarding_external_recipient"


def test_the_shipped_tuning_file_holds_the_documented_defaults(project):
    """sigma-cli users (pipeline defaults) and t1114 users (config/tuning.yml) start alike."""
    assert load_tuning(project.tuning_file) == tuning_defaults()


def test_an_absent_or_empty_file_sets_nothing(tmp_path):
    assert load_tuning(tmp_path / "nope.yml") == {}
    (tmp_path / "empty.yml").write_text("# nothing tuned yet\n")
    assert load_tuning(tmp_path / "empty.yml") == {}


@pytest.mark.parametrize(
    "text, message",
    [
        ("internal_domain: [contoso.com]\n", "unknown tuning list 'internal_domain'"),
        (
            "internal_domains: contoso.com\n",
            "'internal_domains' must be a list of non-empty strings",
        ),
        (
            "internal_domains: [contoso.com, 3]\n",
            "'internal_domains' must be a list of non-empty strings",
        ),
        ("- contoso.com\n", "one YAML mapping"),
    ],
)
def test_bad_tuning_files_name_the_problem(tmp_path, text, message):
    path = tmp_path / "tuning.yml"
    path.write_text(text)
    with pytest.raises(PackError, match=message) as e:
        load_tuning(path)
    assert str(path) in str(e.value)


def test_a_bad_tuning_file_is_a_clean_cli_error(cli, pack_copy):
    (pack_copy / "config" / "tuning.yml").write_text("known_signin_countries: {US: yes}\n")
    result = cli("build", "--out", str(pack_copy / "dist"), cwd=pack_copy)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "tuning.yml: 'known_signin_countries' must be a list" in result.stderr
    assert not (pack_copy / "dist").exists()


def test_an_empty_list_matches_nothing():
    values = tuning_vars({"internal_domains": []})
    assert values["internal_domains"] == [EMPTY_LIST_VALUE]
    assert EMPTY_LIST_VALUE.endswith(".invalid")
    with pytest.raises(ValueError, match="unknown tuning list"):
        tuning_vars({"internal": ["x"]})


def test_the_plugin_pipelines_carry_the_defaults():
    pipeline_vars = t1114_splunk_pipeline().vars
    for name in TUNING:
        assert pipeline_vars[name] == tuning_vars()[name], name


@pytest.mark.parametrize("target", ["splunk", "elastic"])
def test_tuning_reaches_the_shipped_queries(pack, target):
    rule = pack.find(RULE)
    tuned = {
        "internal_domains": ["tuned-corp.example"],
        "allowed_forwarding_targets": ["*@vault.example"],
    }
    text = all_targets()[target].compile_rule(pack.collection([rule]), rule.id, tuning=tuned).text
    assert (
        "@tuned-corp.example" in text and "@vault.example" in text and EMPTY_LIST_VALUE not in text
    )
    default = all_targets()[target].compile_rule(pack.collection([rule]), rule.id).text
    assert "tuned-corp.example" not in default and EMPTY_LIST_VALUE in default


def test_tuning_reaches_the_evaluated_rules(pack):
    rule = pack.find(RULE)
    for target in all_targets().values():
        tuned = {"internal_domains": ["tuned-corp.example"]}
        (sql,) = [
            r.sql
            for r in engine.compile_sql(pack.collection([rule]), target.evaluation_pipeline(tuned))
            if r.id == rule.id
        ]
        assert "tuned-corp.example" in sql, target.name


def test_fixtures_are_evaluated_with_their_own_tuning(pack):
    """The fixtures name Contoso's domains; with the defaults (nothing internal) the internal
    forwarding cases must fail, which shows the fixture tuning is what they ran with."""
    fixtures = [f for f in load_fixtures(pack) if f.path.stem == RULE]
    report = run_tests(pack, fixtures, all_targets().values(), {pack.find(RULE).id})
    assert report.ok
    defaults = run_tests(pack, fixtures, all_targets().values(), {pack.find(RULE).id}, tuning={})
    failed = {r.case for r in defaults.results if not r.passed}
    assert {
        "inbox_rule_forward_to_colleague",
        "inbox_rule_forward_to_allowed_archive",
        "mailbox_forwarding_to_manager",
    } <= failed
    assert all(r.expected == "no_match" for r in defaults.results if not r.passed)
