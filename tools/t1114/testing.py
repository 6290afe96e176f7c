"""Fixture tests: every case's events, per target, through the engine; a verdict per rule.
Then, query level: the shipped query of each rule is parsed and evaluated over the same events,
and its verdict must equal the engine's (``t1114.verify.differential``).

Reports say per rule and case what passed or failed and why, as text, JSON or JUnit XML, and per
target how many rules are verified at query level, how many are not, and why.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field
from xml.etree import ElementTree as ET

from t1114 import engine
from t1114.events import Event, flatten
from t1114.fixtures import FixtureFile
from t1114.loader import Pack
from t1114.targets import Target, applicable_rules
from t1114.targets import renderers as shape_renderers
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
    collector: str = ""  # the rendering's collector ("written": a case written per shape)
    difference: str = ""  # the platform difference the case documents for this rendering


@dataclass
class TestReport:
    results: list[CaseResult]
    queries: QueryReport = field(default_factory=QueryReport)
    corpus: CorpusAgreement | None = None

    def disagreements(self) -> list[tuple[str, str, str, list[CaseResult]]]:
        """(rule, file, case, results) of every case whose renderings got different verdicts."""
        groups: dict[tuple[str, str, str], list[CaseResult]] = {}
        for r in self.results:
            groups.setdefault((r.rule_name, r.file, r.case), []).append(r)
        return [
            (*key, rs)
            for key, rs in sorted(groups.items())
            if len({bool(r.matched_events) for r in rs}) > 1
        ]

    def coverage(self) -> dict[str, list[str]]:
        """Per rule, the ``target/collector`` renderings its cases ran on."""
        out: dict[str, set[str]] = {}
        for r in self.results:
            out.setdefault(r.rule_name, set()).add(f"{r.target}/{r.collector}")
        return {rule: sorted(v) for rule, v in sorted(out.items())}

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def ok(self) -> bool:
        return (
            self.failed == 0
            and bool(self.results)
            and self.queries.ok
            and (self.corpus is None or self.corpus.ok)
        )


def run_tests(
    pack: Pack,
    fixtures: list[FixtureFile],
    targets: Iterable[Target],
    rule_filter: set[str] | None = None,
    queries: bool = True,
    tuning: dict | None = None,
    corpus_events: int = 0,
) -> TestReport:
    """``tuning``: the lists to evaluate with; by default those the fixtures are written for
    (fixtures/tuning.yml), so the fixtures hold whatever the pack's own tuning file says.
    ``corpus_events``: also compare the verdicts over a generated corpus of that many raw
    events rendered to every target's shape (``corpus_agreement``)."""
    if tuning is None:
        tuning = load_tuning(pack.project.fixture_tuning_file)
    targets = list(targets)
    results: list[CaseResult] = []
    # The queries are checked on each case's first rendering per shape (Case.events).
    reference: dict[tuple, tuple[int, ...]] = {}
    for target in targets:
        applicable = applicable_rules(target, pack)
        ids = {r.id for r in applicable}
        compiled = {
            r.id: r
            for r in engine.compile_sql(
                pack.collection(applicable), target.evaluation_pipeline(tuning)
            )
        }
        for fixture in fixtures:
            for case in fixture.cases:
                wanted = [
                    rid
                    for rid in case.match + case.no_match
                    if rid in ids and (not rule_filter or rid in rule_filter)
                ]
                if not wanted:
                    continue
                for n, (collector, events) in enumerate(
                    case.renderings.get(target.shape, {}).items()
                ):
                    hits = engine.run(
                        [compiled[rid] for rid in wanted if rid in compiled],
                        list(events),
                        target.timestamp_fields,
                    )
                    for rid in wanted:
                        rule = pack.find(rid)
                        assert rule is not None  # the fixture's ids were resolved against the pack
                        matched = tuple(
                            sorted({i for h in hits if h.rule_id == rid for i in h.event_indices})
                        )
                        result = _verdict(
                            rule, target, case, pack, case.expectation(rid), matched, collector
                        )
                        results.append(result)
                        if n == 0:
                            reference[(rid, target.name, result.file, case.name)] = matched
    results.sort(key=lambda r: (r.rule_name, r.target, r.case))
    report = TestReport(results)
    if queries:
        report.queries = check_queries(pack, fixtures, targets, reference, rule_filter, tuning)
    if corpus_events:
        report.corpus = corpus_agreement(
            pack, targets, corpus_events, tuning=tuning, documented=documented_differences(fixtures)
        )
    return report


def _verdict(rule, target, case, pack, expected, matched, collector) -> CaseResult:
    """A rendering's verdict against the case's expectation; where the case documents a
    platform difference for the rendering, the verdict must be the other one."""
    difference = case.difference(target.shape, collector, rule.id) or ""
    agrees = bool(matched) == (expected == "match")
    blind = shape_renderers.blind(target.shape, collector)
    if blind:
        # The collector lacks the rule's fields: no match, whatever the case expects.
        passed = not matched
        difference = blind if expected == "match" else ""
        reason = (
            f"events {list(matched)} matched on a collector documented to lack the rules' fields ({blind})"
            if matched
            else f"documented platform difference: {blind}"
            if difference
            else "no match, as expected"
        )
    elif difference:
        passed = not agrees
        reason = (
            f"documented platform difference: {difference}"
            if passed
            else f"the documented platform difference ({difference}) did not occur: the verdict agrees"
        )
    elif expected == "match":
        passed = bool(matched)
        reason = f"matched events {list(matched)}" if passed else "expected a match and got none"
    else:
        passed = not matched
        reason = (
            "no match, as expected"
            if passed
            else f"expected no match, but events {list(matched)} matched"
        )
    return CaseResult(
        rule.id,
        rule.name,
        target.name,
        case.name,
        pack.project.relative(case.file),
        expected,
        passed,
        reason,
        matched,
        collector,
        difference,
    )


def format_text(report: TestReport, verbose: bool = False) -> str:
    lines = []
    for r in report.results:
        if verbose or not r.passed:
            status = "PASS" if r.passed else "FAIL"
            lines.append(
                f"{status} {r.rule_name} [{r.target} {r.collector}] {r.case} ({r.file}): {r.reason}"
            )
    by_target: dict[str, list[CaseResult]] = {}
    for r in report.results:
        by_target.setdefault(r.target, []).append(r)
    for target, rs in sorted(by_target.items()):
        ok = sum(r.passed for r in rs)
        lines.append(f"{target}: {ok} passed, {len(rs) - ok} failed")
    disagreements = report.disagreements()
    documented = [d for d in disagreements if all(r.passed for r in d[3])]
    for rule, file, case, rs in disagreements:
        if verbose or not all(r.passed for r in rs):
            verdicts = ", ".join(
                f"{r.target}/{r.collector}={'match' if r.matched_events else 'no match'}"
                for r in rs
            )
            lines.append(f"VERDICTS {rule} {case} ({file}): {verdicts}")
    lines.append(
        f"cross-target verdicts: {len(disagreements) - len(documented)} unexplained disagreements, "
        f"{len(documented)} documented platform differences"
    )
    if verbose:
        for rule, covered in report.coverage().items():
            lines.append(f"COVERAGE {rule}: {', '.join(covered)}")
    lines.extend(format_query_text(report.queries, verbose))
    if report.corpus is not None:
        lines.extend(format_corpus_text(report.corpus))
    lines.append(f"{report.passed} passed, {report.failed} failed")
    return "\n".join(lines) + "\n"


def format_query_text(queries: QueryReport, verbose: bool = False) -> list[str]:
    lines = []
    for c in queries.checks:
        if c.status in ("disagree", "syntax") or (verbose and c.status == "unverified"):
            lines.append(
                f"QUERY {c.status.upper()} {c.rule_name} [{c.target} {c.language}] {c.case} ({c.file}): {c.reason}"
            )
    by_target: dict[str, list] = {}
    for rule in queries.rules():
        by_target.setdefault(rule.target, []).append(rule)
    for target, rules in sorted(by_target.items()):
        counts = {
            s: sum(r.status == s for r in rules) for s in ("verified", "unverified", "failing")
        }
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
        "coverage": report.coverage(),
        "disagreements": [
            {
                "rule": rule,
                "file": file,
                "case": case,
                "documented": all(r.passed for r in rs),
                "verdicts": {f"{r.target}/{r.collector}": bool(r.matched_events) for r in rs},
            }
            for rule, file, case, rs in report.disagreements()
        ],
        "corpus": asdict(report.corpus) if report.corpus is not None else None,
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
            suites,
            "testsuite",
            name=rule_name,
            tests=str(len(rs)),
            failures=str(sum(not r.passed for r in rs)),
        )
        for r in rs:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{rule_name}.{r.target}",
                name=f"{r.case}[{r.collector}]",
                file=r.file,
            )
            if not r.passed:
                ET.SubElement(case, "failure", message=r.reason).text = r.reason
    query_rules = report.queries.rules()
    if query_rules:
        failing = [r for r in query_rules if r.status == "failing"]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name="query-level",
            tests=str(len(query_rules)),
            failures=str(len(failing)),
        )
        for q in query_rules:
            case = ET.SubElement(suite, "testcase", classname=f"query.{q.target}", name=q.rule_name)
            if q.status == "failing":
                ET.SubElement(case, "failure", message="; ".join(q.reasons)).text = "; ".join(
                    q.reasons
                )
            elif q.status == "unverified":
                ET.SubElement(case, "skipped", message="; ".join(q.reasons))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


FORMATS = {"text": format_text, "json": format_json, "junit": format_junit}


# --- one verdict per event over a generated corpus ----------------------------------------------


@dataclass(frozen=True)
class CorpusDisagreement:
    rule_name: str
    target: str
    only_native: tuple[int, ...]  # raw events the rule matched natively only
    only_target: tuple[int, ...]  # raw events it matched on the target only
    collector: str = ""  # the rendering compared (a collector of the target)


@dataclass
class CorpusAgreement:
    events: int
    matched: int  # (rule, raw event) verdicts compared that matched
    disagreements: list[CorpusDisagreement]
    # "target/collector" renderings compared with the raw events' verdicts
    renderings: list[str] = field(default_factory=list)
    # disagreements where a fixture case documents the platform difference for that rule
    documented: list[CorpusDisagreement] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.disagreements


# Per collector of a target: the raw events rendered, those the collector itself rendered, and
# per rule the raw events that matched (``_corpus_verdicts``).
CollectorVerdicts = tuple[set[int], set[int], dict[str, set[int]]]


@dataclass
class CorpusVerdicts:
    events: int
    by_target: dict[str, dict[str, CollectorVerdicts]]  # target name -> collector -> verdicts


def _corpus_verdicts(
    pack: Pack, target: Target, raw: list[dict], tuning: dict
) -> dict[str, CollectorVerdicts]:
    """Per collector of the target, the corpus as an index holding that collector's documents
    (the raw events it does not record come from their usual collector, so a correlation
    keeps all its events): the raw events rendered, those the collector itself rendered, and
    per rule the raw events that matched."""
    from t1114.targets import renderers

    applicable = applicable_rules(target, pack)
    compiled = engine.compile_sql(pack.collection(applicable), target.evaluation_pipeline(tuning))
    options = [
        tuple(c for c in renderers.collectors(e, target.shape) if c not in renderers.PENDING)
        for e in raw
    ]
    out: dict[str, CollectorVerdicts] = {}
    # "" first: every event from its usual collector (natively: the raw events as they are).
    for name in dict.fromkeys(["", *(c for names in options for c in names)]):
        if name and all(names[0] == name for names in options if name in names):
            # The events' usual collector: the same index as "".
            out[name] = (
                out[""][0],
                {i for i, names in enumerate(options) if name in names},
                out[""][2],
            )
            continue
        docs, owner, own = [], [], set()
        for i, (event, names) in enumerate(zip(raw, options, strict=True)):
            if not names:
                continue
            if name in names:
                own.add(i)
            for doc in renderers.render(event, target.shape, name if name in names else names[0]):
                docs.append(doc)
                owner.append(i)
        hits = engine.run(
            compiled, [Event(n, flatten(d)) for n, d in enumerate(docs)], target.timestamp_fields
        )
        per_rule: dict[str, set[int]] = {r.id: set() for r in applicable}
        for hit in hits:
            per_rule.setdefault(hit.rule_id, set()).update(owner[i] for i in hit.event_indices)
        out[name] = (set(owner), own, per_rule)
    return out


def documented_differences(fixtures: Iterable[FixtureFile]) -> set[tuple[str, str, str]]:
    """(shape, collector, rule id) of every platform difference a fixture case documents for
    named rules: the platform lacks a field those rules read, whatever the events."""
    return {
        (shape, collector, rule_id)
        for fixture in fixtures
        for case in fixture.cases
        for key, (rules, _why) in case.differences.items()
        for shape, _, collector in [key.partition("/")]
        for rule_id in rules
    }


def corpus_verdicts(
    pack: Pack,
    targets: Iterable[Target],
    count: int,
    seed: int = 1114,
    tuning: dict | None = None,
) -> CorpusVerdicts:
    """Every rule's verdict on the generated corpus's raw events as every collector of every
    target renders them (``compare_corpus_verdicts`` compares them)."""
    from t1114.corpus import Corpus, Mix
    from t1114.targets import renderers

    if tuning is None:
        tuning = load_tuning(pack.project.fixture_tuning_file)
    corpus = Corpus(pack, renderers.RAW, seed=seed, mix=Mix(attack=0.02))
    raw = list(itertools.islice(corpus.raw_events(), count))
    return CorpusVerdicts(
        len(raw), {t.name: _corpus_verdicts(pack, t, raw, tuning) for t in targets}
    )


def corpus_agreement(
    pack: Pack,
    targets: Iterable[Target],
    count: int,
    seed: int = 1114,
    tuning: dict | None = None,
    documented: Collection[tuple[str, str, str]] = (),
) -> CorpusAgreement:
    """The generated corpus's raw events, rendered by every collector of every target, must get
    the same verdict from every rule there as from the same rule on the raw events natively;
    raw events a collector does not record are compared only where it renders them. A
    collector documented to lack the rules' fields (``renderers.BLIND``) must match nothing."""
    targets = list(targets)
    verdicts = corpus_verdicts(pack, targets, count, seed, tuning)
    return compare_corpus_verdicts(pack, targets, verdicts, documented)


def compare_corpus_verdicts(
    pack: Pack,
    targets: Iterable[Target],
    verdicts: CorpusVerdicts,
    documented: Collection[tuple[str, str, str]] = (),
) -> CorpusAgreement:
    """``corpus_agreement`` over verdicts already computed (for each of ``targets``)."""
    from t1114.targets import renderers

    targets = list(targets)
    native = next((t for t in targets if t.shape == renderers.RAW), None)
    disagreements: list[CorpusDisagreement] = []
    explained: list[CorpusDisagreement] = []
    matched, compared = 0, []
    if native is not None:
        rendered_natively, _, reference = verdicts.by_target[native.name][""]
        for target in targets:
            for name, (rendered, own, per_rule) in sorted(verdicts.by_target[target.name].items()):
                if not name:
                    continue
                compared.append(f"{target.name}/{name}")
                blind = own if renderers.blind(target.shape, name) else set()
                common = rendered & rendered_natively
                for rule_id, rule_hits in per_rule.items():
                    rule = pack.find(rule_id)
                    if rule is None or rule_id not in reference:
                        continue
                    mine = rule_hits & common
                    theirs = (reference[rule_id] & common) - blind
                    matched += len(mine)
                    if mine != theirs:
                        found = CorpusDisagreement(
                            rule.name,
                            target.name,
                            tuple(sorted(theirs - mine)),
                            tuple(sorted(mine - theirs)),
                            name,
                        )
                        # A documented difference explains missed matches only, never extra ones.
                        known = (
                            target.shape,
                            name,
                            rule_id,
                        ) in documented and not found.only_target
                        (explained if known else disagreements).append(found)
    order = lambda d: (d.rule_name, d.target, d.collector)  # noqa: E731
    return CorpusAgreement(
        verdicts.events,
        matched,
        sorted(disagreements, key=order),
        compared,
        sorted(explained, key=order),
    )


def format_corpus_text(agreement: CorpusAgreement) -> list[str]:
    lines = [
        f"DISAGREE corpus {d.rule_name} [{d.target} {d.collector}]: raw events {list(d.only_native)[:10]} matched "
        f"natively only, {list(d.only_target)[:10]} on {d.target}/{d.collector} only"
        for d in agreement.disagreements
    ]
    lines.append(
        f"corpus of {agreement.events} raw events in {len(agreement.renderings)} collector renderings: "
        f"{agreement.matched} matched verdicts compared, {len(agreement.disagreements)} cross-target disagreements"
        + (
            f" ({len(agreement.documented)} more where a fixture case documents the platform difference)"
            if agreement.documented
            else ""
        )
    )
    return lines
