"""The fixture test runner: verdicts, reasons and report formats."""

import json
import xml.etree.ElementTree as ET

from conftest import fixture_report_test
from t1114.fixtures import load_fixtures
from t1114.targets import all_targets, build_targets
from t1114.testing import format_json, format_junit, format_text, run_tests


@fixture_report_test
def test_every_fixture_case_passes_on_every_target(fixture_report):
    report = fixture_report
    failures = [
        f"{r.rule_name} [{r.target}] {r.case}: {r.reason}" for r in report.results if not r.passed
    ]
    assert failures == []
    assert {r.target for r in report.results} == {"native", "splunk", "splunk_cim", "elastic"}


def test_lower_case_variant_of_every_positive_still_matches(pack):
    """Sigma matches case-insensitively; lower-casing every string of a positive case keeps it positive."""

    fixtures = load_fixtures(pack)
    from dataclasses import replace

    from t1114.events import Event

    def lower(v):
        return (
            [lower(x) for x in v] if isinstance(v, list) else v.lower() if isinstance(v, str) else v
        )

    lowered = []
    for f in fixtures:
        cases = []
        for c in f.cases:
            if not c.match:
                continue

            def lowered_events(evs):
                return tuple(
                    Event(
                        e.index,
                        {
                            k: (v if k in ("data_stream.dataset", "sourcetype") else lower(v))
                            for k, v in e.fields.items()
                        },
                    )
                    for e in evs
                )

            events = {shape: lowered_events(evs) for shape, evs in c.events.items()}
            renderings = {
                shape: {name: lowered_events(evs) for name, evs in variants.items()}
                for shape, variants in c.renderings.items()
            }
            cases.append(replace(c, events=events, renderings=renderings, no_match=()))
        lowered.append(replace(f, cases=tuple(cases)))
    report = run_tests(pack, lowered, all_targets().values())
    assert report.results and all(r.passed for r in report.results), [
        r for r in report.results if not r.passed
    ]
    # ... and so does every shipped query on every target that ships them.
    checks = report.queries.checks
    assert {c.target for c in checks} == set(build_targets())
    # (unverified cases are listed with their reason elsewhere; they never count as matching)
    not_matched = [
        c
        for c in checks
        if c.status in ("disagree", "syntax") or (c.status == "agree" and not c.matched)
    ]
    assert not_matched == []
    assert sum(c.status == "agree" for c in checks) > len(checks) * 0.8


def test_a_wrong_expectation_fails_with_the_reason(pack):
    from dataclasses import replace

    fixtures = load_fixtures(pack)
    flipped = []
    for f in fixtures:
        flipped.append(
            replace(f, cases=tuple(replace(c, match=c.no_match, no_match=c.match) for c in f.cases))
        )
    report = run_tests(pack, flipped, [all_targets()["native"]])
    assert report.failed == len(report.results) > 0
    reasons = {r.reason.split(",")[0] for r in report.results}
    assert "expected a match and got none" in reasons
    assert "expected no match" in reasons


def test_a_match_on_a_collector_documented_blind_fails(pack, monkeypatch):
    """A collector declared to lack the rules' fields must never match; the declaration is checked."""
    from t1114.targets import renderers

    rule = pack.find("gws_email_forwarding_out_of_domain")
    fixtures = [f for f in load_fixtures(pack) if f.rule_id == rule.id]
    elastic = [all_targets()["elastic"]]
    report = run_tests(pack, fixtures, elastic, {rule.id}, queries=False)
    blind = [r for r in report.results if r.collector == "gcp.audit"]
    assert blind and all(r.passed and not r.matched_events for r in blind)
    assert any(r.difference for r in blind)  # the positive cases: documented, not unexplained
    monkeypatch.setitem(
        renderers.BLIND,
        ("elastic", "google_workspace.user_accounts"),
        "pretend it lacks the fields",
    )
    report = run_tests(pack, fixtures, elastic, {rule.id}, queries=False)
    failed = [r for r in report.results if not r.passed]
    assert failed and all(
        r.collector == "google_workspace.user_accounts" and "documented to lack" in r.reason
        for r in failed
    )


def test_report_formats(pack):
    report = run_tests(
        pack,
        load_fixtures(pack),
        [all_targets()["splunk"]],
        {pack.find("m365_inbox_rule_forwarding").id},
    )
    text = format_text(report, verbose=True)
    assert text.strip().endswith(f"{report.passed} passed, 0 failed")
    assert "PASS m365_inbox_rule_forwarding [splunk o365:management:activity]" in text
    assert "cross-target verdicts: 0 unexplained disagreements" in text
    data = json.loads(format_json(report))
    assert data["failed"] == 0 and data["passed"] == len(data["results"]) > 0
    root = ET.fromstring(format_junit(report).split("?>", 1)[1])
    assert root.tag == "testsuites" and int(root.get("tests")) == report.passed


def _one_case(pack, case):
    from dataclasses import replace

    (fixture,) = [
        f for f in load_fixtures(pack) if f.path.stem == "win_mail_store_access_by_non_mail_client"
    ]
    return [replace(fixture, cases=(case,))]


def test_a_rendering_with_another_verdict_fails_and_is_reported(pack):
    """A collector that loses the field a rule reads gives its rendering another verdict."""
    from dataclasses import replace

    from t1114.events import Event

    (fixture,) = [
        f for f in load_fixtures(pack) if f.path.stem == "win_mail_store_access_by_non_mail_client"
    ]
    case = next(c for c in fixture.cases if c.match)
    broken = {
        k: v
        for k, v in case.renderings["elastic"]["system.security"][0].fields.items()
        if "ObjectName" not in k
    }
    renderings = {"elastic": {**case.renderings["elastic"], "lossy": (Event(0, broken),)}}
    report = run_tests(
        pack,
        _one_case(pack, replace(case, renderings=renderings)),
        [all_targets()["elastic"]],
        queries=False,
    )
    failed = [r for r in report.results if not r.passed]
    assert [(r.collector, r.reason) for r in failed] == [("lossy", "expected a match and got none")]
    ((rule, _, name, results),) = report.disagreements()
    assert name == case.name and {r.collector for r in results} >= {"system.security", "lossy"}
    assert "cross-target verdicts: 1 unexplained disagreements" in format_text(report)


def test_a_documented_platform_difference_must_occur(pack):
    from dataclasses import replace

    (fixture,) = [
        f for f in load_fixtures(pack) if f.path.stem == "win_mail_store_access_by_non_mail_client"
    ]
    case = next(c for c in fixture.cases if c.match)
    documented = replace(
        case, differences={"elastic": ((), "the platform lacks the field in this test")}
    )
    report = run_tests(pack, _one_case(pack, documented), [all_targets()["elastic"]], queries=False)
    assert report.failed == len(report.results) > 0
    assert all("did not occur" in r.reason for r in report.results)


@fixture_report_test
def test_report_lists_targets_and_collectors_per_rule(fixture_report):
    report = fixture_report
    coverage = report.coverage()
    assert "elastic/endpoint" in coverage["win_outlook_data_file_created_by_non_outlook"]
    assert "native/eventdata_flat" in coverage["win_outlook_data_file_created_by_non_outlook"]
    assert json.loads(format_json(report))["coverage"] == coverage


def test_corpus_verdicts_agree_on_every_collector_and_a_lossy_renderer_is_caught(pack, monkeypatch):
    """The corpus check compares every collector's rendering (not only each target's usual
    one) and reports zero disagreements; a renderer that loses a field is caught."""
    from t1114.targets import renderers as shapes
    from t1114.testing import (
        CorpusVerdicts,
        compare_corpus_verdicts,
        corpus_verdicts,
        documented_differences,
    )

    targets = [all_targets()[n] for n in ("native", "splunk", "elastic")]
    documented = documented_differences(load_fixtures(pack))
    # The verdicts once; the comparisons below differ in the renderer or the documentation.
    verdicts = corpus_verdicts(pack, targets, 600, seed=7)
    agreement = compare_corpus_verdicts(pack, targets, verdicts, documented=documented)
    assert agreement.ok and agreement.matched > 0, agreement.disagreements[:3]
    assert agreement.events == 600
    for rendering in (
        "native/eventdata_flat",
        "native/sigma_taxonomy",
        "native/cloud_logging",
        "native/rendered_message",
        "splunk/XmlWinEventLog",
        "splunk/WinEventLog",
        "elastic/auditd_manager.auditd",
        "elastic/sysmon_linux.log",
        "elastic/endpoint",
        "elastic/rendered_message",
        "elastic/gcp.audit",
    ):
        assert rendering in agreement.renderings
    real = shapes.render

    def lossy(raw, target, collector=None):
        docs = real(raw, target, collector)
        if target == "splunk":
            for d in docs:
                d.pop("CommandLine", None)
        return docs

    monkeypatch.setattr(shapes, "render", lossy)
    # Only the target the lossy renderer changes is evaluated again.
    lossy_splunk = corpus_verdicts(pack, targets[1:2], 600, seed=7).by_target
    broken_verdicts = CorpusVerdicts(600, {**verdicts.by_target, **lossy_splunk})
    broken = compare_corpus_verdicts(pack, targets, broken_verdicts)
    assert not broken.ok and all(d.target == "splunk" for d in broken.disagreements)
    # Documenting those very differences explains them (missed matches only).
    excuses = {("splunk", d.collector, pack.find(d.rule_name).id) for d in broken.disagreements}
    excused = compare_corpus_verdicts(pack, targets, broken_verdicts, documented=excuses)
    assert excused.ok == all(not d.only_target for d in broken.disagreements)
    assert excused.documented and all(not d.only_target for d in excused.documented)
    monkeypatch.setattr(shapes, "render", real)
    # A collector wrongly declared to lack the fields: its matches are disagreements.
    monkeypatch.setitem(shapes.BLIND, ("elastic", "endpoint"), "pretend it lacks the fields")
    pretended = compare_corpus_verdicts(pack, [targets[0], targets[2]], verdicts)
    assert pretended.disagreements and {d.collector for d in pretended.disagreements} == {
        "endpoint"
    }


@fixture_report_test
def test_fixture_cases_have_no_unexplained_cross_target_disagreement(fixture_report):
    report = fixture_report
    unexplained = [
        (rule, case)
        for rule, _, case, rs in report.disagreements()
        if not all(r.passed for r in rs)
    ]
    assert unexplained == [] and report.results
    assert report.disagreements()  # the documented ones are there, counted as documented
