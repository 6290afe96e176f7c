"""Correlations keep their group-by keys whichever collector delivered the events.

Every correlation fixture case runs, on every target, once per pair of the collectors its
events have there: the events taken alternately from the one and the other (an index holding
both). The correlation must give the case's verdict on the same raw events in every such
mix, unless the case documents the difference for one of the two collectors, or a collector
is documented to lack the rules' fields (``renderers.BLIND``).
"""

from __future__ import annotations

import itertools
import json

import pytest

from t1114 import engine
from t1114.events import Event, flatten
from t1114.fixtures import load_fixtures
from t1114.targets import all_targets, applicable_rules, renderers
from t1114.tuning import load_tuning


@pytest.fixture(scope="module")
def correlation_cases(pack):
    out = []
    for fixture in load_fixtures(pack):
        raw_cases = {c["name"]: c for c in json.loads(fixture.path.read_text())["cases"]}
        for case in fixture.cases:
            rules = [rid for rid in case.match + case.no_match if pack.find(rid).is_correlation]
            if rules and case.written_once:
                out.append((case, raw_cases[case.name], rules))
    assert out
    return out


def _collectors(raw_case: dict, events: list[dict], shape: str) -> list[str]:
    per_event = [
        [c for c in renderers.collectors(e, shape) if c not in renderers.PENDING] for e in events
    ]
    if not all(per_event):
        return []
    names = list(dict.fromkeys(n for options in per_event for n in options))
    return list(raw_case.get("collectors", {}).get(shape, names))


def _mix(events: list[dict], shape: str, first: str, second: str) -> tuple[list[Event], list[int]]:
    """The events alternately as ``first`` and ``second`` deliver them (or their usual collector)."""
    docs, owner = [], []
    for i, event in enumerate(events):
        options = renderers.collectors(event, shape)
        wanted = first if i % 2 == 0 else second
        for doc in renderers.render(event, shape, wanted if wanted in options else options[0]):
            docs.append(doc)
            owner.append(i)
    return [Event(n, flatten(d)) for n, d in enumerate(docs)], owner


# splunk_cim runs no correlation (its searches are the CIM data models' event rules).
@pytest.mark.parametrize("target_name", ["native", "splunk", "elastic"])
def test_correlations_hold_across_collectors(pack, correlation_cases, target_name):
    target = all_targets()[target_name]
    tuning = load_tuning(pack.project.fixture_tuning_file)
    applicable = {r.id for r in applicable_rules(target, pack)}
    compiled = {
        r.id: r
        for r in engine.compile_sql(
            pack.collection(applicable_rules(target, pack)), target.evaluation_pipeline(tuning)
        )
    }
    shape, checked, problems = target.shape, 0, []
    for case, raw_case, rules in correlation_cases:
        rules = [rid for rid in rules if rid in applicable and rid in compiled]
        if not rules or shape in raw_case.get("recorded", {}) or shape in raw_case.get("skip", {}):
            continue
        events = raw_case["events"]
        names = _collectors(raw_case, events, shape)
        for rid in rules:
            seen: dict[tuple[int, ...], list[str]] = {}
            for first, second in itertools.product(names, repeat=2):
                if any(
                    renderers.blind(shape, c) or case.difference(shape, c, rid)
                    for c in (first, second)
                ):
                    continue
                mixed, owner = _mix(events, shape, first, second)
                hits = engine.run([compiled[rid]], mixed, target.timestamp_fields)
                matched = tuple(
                    sorted({owner[i] for h in hits if h.rule_id == rid for i in h.event_indices})
                )
                seen.setdefault(matched, []).append(f"{first}+{second}")
                checked += 1
                if bool(matched) != (case.expectation(rid) == "match"):
                    problems.append(
                        f"{case.name} [{first}+{second}]: {pack.find(rid).name} "
                        f"{'matched ' + str(list(matched)) if matched else 'did not match'}"
                    )
            if len(seen) > 1:
                problems.append(
                    f"{case.name}: {pack.find(rid).name} matched different raw events by mix: {seen}"
                )
    assert problems == []
    assert checked > 0
