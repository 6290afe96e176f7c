"""The differential check: on every fixture case, the shipped query's verdict must equal the
reference verdict (the Sigma rule after the target's pipeline, run by the engine).

Per target, a rule is *verified* when every case agrees, *unverified* when some case could not
be evaluated (with the reason), and *failing* when a case disagrees or a query does not parse.
Unverified rules are never counted as passing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from t1114.attack import use_offline_attack_data
from t1114.errors import PackError
from t1114.fixtures import FixtureFile
from t1114.loader import Pack
from t1114.targets import Target
from t1114.verify import QuerySyntaxError, Unverifiable, evaluate, parse


@dataclass(frozen=True)
class QueryCheck:
    rule_id: str
    rule_name: str
    target: str
    language: str
    case: str
    file: str
    status: str  # "agree", "disagree", "unverified", "syntax" (does not compile or parse)
    reason: str
    reference: tuple[int, ...]  # events the reference matched
    matched: tuple[int, ...] = ()  # events the query matched


@dataclass(frozen=True)
class RuleStatus:
    rule_name: str
    target: str
    status: str  # "verified", "unverified", "failing"
    reasons: tuple[str, ...] = ()


@dataclass
class QueryReport:
    checks: list[QueryCheck] = field(default_factory=list)

    @property
    def failures(self) -> list[QueryCheck]:
        return [c for c in self.checks if c.status in ("disagree", "syntax")]

    @property
    def ok(self) -> bool:
        return not self.failures

    def rules(self) -> list[RuleStatus]:
        grouped: dict[tuple[str, str], list[QueryCheck]] = {}
        for c in self.checks:
            grouped.setdefault((c.target, c.rule_name), []).append(c)
        out = []
        for (target, name), checks in sorted(grouped.items()):
            bad = [c for c in checks if c.status in ("disagree", "syntax")]
            unverified = [c for c in checks if c.status == "unverified"]
            if bad:
                out.append(
                    RuleStatus(name, target, "failing", tuple(sorted({_describe(c) for c in bad})))
                )
            elif unverified:
                out.append(
                    RuleStatus(
                        name, target, "unverified", tuple(sorted({c.reason for c in unverified}))
                    )
                )
            else:
                out.append(RuleStatus(name, target, "verified"))
        return out


def _describe(c: QueryCheck) -> str:
    return f"{c.case}: {c.reason}"


def check_queries(
    pack: Pack,
    fixtures: list[FixtureFile],
    targets: Iterable[Target],
    reference: dict[tuple[str, str, str, str], tuple[int, ...]],
    rule_filter: set[str] | None = None,
    tuning: dict | None = None,
) -> QueryReport:
    """``reference`` maps (rule id, target, fixture file, case) to the events the engine matched;
    ``tuning``: the lists the queries are built with, those the reference was evaluated with."""
    report = QueryReport()
    use_offline_attack_data()
    # Each case file's name as messages give it, once (it is looked up per rule and target).
    names = {c.file: pack.project.relative(c.file) for fixture in fixtures for c in fixture.cases}
    for target in (t for t in targets if t.builds):
        for rule in pack.rules:
            rule_id = rule.id
            if rule_filter and rule_id not in rule_filter:
                continue
            parsed: list = []
            problem: Exception | None = None
            try:
                query = compile_rule(pack, target, rule, tuning)
            except PackError as e:  # reported per case below, like a query that does not parse
                query, problem = None, QuerySyntaxError(e.message)
            if query is None and problem is None:
                continue
            ctx = target.verification_context(query) if query is not None else None
            if problem is None:
                try:
                    parsed = parse(query)
                except (QuerySyntaxError, Unverifiable) as e:
                    problem = e
            for fixture in fixtures:
                for case in fixture.cases:
                    events = case.events.get(target.shape)
                    key = (rule_id, target.name, names[case.file], case.name)
                    if events is None or case.expectation(rule_id) is None or key not in reference:
                        continue
                    expected = reference[key]
                    base: dict[str, Any] = dict(
                        rule_id=rule_id,
                        rule_name=rule.name,
                        target=target.name,
                        language=query.language if query is not None else "",
                        case=case.name,
                        file=key[2],
                        reference=expected,
                    )
                    if problem is not None:
                        status = "syntax" if isinstance(problem, QuerySyntaxError) else "unverified"
                        report.checks.append(QueryCheck(status=status, reason=str(problem), **base))
                        continue
                    assert query is not None and ctx is not None  # no problem: it compiled
                    try:
                        matched = tuple(sorted(evaluate(query, parsed, list(events), ctx)))
                    except Unverifiable as e:
                        report.checks.append(QueryCheck(status="unverified", reason=str(e), **base))
                        continue
                    if bool(matched) == bool(expected):
                        reason = "query and reference agree"
                        report.checks.append(
                            QueryCheck(status="agree", reason=reason, matched=matched, **base)
                        )
                    else:
                        reason = (
                            f"the {query.language} query matched events {list(matched)}, the reference none"
                            if matched
                            else f"the reference matched events {list(expected)}, the {query.language} query none"
                        )
                        report.checks.append(
                            QueryCheck(status="disagree", reason=reason, matched=matched, **base)
                        )
    return report


def compile_rule(pack: Pack, target: Target, rule, tuning: dict | None = None):
    """The shipped query of one rule on one target (None when the target ships none for it).
    Looked up here so tests can substitute what a target emits."""
    return target.compile_rule(
        pack.collection([rule]), rule.id, pack.project.relative(rule.path), tuning=tuning
    )
