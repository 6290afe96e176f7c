"""Correlation rules on Spark: window functions over the base rules' matches, with the
definitions of the SQLite correlation plans ``scan`` runs (pySigma-backend-sqlite's
``CorrelationCompiler``), so both report the same alerts:

* the matches of each referenced rule (its *slot*) carry the event's time and group keys: the
  group-by fields (through the rule's aliases) joined and lower-cased, matches without a time
  or a group key left out;
* Sigma's sliding window: one window ends at every distinct match time of a group and reaches
  back ``timespan`` (both ends included); it is a Spark window
  ``RANGE BETWEEN timespan PRECEDING AND CURRENT ROW`` over the file and group;
* the metric of a window: distinct events (``event_count``), distinct case-folded values
  (``value_count``), distinct slots (``temporal``); ``temporal_ordered`` takes each slot's
  first time after the previous slot's, and a window whose slots occur out of order does not
  count (a ``gte`` condition below all rules tries every ordered subset, as the plans do);
* a window meeting the condition is one alert, whose events are the window's matches (for
  ``temporal_ordered``: those at the chosen times).

Windows never span files: ``scan`` correlates each file on its own.
Nested correlations and extended (boolean) conditions are refused with a clear error.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from sigma.correlations import (
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
    SigmaCorrelationType,
    SigmaExtendedCorrelationCondition,
)

from t1114.derived import derived_fields
from t1114.engine import Hit
from t1114.events import MULTIVALUE_SEPARATOR
from t1114.spark.backend import column, literal
from t1114.spark.tables import FILE, INDEX, MS

_OPERATORS = {
    SigmaCorrelationConditionOperator.LT: "<",
    SigmaCorrelationConditionOperator.LTE: "<=",
    SigmaCorrelationConditionOperator.GT: ">",
    SigmaCorrelationConditionOperator.GTE: ">=",
    SigmaCorrelationConditionOperator.EQ: "=",
    SigmaCorrelationConditionOperator.NEQ: "!=",
}
_KINDS = {
    SigmaCorrelationType.EVENT_COUNT,
    SigmaCorrelationType.VALUE_COUNT,
    SigmaCorrelationType.TEMPORAL,
    SigmaCorrelationType.TEMPORAL_ORDERED,
}


class CorrelationNotSupported(ValueError):
    """A correlation this module has no plan for."""


@dataclass(frozen=True)
class Slot:
    rule_id: str  # the referenced base rule
    group_fields: tuple[str, ...]  # its fields for the correlation's group-by, in order
    value_field: str | None  # its field for value_count
    # Group fields no event holds, as t1114.derived computes them: (name, spec).
    computed: tuple[tuple[str, dict], ...] = ()

    def group_expression(self, name: str) -> str:
        """A group-by (or counted) field's value: the cell, or the derived field computed from its sources
        as t1114.derived does (Spark's regexp_replace reads Java patterns)."""
        spec = dict(self.computed).get(name)
        if spec is None:
            return _cell(name)
        values = [
            _cell(f) if pattern is None else f"regexp_replace({_cell(f)}, {literal(pattern)}, '$1')"
            for f, pattern in spec["sources"]
        ]
        first = values[0] if len(values) == 1 else f"coalesce({', '.join(values)})"
        return f"regexp_replace(lower({first}), {literal(spec['normalise'])}, '$1')"


@dataclass(frozen=True)
class CorrelationPlan:
    rule_id: str
    title: str
    level: str
    kind: SigmaCorrelationType
    group_by: tuple[str, ...]  # the names the alert's group is reported under
    slots: tuple[Slot, ...]
    span_ms: int
    operator: str
    count: float

    def fields(self) -> set[str]:
        computed = {name for s in self.slots for name, _spec in s.computed}
        names = {f.lower() for s in self.slots for f in s.group_fields if f not in computed}
        names |= {
            s.value_field.lower()
            for s in self.slots
            if s.value_field and s.value_field not in computed
        }
        return names | {
            f.lower() for s in self.slots for _name, spec in s.computed for f, _p in spec["sources"]
        }


def plan(rule: SigmaCorrelationRule) -> CorrelationPlan:
    """The plan of a correlation rule the pipeline has processed."""
    where = str(rule.source.path) if rule.source and rule.source.path else str(rule.title)
    if rule.type not in _KINDS:
        raise CorrelationNotSupported(
            f"{where}: correlation type {rule.type.name.lower()} is not supported on Spark"
        )
    if isinstance(rule.condition, SigmaExtendedCorrelationCondition):
        raise CorrelationNotSupported(
            f"{where}: extended correlation conditions are not supported on Spark"
        )
    slots = []
    computed = tuple(sorted(derived_fields(rule).items()))
    for ref in rule.rules or []:
        if isinstance(ref.rule, SigmaCorrelationRule):
            raise CorrelationNotSupported(
                f"{where}: correlations of correlations are not supported on Spark"
            )
        mapping = {
            a.alias: f
            for a in rule.aliases
            for r, f in a.mapping.items()
            if r.reference in (ref.reference, ref.rule.name, str(ref.rule.id))
        }
        field = rule.condition.fieldref
        if isinstance(field, list):  # value_count names one field
            field = field[0] if field else None
        slots.append(
            Slot(
                str(ref.rule.id),
                tuple(mapping.get(g, g) for g in rule.group_by or ()),
                mapping.get(field, field) if field else None,
                computed,
            )
        )
    return CorrelationPlan(
        rule_id=str(rule.id),
        title=rule.title,
        level=rule.level.name.lower() if rule.level else "",
        kind=rule.type,
        group_by=tuple(rule.group_by or ()),
        slots=tuple(slots),
        span_ms=int(rule.timespan.seconds) * 1000,
        operator=_OPERATORS[rule.condition.op],
        count=rule.condition.count,
    )


def _cell(name: str) -> str:
    """A field's values as the engines' cell: joined into one text."""
    return f"array_join({column(name)}, {literal(MULTIVALUE_SEPARATOR)})"


def _matches(flagged, number: int, correlation: CorrelationPlan, flag_of: dict[str, str]):
    """One row per (event, slot) a referenced rule matched, with its group keys."""
    from pyspark.sql import functions as F

    branches = []
    for slot, s in enumerate(correlation.slots):
        groups = [F.expr(f"lower({s.group_expression(g)})") for g in s.group_fields]
        value = (
            F.expr(s.group_expression(s.value_field))
            if s.value_field
            else F.lit(None).cast("string")
        )
        guard = F.col(flag_of[s.rule_id]) & F.col(MS).isNotNull()
        for g in groups:
            guard = guard & g.isNotNull()
        keys = F.array(*groups) if groups else F.array().cast("array<string>")
        branches.append(
            flagged.filter(guard).select(
                F.lit(number).alias("c"),
                F.col(FILE),
                keys.alias("groups"),
                F.col(MS),
                F.col(INDEX),
                F.lit(slot).alias("slot"),
                value.alias("v"),
                F.lit(correlation.span_ms).alias("span"),
            )
        )
    matches = branches[0]
    for branch in branches[1:]:
        matches = matches.unionByName(branch)
    return matches


def _clauses(correlation: CorrelationPlan) -> list[tuple[int, ...]]:
    """The ordered slot sequences a temporal_ordered window is checked against."""
    every = tuple(range(len(correlation.slots)))
    if correlation.operator in (">", ">="):
        required = max(
            0,
            math.floor(correlation.count) + 1
            if correlation.operator == ">"
            else math.ceil(correlation.count),
        )
        return [tuple(c) for c in itertools.combinations(every, required)]
    return [every]


def _ordered(windows, correlation: CorrelationPlan, slots: tuple[int, ...], partial: bool):
    """A window's first time of each slot in order, its condition and its evidence."""
    from pyspark.sql import functions as F

    times: list[str] = []
    conditions = [f"exists(ev, e -> e.slot = {s})" for s in (slots if partial else ())]
    for i, slot in enumerate(slots):
        previous = (
            f"coalesce({', '.join(reversed(times))})"
            if len(times) > 1
            else (times[0] if times else None)
        )
        after = f" AND ({previous} IS NULL OR e.ms > {previous})" if previous else ""
        windows = windows.withColumn(
            f"q{i}",
            F.expr(f"array_min(transform(filter(ev, e -> e.slot = {slot}{after}), e -> e.ms))"),
        )
        times.append(f"q{i}")
        conditions.append(f"(NOT exists(ev, e -> e.slot = {slot}) OR q{i} IS NOT NULL)")
    chosen = " OR ".join(f"(e.slot = {s} AND e.ms = q{i})" for i, s in enumerate(slots)) or "false"
    evidence = f"array_sort(array_distinct(transform(filter(ev, e -> {chosen}), e -> e.idx)))"
    return windows, " AND ".join(conditions) or "true", evidence


def _alerts(windows, correlation: CorrelationPlan):
    """The correlation's qualifying windows: file, group values and the alert's events."""
    from pyspark.sql import functions as F

    every_event = "array_sort(array_distinct(transform(ev, e -> e.idx)))"
    metric = {
        SigmaCorrelationType.EVENT_COUNT: "size(array_distinct(transform(ev, e -> e.idx)))",
        SigmaCorrelationType.VALUE_COUNT: "size(array_distinct(filter(transform(ev, e -> lower(e.v)), x -> x IS NOT NULL)))",
        SigmaCorrelationType.TEMPORAL: "size(array_distinct(transform(ev, e -> e.slot)))",
        SigmaCorrelationType.TEMPORAL_ORDERED: "size(array_distinct(transform(ev, e -> e.slot)))",
    }[correlation.kind]
    qualifies = f"{metric} {correlation.operator} {correlation.count!r}"
    if correlation.kind != SigmaCorrelationType.TEMPORAL_ORDERED:
        return windows.filter(F.expr(qualifies)).select(
            "c", FILE, "groups", F.expr(every_event).alias("evidence")
        )
    clauses = _clauses(correlation)
    partial = correlation.operator in (">", ">=")
    branches = []
    for slots in clauses:
        ordered, condition, evidence = _ordered(windows, correlation, slots, partial)
        branches.append(
            ordered.filter(F.expr(f"({condition}) AND {qualifies}")).select(
                "c", FILE, "groups", "end", F.expr(evidence).alias("evidence")
            )
        )
    alerts = branches[0]
    for branch in branches[1:]:
        alerts = alerts.unionByName(branch)
    if len(branches) > 1:
        # Branches describing one window merge their evidence, as the plans' windows do.
        alerts = alerts.groupBy("c", FILE, "groups", "end").agg(
            F.array_sort(F.array_distinct(F.flatten(F.collect_list("evidence")))).alias("evidence")
        )
    return alerts.select("c", FILE, "groups", "evidence")


def run_all(
    flagged, plans: list[CorrelationPlan], flag_of: dict[str, str]
) -> list[tuple[str, Hit]]:
    """Every correlation's alerts over the flagged events of ``t1114.spark.hunt``, as
    (file, hit) pairs.

    One window pass serves every correlation: the frame reaches back the longest timespan and
    each window's events are then cut to its own correlation's, so the whole is one shuffle
    rather than several per correlation."""
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    if not plans:
        return []
    matches: Any = None
    for number, p in enumerate(plans):
        branch = _matches(flagged, number, p, flag_of)
        matches = branch if matches is None else matches.unionByName(branch)
    longest = max(p.span_ms for p in plans)
    frame = Window.partitionBy("c", FILE, "groups").orderBy(MS).rangeBetween(-longest, 0)
    event = F.struct(F.col(MS).alias("ms"), F.col("slot"), F.col(INDEX).alias("idx"), F.col("v"))
    # Every match at one time of a group sees the same frame: one window per distinct end.
    windows = (
        matches.select(
            "c",
            FILE,
            "groups",
            F.col(MS).alias("end"),
            "span",
            F.collect_list(event).over(frame).alias("all"),
        )
        .dropDuplicates(["c", FILE, "groups", "end"])
        .withColumn("ev", F.expr("filter(all, e -> e.ms >= end - span)"))
        .persist()
    )
    try:
        union: Any = None
        for number, p in enumerate(plans):
            frame_alerts = _alerts(windows.filter(F.col("c") == number), p)
            union = frame_alerts if union is None else union.unionByName(frame_alerts)
        rows = union.collect()
    finally:
        windows.unpersist()
    hits = []
    for row in rows:
        p = plans[row["c"]]
        group = dict(zip(p.group_by, row["groups"], strict=True))
        hits.append(
            (row[FILE], Hit(p.rule_id, p.title, p.level, tuple(row["evidence"]), group, True))
        )
    return hits
