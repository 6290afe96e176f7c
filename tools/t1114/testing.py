"""Fixture tests: every case's events, per target, through the engine; a verdict per rule.
Then, query level: the shipped query of each rule is parsed and evaluated over the same events,
and its verdict must equal the engine's (``t1114.verify.differential``).

Reports say per rule and case what passed or failed and why, as text, JSON or JUnit XML, and per
target how many rules are verified at query level, how many are not, and why.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Iterable
from xml.etree import ElementTree as ET

from t1114 import engine
from t1114.fixtures import FixtureFile
from t1114.loader import Pack
from t1114.targets import Target, applicable_rules
from t1114.tuning import load_tuning
from t1114.verify.differential import QueryReport, check_queries


@dataclass(frozen=True)
class CaseResult:
    rule_id: str
    rule_name: str
    target: str
    case: str
    file: str
    expected: str  # "match" or "no_match"
    passed: bool
    reason: str
    matched_events: tuple[int, ...]


@dataclass
class TestReport:
    results: list[CaseResult]
    queries: QueryReport = field(default_factory=QueryReport)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def ok(self) -> bool:
        return self.failed == 0 and bool(self.results) and self.queries.ok


def run_tests(
    pack: Pack,
    fixtures: list[FixtureFile],
    targets: Iterable[Target],
    rule_filter: set[str] | None = None,
    queries: bool = True,
    tuning: dict | None = None,
) -> TestReport:
    """``tuning``: the lists to evaluate with; by default those the fixtures are written for
    (fixtures/tuning.yml), so the fixtures hold whatever the pack's own tuning file says."""
    if tuning is None:
        tuning = load_tuning(pack.project.fixture_tuning_file)
    targets = list(targets)
    results: list[CaseResult] = []
    for target in targets:
        applicable = applicable_rules(target, pack)
        ids = {r.id for r in applicable}
        compiled = {r.id: r for r in engine.compile_sql(pack.collection(applicable), target.evaluation_pipeline(tuning))}
        for fixture in fixtures:
            for case in fixture.cases:
                events = case.events.get(target.shape)
                if events is None:
                    continue
                wanted = [
                    rid for rid in case.match + case.no_match if rid in ids and (not rule_filter or rid in rule_filter)
                ]
                if not wanted:
                    continue
                hits = engine.run([compiled[rid] for rid in wanted if rid in compiled], list(events), target.timestamp_fields)
                for rid in wanted:
                    rule = pack.find(rid)
                    assert rule is not None  # the fixture's ids were resolved against the pack
                    matched = tuple(sorted({i for h in hits if h.rule_id == rid for i in h.event_indices}))
                    expected = case.expectation(rid)
                    results.append(_verdict(rule.id, rule.name, target.name, case, pack, expected, matched))
    results.sort(key=lambda r: (r.rule_name, r.target, r.case))
    report = TestReport(results)
    if queries:
        reference = {(r.rule_id, r.target, r.file, r.case): r.matched_events for r in results}
        report.queries = check_queries(pack, fixtures, targets, reference, rule_filter, tuning)
    return report


def _verdict(rule_id, rule_name, target, case, pack, expected, matched) -> CaseResult:
    if expected == "match":
        passed = bool(matched)
        reason = f"matched events {list(matched)}" if passed else "expected a match and got none"
    else:
        passed = not matched
        reason = "no match, as expected" if passed else f"expected no match, but events {list(matched)} matched"
    return CaseResult(
        rule_id, rule_name, target, case.name, pack.project.relative(case.file), expected, passed, reason, matched
    )


def format_text(report: TestReport, verbose: bool = False) -> str:
    lines = []
    for r in report.results:
        if verbose or not r.passed:
            status = "PASS" if r.passed else "FAIL"
            lines.append(f"{status} {r.rule_name} [{r.target}] {r.case} ({r.file}): {r.reason}")
    by_target: dict[str, list[CaseResult]] = {}
    for r in report.results:
        by_target.setdefault(r.target, []).append(r)
    for target, rs in sorted(by_target.items()):
        ok = sum(r.passed for r in rs)
        lines.append(f"{target}: {ok} passed, {len(rs) - ok} failed")
    lines.extend(format_query_text(report.queries, verbose))
    lines.append(f"{report.passed} passed, {report.failed} failed")
    return "\n".join(lines) + "\n"


def format_query_text(queries: QueryReport, verbose: bool = False) -> list[str]:
    lines = []
    for c in queries.checks:
        if c.status in ("disagree", "syntax") or (verbose and c.status == "unverified"):
            lines.append(f"QUERY {c.status.upper()} {c.rule_name} [{c.target} {c.language}] {c.case} ({c.file}): {c.reason}")
    by_target: dict[str, list] = {}
    for rule in queries.rules():
        by_target.setdefault(rule.target, []).append(rule)
    for target, rules in sorted(by_target.items()):
        counts = {s: sum(r.status == s for r in rules) for s in ("verified", "unverified", "failing")}
        lines.append(
            f"{target} queries: {counts['verified']} rules verified at query level, "
            f"{counts['unverified']} unverified, {counts['failing']} failing"
        )
        for r in rules:
            if r.status != "verified":
                lines.append(f"  {r.status} {r.rule_name}: {'; '.join(r.reasons)}")
    return lines


def format_json(report: TestReport) -> str:
    payload = {
        "passed": report.passed,
        "failed": report.failed,
        "results": [asdict(r) for r in report.results],
        "queries": {
            "ok": report.queries.ok,
            "rules": [asdict(r) for r in report.queries.rules()],
            "checks": [asdict(c) for c in report.queries.checks],
        },
    }
    return json.dumps(payload, indent=2, sort_keys=True) + "\n"


def format_junit(report: TestReport) -> str:
    suites = ET.Element("testsuites", tests=str(len(report.results)), failures=str(report.failed))
    by_rule: dict[str, list[CaseResult]] = {}
    for r in report.results:
        by_rule.setdefault(r.rule_name, []).append(r)
    for rule_name, rs in sorted(by_rule.items()):
        suite = ET.SubElement(
            suites, "testsuite", name=rule_name, tests=str(len(rs)), failures=str(sum(not r.passed for r in rs))
        )
        for r in rs:
            case = ET.SubElement(suite, "testcase", classname=f"{rule_name}.{r.target}", name=r.case, file=r.file)
            if not r.passed:
                ET.SubElement(case, "failure", message=r.reason).text = r.reason
    query_rules = report.queries.rules()
    if query_rules:
        failing = [r for r in query_rules if r.status == "failing"]
        suite = ET.SubElement(suites, "testsuite", name="query-level", tests=str(len(query_rules)), failures=str(len(failing)))
        for q in query_rules:
            case = ET.SubElement(suite, "testcase", classname=f"query.{q.target}", name=q.rule_name)
            if q.status == "failing":
                ET.SubElement(case, "failure", message="; ".join(q.reasons)).text = "; ".join(q.reasons)
            elif q.status == "unverified":
                ET.SubElement(case, "skipped", message="; ".join(q.reasons))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


FORMATS = {"text": format_text, "json": format_json, "junit": format_junit}
