"""The evaluation engine: pySigma's SQLite backend over an in-memory SQLite table.

A rule is converted with the target's pipeline followed by the SQLite backend; events of the
target's shape are flattened into one table and the queries run over it. Correlation rules run
as the backend's correlation plans (sliding windows, group-by, event evidence).

Sigma semantics the table reproduces, and how:

* string comparison is case-insensitive: every column uses the ``SIGMA`` collation
  (Unicode case folding), and ``LIKE`` is replaced by a case-folding matcher;
* ``|cased`` uses GLOB, which stays case-sensitive;
* a multivalue field (a JSON array, Splunk's ``field{}``) matches when any value matches:
  its values are stored joined by U+001F and every comparison function splits them;
* numbers: values are stored as text in TEXT columns, and the collation compares two
  numeric strings as numbers, so ``EventID: 1`` matches ``"1"`` and ``OperationCount|gte: 100``
  is numeric;
* regular expressions follow Python's ``re`` (close to PCRE for what Sigma rules use).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sigma.backends.sqlite import sqliteBackend
from sigma.backends.sqlite.runtime import ensure_fields, execute_plan
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule, SigmaExtendedCorrelationCondition
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule

from t1114 import derived
from t1114.events import MULTIVALUE_SEPARATOR, Event
from t1114.patterns import wildcard_regex
from t1114.prefilter import TRUE, Formula, disjunction, necessary_condition

TABLE = "logs"
INDEX_COLUMN = "t1114_event_index"
TIME_COLUMN = "t1114_timestamp"
DERIVE_FUNCTION = "t1114_derive"
_NUMBER = re.compile(r"\s*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*")


@dataclass(frozen=True)
class Hit:
    rule_id: str
    rule_title: str
    level: str
    event_indices: tuple[int, ...]
    group: dict = field(default_factory=dict)
    correlation: bool = False


@dataclass(frozen=True)
class SqlRule:
    """One rule converted for the engine."""

    id: str
    title: str
    level: str
    sql: str
    plan: dict | None  # correlation plan, None for event rules
    required_fields: tuple[str, ...] = ()
    # Words any event the rule matches has in its JSON text (see t1114.prefilter).
    prefilter: Formula = TRUE
    # What the SQL was converted from, for the compiled scan engine (t1114.predicates): an
    # event rule's condition tree after the pipeline; a correlation's pySigma rule and, for
    # each rule it references, that rule's condition trees.
    tree: Any = field(default=None, compare=False)
    sigma_rule: Any = field(default=None, compare=False)
    referenced_trees: tuple = field(default=(), compare=False)


def compile_sql(collection: SigmaCollection, pipeline: ProcessingPipeline) -> list[SqlRule]:
    backend = sqliteBackend(processing_pipeline=pipeline, timestamp_field=TIME_COLUMN)
    # The conversion callback sees each condition tree exactly as the backend converts it
    # (after the pipeline), so the prefilter is derived from the same rule as the SQL.
    conditions: dict[int, list[Formula]] = {}
    trees: dict[int, list] = {}

    def remember(rule, _format, _index, cond, result):
        if isinstance(rule, SigmaRule):
            conditions.setdefault(id(rule), []).append(necessary_condition(cond.parsed))
            if result is not None:  # the backend keeps one query per converted condition
                trees.setdefault(id(rule), []).append(cond.parsed)
        return result

    def prefilter_of(rule) -> Formula:
        if isinstance(rule, SigmaCorrelationRule):
            # A condition with "not" looks at events that match none of the rules.
            if isinstance(rule.condition, SigmaExtendedCorrelationCondition):
                return TRUE
            return disjunction(prefilter_of(ref.rule) for ref in rule.rules or [])
        return disjunction(conditions.get(id(rule), [TRUE]))

    def tree_of(rule, seen: dict[int, int]):
        """The condition tree behind the n-th query the output holds for an event rule."""
        if isinstance(rule, SigmaCorrelationRule):
            return None
        n = seen[id(rule)] = seen.get(id(rule), -1) + 1
        rule_trees = trees.get(id(rule), [])
        return rule_trees[n] if n < len(rule_trees) else None

    def referenced(rule) -> tuple:
        if not isinstance(rule, SigmaCorrelationRule):
            return ()
        return tuple(
            None
            if isinstance(ref.rule, SigmaCorrelationRule)
            else tuple(trees.get(id(ref.rule), ()))
            for ref in rule.rules or ()
        )

    rules = json.loads(backend.convert(collection, "zircolite", callback=remember))
    seen: dict[int, int] = {}
    compiled = []
    for r in rules:
        sigma_rule = collection[r["id"]]
        compiled.append(
            SqlRule(
                id=r["id"],
                title=r["title"],
                level=r["level"],
                sql=r["rule"][0],
                plan=r.get("correlation_plan"),
                required_fields=tuple(r.get("required_fields", ())),
                prefilter=prefilter_of(sigma_rule),
                tree=tree_of(sigma_rule, seen),
                sigma_rule=sigma_rule,
                referenced_trees=referenced(sigma_rule),
            )
        )
    return compiled


# --- matching functions ---------------------------------------------------------------------


def _values(v: Any) -> list[str]:
    if v is None:
        return []
    s = str(v)
    return s.split(MULTIVALUE_SEPARATOR) if MULTIVALUE_SEPARATOR in s else [s]


def _number(s: str) -> float | None:
    try:
        return float(s) if _NUMBER.fullmatch(s) else None
    except ValueError:
        return None


def _compare_one(a: str, b: str) -> int:
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    fa, fb = a.casefold(), b.casefold()
    return (fa > fb) - (fa < fb)


def _collate(a: str, b: str) -> int:
    """Equal when any value of one side equals any of the other (multivalue fields);
    numbers compare as numbers, text case-insensitively."""
    av, bv = _values(a), _values(b)
    if len(av) == 1 and len(bv) == 1:
        return _compare_one(a, b)
    if any(_compare_one(x, y) == 0 for x in av for y in bv):
        return 0
    return _compare_one(av[0], bv[0])


def _like(pattern, value, escape=None):
    if pattern is None or value is None:
        return None
    rx = wildcard_regex(str(pattern), "%", "_", escape, True)
    return any(rx.fullmatch(v.casefold()) or rx.fullmatch(v) for v in _values(value))


@lru_cache(maxsize=4096)
def _glob_regex(pattern: str) -> re.Pattern:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                out.append("[" + ("^" + body[1:] if body.startswith("^") else body) + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _glob(pattern, value):
    if pattern is None or value is None:
        return None
    rx = _glob_regex(str(pattern))
    return any(rx.fullmatch(v) for v in _values(value))


@lru_cache(maxsize=4096)
def _compiled_regex(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _regexp(pattern, value):
    if pattern is None or value is None:
        return None
    rx = _compiled_regex(str(pattern))
    return any(rx.search(v) for v in _values(value))


def connect(database: str = ":memory:") -> sqlite3.Connection:
    """A connection with the Sigma comparison functions; ``""`` is a private file on disk."""
    conn = sqlite3.connect(database)
    conn.create_collation("SIGMA", _collate)
    conn.create_function("like", 2, _like, deterministic=True)
    conn.create_function("like", 3, _like, deterministic=True)
    conn.create_function("glob", 2, _glob, deterministic=True)
    conn.create_function("regexp", 2, _regexp, deterministic=True)
    conn.create_function(DERIVE_FUNCTION, -1, derived.sql_derive, deterministic=True)
    return conn


def add_derived_columns(conn: sqlite3.Connection, rule: SqlRule) -> None:
    """The derived fields a correlation groups by (t1114.derived) as generated columns of the
    events table, computed from their sources' cells: the correlation plan reads them as any
    other column."""
    specs = derived.derived_fields(rule.sigma_rule)
    if not specs:
        return
    ensure_fields(
        conn, {TABLE: [f for spec in specs.values() for f in derived.source_fields(spec)]}
    )
    cursor = conn.execute(f"SELECT * FROM {TABLE} LIMIT 0")
    existing = {d[0].lower() for d in cursor.description}
    cursor.close()
    for name, spec in sorted(specs.items()):
        if name.lower() in existing:
            continue
        arguments = ", ".join(
            ["'" + json.dumps(spec, sort_keys=True).replace("'", "''") + "'"]
            + [_quote(f) for f in derived.source_fields(spec)]
        )
        conn.execute(
            f"ALTER TABLE {TABLE} ADD COLUMN {_quote(name)} TEXT COLLATE SIGMA"
            f" GENERATED ALWAYS AS ({DERIVE_FUNCTION}({arguments})) VIRTUAL"
        )


# --- loading ------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cell(value: Any) -> str | None:
    """Every value is stored as text; the SIGMA collation compares numbers numerically."""
    if value is None:
        return None
    if isinstance(value, list):
        return MULTIVALUE_SEPARATOR.join(c for v in value if (c := _cell(v)) is not None)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return json.dumps(value, sort_keys=True)


def to_iso(value: Any) -> str | None:
    """A timestamp as ISO-8601 UTC, from ISO text, epoch seconds or epoch milliseconds."""
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
        if value is None:
            return None
    try:
        if isinstance(value, (int, float)) or (
            isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value)
        ):
            seconds = float(value)
            if seconds > 1e11:  # milliseconds
                seconds /= 1000.0
            moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        else:
            text = str(value).strip().upper().replace("Z", "+00:00")
            moment = dt.datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    except (ValueError, OverflowError, OSError):
        return None


def timestamp_of(fields: dict, candidates: Iterable[str]) -> str | None:
    for name in candidates:
        if name in fields and (iso := to_iso(fields[name])) is not None:
            return iso
    return None


def load_table(
    conn: sqlite3.Connection, events: list[Event], timestamp_fields: Iterable[str]
) -> None:
    timestamp_fields = list(timestamp_fields)
    columns: dict[str, str] = {}  # SQLite names are case-insensitive: lower -> first spelling
    for event in events:
        for name in event.fields:
            columns.setdefault(name.lower(), name)
    names = sorted(columns.values())
    ddl = ", ".join(
        [f"{INDEX_COLUMN} INTEGER PRIMARY KEY", f"{TIME_COLUMN} TEXT"]
        + [f"{_quote(n)} TEXT COLLATE SIGMA" for n in names]
    )
    conn.execute(f"CREATE TABLE {TABLE} ({ddl})")
    placeholders = ", ".join("?" for _ in range(len(names) + 2))
    rows = []
    for event in events:
        lowered = {k.lower(): v for k, v in event.fields.items()}
        rows.append(
            [event.index, timestamp_of(event.fields, timestamp_fields)]
            + [_cell(lowered.get(n.lower())) for n in names]
        )
    conn.executemany(f"INSERT INTO {TABLE} VALUES ({placeholders})", rows)


class EventTable:
    """The events table filled in steps, as streaming needs it: a column is added when a
    field first appears, with the same cells, collation and timestamps as ``load_table``."""

    def __init__(self, conn: sqlite3.Connection, timestamp_fields: Iterable[str]):
        self.conn = conn
        self.timestamp_fields = list(timestamp_fields)
        self.columns: dict[str, str] = {}  # lower -> spelling, as in load_table
        conn.execute(
            f"CREATE TABLE {TABLE} ({INDEX_COLUMN} INTEGER PRIMARY KEY, {TIME_COLUMN} TEXT)"
        )

    def insert(self, events: Iterable[Event]) -> None:
        events = list(events)
        for event in events:
            for name in event.fields:
                if name.lower() not in self.columns:
                    self.columns[name.lower()] = name
                    self.conn.execute(
                        f"ALTER TABLE {TABLE} ADD COLUMN {_quote(name)} TEXT COLLATE SIGMA"
                    )
        by_shape: dict[tuple, list] = {}
        for event in events:
            lowered = {k.lower(): v for k, v in event.fields.items()}
            names = tuple(sorted(lowered))
            row = [event.index, timestamp_of(event.fields, self.timestamp_fields)] + [
                _cell(lowered[n]) for n in names
            ]
            by_shape.setdefault(names, []).append(row)
        for names, rows in by_shape.items():
            columns = ", ".join(
                [INDEX_COLUMN, TIME_COLUMN] + [_quote(self.columns[n]) for n in names]
            )
            placeholders = ", ".join("?" for _ in range(len(names) + 2))
            self.conn.executemany(f"INSERT INTO {TABLE} ({columns}) VALUES ({placeholders})", rows)


# --- running ------------------------------------------------------------------------------


def run(rules: list[SqlRule], events: list[Event], timestamp_fields: Iterable[str]) -> list[Hit]:
    conn = connect()
    try:
        load_table(conn, events, timestamp_fields)
        hits: list[Hit] = []
        for rule in rules:
            hits.extend(run_rule(conn, rule))
        return hits
    finally:
        conn.close()


def run_rule(conn: sqlite3.Connection, rule: SqlRule) -> list[Hit]:
    if rule.plan is None:
        # A field no event has is an absent (NULL) column, so "not" and "exists: false" work.
        ensure_fields(conn, {TABLE: rule.required_fields})
        cursor = conn.execute(rule.sql)
        names = [d[0] for d in cursor.description]
        at = names.index(INDEX_COLUMN)
        return [Hit(rule.id, rule.title, rule.level, (row[at],)) for row in cursor]
    add_derived_columns(conn, rule)
    alerts, _ = execute_plan(conn, rule.plan, include_events=False)
    hits = []
    for alert in alerts:
        indices = tuple(sorted(int(e.split(":", 1)[1]) for e in alert["event_ids"]))
        group = alert["group_keys"]
        if isinstance(group, list):
            group = {str(i): v for i, v in enumerate(group)}
        hits.append(Hit(rule.id, rule.title, rule.level, indices, dict(group), correlation=True))
    return hits
