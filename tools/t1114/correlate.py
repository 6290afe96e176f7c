"""Correlations evaluated as events stream by, with state bounded per group and window.

The oracle is pySigma's SQLite correlation plan (``t1114.engine.run_rule``). For the kinds
the pack uses (``event_count``, ``value_count``, ``temporal``, ``temporal_ordered``, without
extended ``not`` conditions, over event rules) this module reproduces the plan's answer:

* a *match* is an event one referenced rule matches (``COALESCE(predicate, 0)``), with the
  plan's timestamp (``ROUND((julianday(t) - 2440587.5) * 86400000) / 1000.0``, computed by
  SQLite itself so rounding is the same) and group values (the cells, lower-cased as
  SQLite's ASCII ``lower``); one with no timestamp or a missing group value is dropped;
* every distinct (timestamp, group) of a match anchors a window ``[ts - span, ts]``; the
  window's metric (distinct events, distinct values ignoring ASCII case, distinct rules)
  is compared with the condition; an ordered correlation also needs each rule's first
  match after the previous rule's; a qualifying window is one alert whose events are the
  window's matches (for ordered ones, the chosen match of each rule).

State: the matches of each group, sorted by time. A window is final once the newest match
seen is ``LATENESS`` past it; its alert is emitted and matches too old for any open window
are dropped, so memory holds a window (plus the lateness) of matches per group however
long the file. A match older than a window already final (a file out of order by more than
the lateness) cannot be placed: the state says so (``late``) and the caller evaluates that
correlation again over the whole file without dropping anything, which is exact.
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache

from sigma.correlations import (
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
    SigmaCorrelationType,
    SigmaExtendedCorrelationCondition,
)

from t1114 import derived, engine
from t1114.predicates import AnyRow, Predicate, Unsupported, compile_trees

LATENESS = 3600.0  # seconds a file's matches may come out of time order and stay streamed
_SWEEP_EVERY = 4096  # matches between passes over every group (idle groups shrink too)
_OPERATORS = {
    SigmaCorrelationConditionOperator.LT: operator.lt,
    SigmaCorrelationConditionOperator.LTE: operator.le,
    SigmaCorrelationConditionOperator.GT: operator.gt,
    SigmaCorrelationConditionOperator.GTE: operator.ge,
    SigmaCorrelationConditionOperator.EQ: operator.eq,
    SigmaCorrelationConditionOperator.NEQ: operator.ne,
}
_KINDS = {
    SigmaCorrelationType.EVENT_COUNT,
    SigmaCorrelationType.VALUE_COUNT,
    SigmaCorrelationType.TEMPORAL,
    SigmaCorrelationType.TEMPORAL_ORDERED,
}
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def sql_lower(text: str) -> str:
    """SQLite's ``lower`` and ``NOCASE``: ASCII letters only."""
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


_connection: tuple[int, sqlite3.Connection] | None = None


@lru_cache(maxsize=1 << 16)
def plan_seconds(iso: str | None) -> float | None:
    """The plan's time of an event, from the engine's timestamp text."""
    global _connection
    if iso is None:
        return None
    if _connection is None or _connection[0] != os.getpid():  # one per process
        _connection = (os.getpid(), sqlite3.connect(":memory:"))
    row = (
        _connection[1]
        .execute("SELECT ROUND((julianday(?) - 2440587.5) * 86400000) / 1000.0", (iso,))
        .fetchone()
    )
    return row[0]


# --- the compiled correlation ------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One referenced rule: its predicates and where its group values are."""

    rule_id: str  # the referenced rule: its prefilter entry says when to evaluate this slot
    predicates: tuple[Predicate, ...]
    group_fields: tuple[str, ...]  # lower-case cell names, in group-by order
    value_field: str | None
    # Group fields no event holds (t1114.derived): name -> (spec, lower-case source cells).
    computed: tuple[tuple[str, dict, tuple[str, ...]], ...] = ()

    def group_key(self, row: AnyRow) -> tuple:
        """The event's group values, derived fields computed from their sources' cells."""
        computed = {
            name: derived.derive(spec, [row[f] for f in sources])
            for name, spec, sources in self.computed
        }
        return tuple(computed[f] if f in computed else row[f] for f in self.group_fields)

    def value(self, row: AnyRow) -> str | None:
        """The event's value of the counted field (value_count), derived or a cell."""
        if self.value_field is None:
            return None
        for name, spec, sources in self.computed:
            if name == self.value_field:
                return derived.derive(spec, [row[f] for f in sources])
        return row[self.value_field]


@dataclass(frozen=True)
class Correlation:
    rule: engine.SqlRule
    kind: SigmaCorrelationType
    span: int
    test: Callable[[int, float], bool]
    count: float
    group_names: tuple[str, ...]
    slots: tuple[Slot, ...]
    # Ordered kinds: (rules that must be present, rules whose order is checked) per clause.
    clauses: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]

    @cached_property
    def slot_ids(self) -> frozenset:
        return frozenset(s.rule_id for s in self.slots)

    def matches(
        self,
        row: AnyRow,
        candidates: frozenset | set,
        matched: set | frozenset | None = None,
        evaluated: dict | None = None,
    ) -> list[tuple]:
        """(slot, group key, value) for each referenced rule the event matches (of those the
        prefilter left possible). A rule the scan evaluated as an event rule (``evaluated``
        holds its id) is not evaluated again: ``matched`` says whether it matched."""
        found = []
        for n, slot in enumerate(self.slots):
            if slot.rule_id not in candidates:
                continue
            if matched is not None and evaluated is not None and slot.rule_id in evaluated:
                hit = slot.rule_id in matched
            else:
                hit = any(p(row) for p in slot.predicates)
            if hit:
                key = (
                    slot.group_key(row)
                    if slot.computed
                    else tuple(row[f] for f in slot.group_fields)
                )
                if any(k is None for k in key):
                    continue
                value = slot.value(row)
                found.append((n, tuple(sql_lower(k) for k in key), value))
        return found


def compile_correlation(rule: engine.SqlRule) -> Correlation:
    """The streamed form of a correlation, or Unsupported (the SQLite plan then runs it)."""
    sigma = rule.sigma_rule
    if not isinstance(sigma, SigmaCorrelationRule):
        raise Unsupported("not a correlation")
    if isinstance(sigma.condition, SigmaExtendedCorrelationCondition):
        raise Unsupported("an extended (boolean) correlation condition")
    if sigma.type not in _KINDS:
        raise Unsupported(f"correlation type {sigma.type.name.lower()}")
    span = sigma.timespan.seconds
    if span <= 0:
        raise Unsupported("a timespan that is not positive")
    refs = list(sigma.referenced_rules)
    if len(rule.referenced_trees) != len(refs) or any(t is None for t in rule.referenced_trees):
        raise Unsupported("a correlation of correlations")
    group = list(sigma.group_by or [])
    fieldref = getattr(sigma.condition, "fieldref", None)
    slots = []
    names: dict[str, int] = {}
    specs = derived.derived_fields(sigma)
    computed = tuple(
        (name.lower(), spec, tuple(f.lower() for f in derived.source_fields(spec)))
        for name, spec in sorted(specs.items())
    )
    for n, (ref, trees) in enumerate(zip(refs, rule.referenced_trees, strict=False)):
        names[ref.reference] = n
        names[str(ref.rule.name or ref.rule.id)] = n
        compiled = compile_trees(list(trees))
        if not trees or any(f is None for f in compiled.functions):
            raise Unsupported("a referenced rule the compiled engine cannot evaluate")
        # The plan's alias resolution (sigma/backends/sqlite/correlation.py).
        mapping = {
            a.alias: f
            for a in sigma.aliases
            for r, f in a.mapping.items()
            if r.reference in (ref.reference, ref.rule.name, str(ref.rule.id))
        }
        slots.append(
            Slot(
                str(ref.rule.id),
                tuple(f for f in compiled.functions if f is not None),  # none is (checked above)
                tuple(mapping.get(f, f).lower() for f in group),
                mapping.get(fieldref, fieldref).lower() if fieldref else None,
                computed,
            )
        )
    op = _OPERATORS[sigma.condition.op]
    clauses: list = [((), tuple(range(len(slots))))]
    if sigma.type == SigmaCorrelationType.TEMPORAL_ORDERED and op in (operator.gt, operator.ge):
        count = sigma.condition.count
        required = max(0, math.floor(count) + 1 if op is operator.gt else math.ceil(count))
        references = [r.reference for r in refs]
        clauses = []
        for subset in itertools.combinations(references, required):
            present = tuple(sorted({names[x] for x in subset}))
            clauses.append((present, present))
    return Correlation(
        rule,
        sigma.type,
        span,
        op,
        sigma.condition.count,
        tuple(group),
        tuple(slots),
        tuple(clauses),
    )


# --- state ------------------------------------------------------------------------------------


class _Group:
    __slots__ = ("times", "matches", "done")

    def __init__(self):
        self.times: list[float] = []
        self.matches: list[tuple] = []  # (ts, index, slot, value), sorted
        self.done = -math.inf  # windows ending before this are final and emitted


class CorrelationState:
    """One correlation over one file."""

    def __init__(self, correlation: Correlation, lateness: float = LATENESS):
        self.correlation = correlation
        self.lateness = lateness
        self.groups: dict[tuple, _Group] = {}
        self.newest = -math.inf
        self.late = False  # a match came after its windows were final: evaluate again
        self.alerts: list[tuple] = []  # (sort key, Hit)
        self._added = 0
        self._swept = -math.inf  # groups dropped in a sweep had every window final before this

    def add(self, ts: float, index: int, slot: int, key: tuple, value: str | None) -> None:
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _Group()
            group.done = self._swept  # a group seen before may have been dropped
        if ts < group.done:
            self.late = True
        item = (ts, index, slot, value)
        at = bisect.bisect_right(group.matches, item)
        group.matches.insert(at, item)
        group.times.insert(at, ts)
        if ts > self.newest:
            self.newest = ts
        self._close(key, group, self.newest - self.lateness)
        self._added += 1
        if not self._added % _SWEEP_EVERY:
            self._sweep(self.newest - self.lateness)

    def finish(self) -> list[tuple]:
        """Every alert, each as (sort key, Hit); the state is spent."""
        self._sweep(math.inf)
        self.groups.clear()
        return self.alerts

    def _sweep(self, horizon: float) -> None:
        for key in list(self.groups):
            self._close(key, self.groups[key], horizon)
            if not self.groups[key].matches:
                del self.groups[key]
                self._swept = max(self._swept, horizon)

    def _close(self, key: tuple, group: _Group, horizon: float) -> None:
        """Emit the windows ending before ``horizon``; drop matches no open window holds."""
        if horizon <= group.done:
            return
        times = group.times
        start = bisect.bisect_left(times, group.done)
        stop = bisect.bisect_left(times, horizon)
        previous = None
        for i in range(start, stop):
            end = times[i]
            if end != previous:
                self._window(key, group, end)
                previous = end
        group.done = horizon
        keep = bisect.bisect_left(times, horizon - self.correlation.span)
        if keep:
            del times[:keep]
            del group.matches[:keep]

    def _window(self, key: tuple, group: _Group, end: float) -> None:
        c = self.correlation
        start = end - c.span
        lo = bisect.bisect_left(group.times, start)
        hi = bisect.bisect_right(group.times, end)
        window = group.matches[lo:hi]
        kind = c.kind
        if kind == SigmaCorrelationType.EVENT_COUNT:
            metric = len({m[1] for m in window})
        elif kind == SigmaCorrelationType.VALUE_COUNT:
            metric = len({sql_lower(m[3]) for m in window if m[3] is not None})
        else:
            metric = len({m[2] for m in window})
        if kind != SigmaCorrelationType.TEMPORAL_ORDERED:
            if not c.test(metric, c.count):
                return
            evidence = {m[1] for m in window}
        else:
            if not c.test(metric, c.count):
                return
            evidence = set()
            qualified = False
            present = {m[2] for m in window}
            for required, ordered in c.clauses:
                chosen = _ordered_choice(window, required, ordered, present)
                if chosen is not None:
                    qualified = True
                    evidence.update(chosen)
            if not qualified:
                return
        indices = tuple(sorted(evidence))
        hit = engine.Hit(
            c.rule.id,
            c.rule.title,
            c.rule.level,
            indices,
            dict(zip(c.group_names, key, strict=False)),
            correlation=True,
        )
        self.alerts.append(((indices[-1], c.rule.id, indices, end, key), hit))


def _ordered_choice(
    window: list[tuple], required: tuple, ordered: tuple, present: set
) -> set | None:
    """The events an ordered window reports for one clause, or None when it does not hold."""
    if any(s not in present for s in required):
        return None
    chosen: dict[int, float] = {}
    previous = None
    for slot in ordered:
        first = None
        for ts, _, s, _ in window:  # sorted by time: the first one after the previous stage
            if s == slot and (previous is None or ts > previous):
                first = ts
                break
        if first is None and slot in present:
            return None
        if first is not None:
            chosen[slot] = first
            previous = first
    return {index for ts, index, s, _ in window if s in chosen and chosen[s] == ts}
