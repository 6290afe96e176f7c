import json

import pytest

from t1114.errors import PackError, PackErrors
from t1114.fixtures import coverage_gaps, load_fixture, load_fixtures
from t1114.targets import all_targets
from t1114.validate import exempt_from_coverage


def fixture_file(tmp_path, payload):
    p = tmp_path / "f.json"
    p.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return p


GOOD_CASE = {
    "name": "c",
    "description": "d",
    "source": "s",
    "match": ["m365_inbox_rule_forwarding"],
    "events": {"native": [{"Operation": "x"}]},
}


def test_the_pack_fixtures_load(pack):
    fixtures = load_fixtures(pack)
    assert {f.path.stem for f in fixtures} == {r.name for r in pack.rules}


def test_every_rule_has_positive_and_negative_cases_for_every_shape(pack):
    exempt = exempt_from_coverage(pack, all_targets().values())
    assert coverage_gaps(pack, load_fixtures(pack), ["native", "splunk", "elastic"], exempt) == []


def test_a_target_that_cannot_run_a_rule_needs_no_cases_for_it(pack):
    """Exchange message tracking has no Elastic integration: its rule needs no elastic cases."""
    rule = pack.find("m365_message_trace_auto_forwarded_external")
    gaps = coverage_gaps(pack, load_fixtures(pack), ["elastic"])
    assert [str(g) for g in gaps] == [
        f"{rule.path}: no positive fixture case with 'elastic' events",
        f"{rule.path}: no negative fixture case with 'elastic' events",
    ]
    assert coverage_gaps(pack, load_fixtures(pack), ["elastic"], {(rule.id, "elastic")}) == []


def test_missing_coverage_is_reported(pack):
    gaps = coverage_gaps(pack, [], ["splunk"])
    assert len(gaps) == 2 * len(pack.rules)
    assert "no positive fixture case with 'splunk' events" in str(gaps[0])


def test_broken_json(tmp_path, pack):
    with pytest.raises(PackError, match="invalid JSON"):
        load_fixture(fixture_file(tmp_path, '{"rule": "x", "cases": ['), pack)


def test_unknown_rule(tmp_path, pack):
    payload = {"rule": "m365_inbox_rule_forwarding", "cases": [dict(GOOD_CASE, match=["no_such_rule"])]}
    with pytest.raises(PackError, match="unknown rule 'no_such_rule'") as e:
        load_fixture(fixture_file(tmp_path, payload), pack)
    assert str(tmp_path / "f.json") in str(e.value)


def test_schema_violation_names_the_place(tmp_path, pack):
    payload = {"rule": "m365_inbox_rule_forwarding", "cases": [dict(GOOD_CASE, events={"qradar": [{}]})]}
    with pytest.raises(PackError, match=r"malformed fixture at cases/0/events"):
        load_fixture(fixture_file(tmp_path, payload), pack)


def test_case_without_expectation(tmp_path, pack):
    case = {k: v for k, v in GOOD_CASE.items() if k != "match"}
    with pytest.raises(PackError, match="names no rule"):
        load_fixture(fixture_file(tmp_path, {"rule": "m365_inbox_rule_forwarding", "cases": [case]}), pack)


def test_all_fixture_errors_are_collected(tmp_path, pack):
    (tmp_path / "a.json").write_text("{")
    (tmp_path / "b.json").write_text("[]")
    with pytest.raises(PackErrors) as e:
        load_fixtures(pack, [tmp_path])
    assert len(e.value.errors) == 2


def test_windows_fixtures_match_their_generator():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, str(root / "tools" / "gen_windows_fixtures.py"), "--check"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
