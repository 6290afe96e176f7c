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
    payload = {
        "rule": "m365_inbox_rule_forwarding",
        "cases": [dict(GOOD_CASE, match=["no_such_rule"])],
    }
    with pytest.raises(PackError, match="unknown rule 'no_such_rule'") as e:
        load_fixture(fixture_file(tmp_path, payload), pack)
    assert str(tmp_path / "f.json") in str(e.value)


def test_schema_violation_names_the_place(tmp_path, pack):
    payload = {
        "rule": "m365_inbox_rule_forwarding",
        "cases": [dict(GOOD_CASE, events={"qradar": [{}]})],
    }
    with pytest.raises(PackError, match=r"malformed fixture at cases/0/events"):
        load_fixture(fixture_file(tmp_path, payload), pack)


def test_case_without_expectation(tmp_path, pack):
    case = {k: v for k, v in GOOD_CASE.items() if k != "match"}
    with pytest.raises(PackError, match="names no rule"):
        load_fixture(
            fixture_file(tmp_path, {"rule": "m365_inbox_rule_forwarding", "cases": [case]}), pack
        )


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
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


# --- written once: raw events, rendered per collector -----------------------------------------

SYSMON_FILE = {
    "Event": {
        "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
            "EventID": 11,
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Computer": "WS01.contoso.local",
            "TimeCreated": {"#attributes": {"SystemTime": "2026-11-20T09:00:00.000Z"}},
        },
        "EventData": {
            "ProcessId": 5100,
            "Image": "C:\\Windows\\System32\\Robocopy.exe",
            "TargetFilename": "C:\\ProgramData\\pkg\\bob.ost",
            "User": "CONTOSO\\bob",
        },
    }
}
RULE = "win_outlook_data_file_created_by_non_outlook"


def written_once(tmp_path, pack, **case):
    payload = {
        "rule": RULE,
        "cases": [
            {
                "name": "c",
                "description": "d",
                "source": "s",
                "match": [RULE],
                "events": [SYSMON_FILE],
                **case,
            }
        ],
    }
    return load_fixture(fixture_file(tmp_path, payload), pack).cases[0]


def test_a_case_written_once_is_rendered_for_every_collector(tmp_path, pack):
    case = written_once(tmp_path, pack)
    assert case.written_once
    assert list(case.renderings["elastic"]) == [
        "windows.sysmon_operational",
        "windows.forwarded",
        "endpoint",
    ]
    assert list(case.renderings["splunk"]) == ["XmlWinEventLog"]
    assert case.events["elastic"] == case.renderings["elastic"]["windows.sysmon_operational"]
    assert (
        case.renderings["elastic"]["endpoint"][0].fields["data_stream.dataset"]
        == "endpoint.events.file"
    )


def test_collectors_pin_skip_and_recorded(tmp_path, pack):
    recorded = {
        "events": [{"sourcetype": "custom"}],
        "why": "the platform writes something else entirely",
    }
    case = written_once(
        tmp_path,
        pack,
        collectors={"elastic": ["endpoint"]},
        skip={"native": "not recorded natively here"},
        recorded={"splunk": recorded},
    )
    assert list(case.renderings["elastic"]) == ["endpoint"]
    assert "native" not in case.renderings
    assert list(case.renderings["splunk"]) == ["recorded"]


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            {"collectors": {"elastic": ["o365.audit"]}},
            "no event of the case has collector 'o365.audit' on elastic",
        ),
        (
            {"platform_differences": {"elastic/o365.audit": "the field is not there at all"}},
            "platform_differences names",
        ),
        ({"recorded": {"splunk": {"events": [{"a": 1}], "why": "x"}}}, "malformed fixture"),
        ({"events": [{"no": "known shape"}]}, "no shape renderer recognises"),
    ],
)
def test_bad_written_once_cases_are_named(tmp_path, pack, extra, message):
    with pytest.raises(PackError, match=message):
        written_once(tmp_path, pack, **extra)


def test_a_case_written_per_shape_loads_and_validate_reports_it(pack_copy):
    from t1114.loader import load_pack
    from t1114.project import Project
    from t1114.validate import run_fixture_checks

    path = pack_copy / "fixtures" / "windows" / f"{RULE}.json"
    data = json.loads(path.read_text())
    data["cases"][0]["events"] = {"native": [SYSMON_FILE]}
    path.write_text(json.dumps(data))
    copy = load_pack(Project(pack_copy))
    findings = [f for f in run_fixture_checks(copy) if f.check == "fixture_written_once"]
    assert [f.path for f in findings] == [f"fixtures/windows/{RULE}.json"]
    assert data["cases"][0]["name"] in findings[0].message
