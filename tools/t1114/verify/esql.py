"""ES|QL as Elasticsearch runs it: parsed with Elastic's ``detection-rules-esql-py`` and
evaluated over its AST.

Semantics modelled, from the ES|QL reference:

* three-valued logic: a comparison with a missing (null) field is null, ``NOT null`` is null,
  and ``WHERE`` keeps only rows whose condition is true;
* ``==``, ``!=``, ``IN``, ``LIKE``, ``RLIKE``, ``STARTS_WITH``, ``ENDS_WITH`` are case-sensitive;
  case-insensitive matching needs ``TO_LOWER``/``TO_UPPER`` on the field;
* ``LIKE`` knows ``*`` and ``?`` and escapes them with a backslash (so a literal backslash in a
  pattern is ``\\\\`` inside the string); ``RLIKE`` is Lucene regex syntax over the whole value;
* functions and operators over a multivalued field return null (the documented behaviour),
  which the verifier does not try to reproduce: such rows are reported as unverified;
* text fields (``text``, ``match_only_text``) are read as their whole value, as ES|QL does
  ("text fields behave like keyword fields": from a keyword sub-field or ``_source``);
* ``EVAL x = DATE_TRUNC(<duration>, @timestamp)`` buckets time from the epoch; date plus or
  minus a duration is a date; ``MV_APPEND`` makes a multivalue; ``CASE`` takes the first true
  condition (null is not true);
* ``STATS agg BY keys`` groups rows on exact key values (case included); a group missing a key
  value is the null group; a multivalued key puts the row in the group of each of its values;
* the rows a query returns after ``STATS`` are groups: the events of the surviving groups are
  the ones reported as matched.

Windows: a query that buckets time with ``DATE_TRUNC`` counts in windows anchored at the epoch,
while Sigma's correlation window slides. Real events fall anywhere relative to those edges, so
the verdict on a fixture is only the query's verdict if it holds wherever the edges fall: the
query is run again with every event shifted so that each of its bucket boundaries is crossed,
and a verdict that changes with the shift is reported as unverified (naming the shift), not as
agreement or disagreement.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import lru_cache
from itertools import product
from typing import Any

import esql as esql_parser
from esql import ast

from t1114.events import Event
from t1114.schema import elastic_field_type, elastic_fields, index_datasets
from t1114.verify.base import (
    ARITHMETIC_OPERATORS,
    Context,
    QuerySyntaxError,
    Unverifiable,
    arithmetic,
    as_number,
    as_text,
    epoch,
    unescape,
    wildcard_regex,
)
from t1114.verify.elastic_fields import lookup
from t1114.verify.lucene_regex import compile_lucene_regex

LANGUAGE = "esql"
ROWS = "\x00events"  # the events a row stands for
_DURATIONS = {
    "millisecond": 0.001, "second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800,
    "ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800,
}  # fmt: skip
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", '"': '"', "\\": "\\"}


def parse(text: str) -> ast.EsqlQuery:
    """The query's AST; a query reading the pack's data streams is also analysed against their
    mappings (Elastic's analyzer: unknown fields and columns, mismatched types), as
    Elasticsearch would before running it."""
    try:
        tree = esql_parser.parse_query(text)
        schema = _schema(tuple(_from_patterns(tree)), tuple(esql_parser.get_unique_fields(tree)))
        if schema is not None:
            esql_parser.analyze(tree, schema)
        return tree
    except esql_parser.EsqlError as e:
        raise QuerySyntaxError(" ".join(str(e).strip().splitlines()[:2])) from None


def _from_patterns(tree: ast.EsqlQuery) -> list[str]:
    first = tree.commands[0] if tree.commands else None
    return list(first.index_patterns) if isinstance(first, ast.FromCommand) else []


@lru_cache(maxsize=64)
def _schema(patterns: tuple[str, ...], names: tuple[str, ...]):
    """The mapping of ``logs-<dataset>-*`` patterns from the integration schemas (None when a
    pattern is not one of theirs), with the query's fields under dynamic templates or
    ``object``/``flattened`` parents resolved by name."""
    schemas = [elastic_fields([ds]) for ds in index_datasets(patterns)]
    if not schemas or not all(schemas):
        return None
    mapping = {}
    for pattern, types in zip(patterns, schemas, strict=True):
        fields = {f: t for f, t in types.items() if "*" not in f}
        fields.update(
            {n: kind for n in names if n not in fields and (kind := elastic_field_type(n, types))}
        )
        mapping[pattern] = fields
    return esql_parser.Schema(mapping)


@dataclass(frozen=True)
class _Run(Context):
    """One evaluation: the context, a shift added to every event's time, and the DATE_TRUNC
    calls seen (interval, time truncated), from which the shifts that move an edge follow."""

    shift: float = 0.0
    truncations: list = field(default_factory=list)

    @classmethod
    def of(cls, ctx: Context, shift: float = 0.0) -> _Run:
        return cls(**{f.name: getattr(ctx, f.name) for f in fields(Context)}, shift=shift)

    def probe_shifts(self) -> list[float]:
        """One shift inside each stretch between the shifts that carry some truncated time across
        a bucket edge (within one period of the intervals): over such a stretch every bucket
        keeps its events, so these shifts show every verdict the edges can give."""
        if not self.truncations:
            return []
        period = math.lcm(*{round(span * 1000) for span, _ in self.truncations}) / 1000
        edges = {0.0, period}
        for span, moment in self.truncations:
            first = (-moment) % span
            edges.update(first + k * span for k in range(round(period / span)))
        ordered = sorted(edges)
        return [(a + b) / 2 for a, b in zip(ordered, ordered[1:], strict=False) if b > a]


def evaluate(query: ast.EsqlQuery, events: list[Event], ctx: Context) -> set[int]:
    run = _Run.of(ctx)
    matched = _execute(query, events, run)
    for shift in run.probe_shifts():
        if bool(_execute(query, events, _Run.of(ctx, shift))) != bool(matched):
            raise Unverifiable(
                f"the verdict depends on where ES|QL's DATE_TRUNC window edges fall: {'a match' if matched else 'no match'} "
                f"as recorded, {'none' if matched else 'a match'} if the events came {shift:g}s later (ES|QL counts in "
                "windows fixed to the clock, Sigma's window slides)"
            )
    return matched


def _execute(query: ast.EsqlQuery, events: list[Event], ctx: Context) -> set[int]:
    commands = list(query.commands)
    if not commands or not isinstance(commands[0], ast.FromCommand):
        raise Unverifiable("an ES|QL query that does not start with FROM")
    rows = [_row(e, ctx) for e in events if _from_matches(commands[0], e)]
    for command in commands[1:]:
        rows = _command(command, rows, ctx)
    return {i for r in rows for i in r[ROWS]}


def _from_matches(command: ast.FromCommand, event: Event) -> bool:
    """``FROM logs-<dataset>-*`` reads the data stream; ``*`` reads everything."""
    dataset = event.fields.get("data_stream.dataset")
    for pattern in command.index_patterns:
        if pattern == "*" or (
            isinstance(dataset, str)
            and wildcard_regex(pattern, None, None, False).fullmatch(f"logs-{dataset}-default")
        ):
            return True
    return False


def _row(event: Event, ctx: Context) -> dict:
    row = {"\x00event": event, ROWS: (event.index,)}
    ts = epoch(event, ctx.timestamp_fields)
    if ts is not None:
        row["\x00time"] = ts + getattr(ctx, "shift", 0.0)
    return row


def _command(command: Any, rows: list[dict], ctx: Context) -> list[dict]:
    if isinstance(command, ast.WhereCommand):
        return [r for r in rows if _value(command.predicate, r, ctx) is True]
    if isinstance(command, ast.EvalCommand):
        out = []
        for r in rows:
            r = dict(r)
            for alias in command.assignments:
                r[alias.name] = _value(alias.expr, r, ctx)
            out.append(r)
        return out
    if isinstance(command, ast.StatsCommand):
        return _stats(command, rows, ctx)
    if isinstance(command, (ast.KeepCommand, ast.DropCommand, ast.SortCommand)):
        return rows
    raise Unverifiable(f"ES|QL command {type(command).__name__} is not evaluated")


# --- expressions ----------------------------------------------------------------------------


class _Field:
    def __init__(self, name: str, kind: str, value: Any):
        self.name, self.kind, self.value = name, kind, value


def _column(name: str, row: dict, ctx: Context) -> _Field:
    if name in row:  # a column made by EVAL or STATS
        value = row[name]
        return _Field(name, "number" if isinstance(value, (int, float)) else "string", value)
    if name == "@timestamp" and "\x00time" in row:
        return _Field(name, "date", row["\x00time"])
    event = row.get("\x00event")
    if event is None:
        return _Field(name, "string", None)
    found = lookup(ctx, event.fields, name, text_values=True)
    if len(found.values) > 1:
        raise Unverifiable(
            f"field '{name}' is multivalued in event {event.index} (ES|QL returns null there)"
        )
    return _Field(name, found.kind, found.values[0] if found.values else None)


def _value(node: Any, row: dict, ctx: Context) -> Any:
    if isinstance(node, ast.Literal):
        return _literal(node)
    if isinstance(node, ast.ColumnRef):
        return _column(node.name, row, ctx).value
    if isinstance(node, ast.BinaryExpr):
        return _binary(node, row, ctx)
    if isinstance(node, ast.FunctionCall):
        return _function(node, row, ctx)
    raise Unverifiable(f"ES|QL expression {type(node).__name__} is not evaluated")


def _literal(node: ast.Literal) -> Any:
    if node.kind == "string" and isinstance(node.value, str):
        return _unescape(node.value)
    if node.kind == "time_duration":
        return _duration(str(node.value))
    if node.kind == "date_period":
        # A period is calendar time; only whole days are a fixed length (in UTC) whose
        # truncation is the epoch-anchored one. Weeks start on Monday, months vary.
        if not re.fullmatch(r"\s*\d+\s*(day|d)s?\s*", str(node.value).lower()):
            raise Unverifiable(f"date period '{node.value}'")
        return _duration(str(node.value))
    return node.value


def _unescape(text: str) -> str:
    if text.startswith('"""'):
        return text[3:-3]
    return unescape(text, _ESCAPES, keep_unknown=True)


def _duration(text: str) -> float:
    m = re.fullmatch(r"\s*(\d+)\s*([a-z]+?)s?\s*", text.lower())
    if not m or m.group(2) not in _DURATIONS:
        raise Unverifiable(f"time duration '{text}'")
    return int(m.group(1)) * _DURATIONS[m.group(2)]


def _binary(node: ast.BinaryExpr, row: dict, ctx: Context) -> Any:
    op = node.op.lower()
    if op in ("and", "or"):
        a, b = _value(node.left, row, ctx), _value(node.right, row, ctx)
        if op == "and":
            return False if a is False or b is False else None if a is None or b is None else True
        return True if a is True or b is True else None if a is None or b is None else False
    if op in ("in", "not in"):
        left = _value(node.left, row, ctx)
        items = (
            [_value(i, row, ctx) for i in node.right.args]
            if isinstance(node.right, ast.FunctionCall)
            else None
        )
        if items is None:
            raise Unverifiable("IN without a value list")
        if left is None:
            return None
        found = any(i is not None and _compare(left, i) == 0 for i in items)
        return found if op == "in" else not found
    a, b = _value(node.left, row, ctx), _value(node.right, row, ctx)
    if a is None or b is None:
        return None
    if isinstance(a, list) or isinstance(b, list):
        raise Unverifiable(f"operator '{node.op}' on a multivalue (ES|QL returns null there)")
    if op in ("==", "!=", "<", "<=", ">", ">="):
        c = _compare(a, b)
        return {"==": c == 0, "!=": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]
    if op in ARITHMETIC_OPERATORS:
        x, y = as_number(a), as_number(b)
        if x is None or y is None:
            raise Unverifiable(f"arithmetic '{op}' on non-numbers")
        return arithmetic(op, x, y)
    raise Unverifiable(f"ES|QL operator '{node.op}'")


def _compare(a: Any, b: Any) -> int:
    x: Any  # numbers, or strings when either is not one
    y: Any
    x, y = as_number(a), as_number(b)
    if x is None or y is None or isinstance(a, str) and isinstance(b, str):
        x, y = as_text(a), as_text(b)
    return (x > y) - (x < y)


def _function(node: ast.FunctionCall, row: dict, ctx: Context) -> Any:
    name = node.name.lower()
    args = node.args
    if name == "not":
        value = _value(args[0], row, ctx)
        return None if value is None else not value
    if name in ("is_null", "is_not_null"):
        value = _value(args[0], row, ctx)
        return (value is None) == (name == "is_null")
    values = [_value(a, row, ctx) for a in args]
    if name == "case":
        # CASE(c1, v1, c2, v2, ..., [else]): the first true condition's value (null is not true).
        for condition, value in zip(values[0::2], values[1::2], strict=False):
            if condition is True:
                return value
        return values[-1] if len(values) % 2 else None
    if name == "mv_append":
        if any(v is None for v in values):
            raise Unverifiable("MV_APPEND of a null")
        return [x for v in values for x in (v if isinstance(v, list) else [v])]
    if any(isinstance(v, list) for v in values):
        raise Unverifiable(
            f"ES|QL function {node.name}() over a multivalue (it returns null there)"
        )
    if name in ("like", "not_like", "rlike", "not_rlike"):
        value, patterns = values[0], values[1:]
        if value is None:
            return None
        if name.endswith("rlike"):
            hit = any(compile_lucene_regex(p, False).fullmatch(as_text(value)) for p in patterns)
        else:
            hit = any(
                wildcard_regex(p, "?", "\\", False).fullmatch(as_text(value)) for p in patterns
            )
        return hit if not name.startswith("not") else not hit
    if name == "coalesce":
        return next((v for v in values if v is not None), None)
    if any(v is None for v in values):
        return None
    if name == "replace":
        # Java's replaceAll read as Python's re.sub (alike for the pack's patterns): a group is
        # $n in Java's replacement, \n in Python's.
        value, pattern, replacement = (as_text(v) for v in values)
        if "\\" in replacement:
            raise Unverifiable("a REPLACE replacement with escapes")
        return re.sub(pattern, re.sub(r"\$(\d)", r"\\\1", replacement), value)
    if name == "to_string":
        return as_text(values[0])
    if name == "to_lower":
        return as_text(values[0]).lower()
    if name == "to_upper":
        return as_text(values[0]).upper()
    if name == "starts_with":
        return as_text(values[0]).startswith(as_text(values[1]))
    if name == "ends_with":
        return as_text(values[0]).endswith(as_text(values[1]))
    if name == "cidr_match":
        try:
            address = ipaddress.ip_address(as_text(values[0]))
        except ValueError:
            return None
        return any(
            address.version == net.version and address in net
            for net in (ipaddress.ip_network(as_text(v), strict=False) for v in values[1:])
        )
    if name == "date_trunc":
        span, moment = values
        if isinstance(ctx, _Run):
            ctx.truncations.append((span, moment))
        return float((moment // span) * span)
    raise Unverifiable(f"ES|QL function {node.name}() is not evaluated")


# --- stats ------------------------------------------------------------------------------


def _stats(command: ast.StatsCommand, rows: list[dict], ctx: Context) -> list[dict]:
    if command.inline or command.aggregate_filters:
        raise Unverifiable("INLINE STATS or aggregate filters")
    groups: dict[tuple, list[dict]] = {}
    names = list(command.grouping)
    expressions = {a.name: a.expr for a in command.grouping_aliases}
    for r in rows:
        choices = []
        for name in names:
            value = (
                _value(expressions[name], r, ctx)
                if name in expressions
                else _column(name, r, ctx).value
            )
            # A multivalued key puts the row in the group of each of its (distinct) values.
            choices.append(list(dict.fromkeys(value)) if isinstance(value, list) else [value])
        for key in product(*choices):
            groups.setdefault(key, []).append(r)
    out = []
    for key, members in groups.items():
        row = {ROWS: tuple(i for m in members for i in m[ROWS])}
        row.update(zip(names, key, strict=False))
        for alias in command.aggregates:
            row[alias.name] = _aggregate(alias.expr, members, ctx)
        out.append(row)
    return out


def _aggregate(node: Any, rows: list[dict], ctx: Context) -> Any:
    if not isinstance(node, ast.FunctionCall):
        raise Unverifiable("a STATS expression that is not an aggregate call")
    name = node.name.lower()
    if name == "count" and (not node.args or isinstance(node.args[0], ast.Wildcard)):
        return len(rows)
    if not node.args:
        raise Unverifiable(f"{node.name}() without arguments")
    vals = [v for v in (_value(node.args[0], r, ctx) for r in rows) if v is not None]
    if name == "count":
        return len(vals)
    if name == "count_distinct":
        return len({as_text(v) for v in vals})
    if name in ("max", "min", "sum"):
        numbers = [n for n in (as_number(v) for v in vals) if n is not None]
        aggregate: Callable[[list[float]], float] = {"max": max, "min": min, "sum": sum}[name]  # type: ignore[assignment]
        return aggregate(numbers) if numbers else None
    raise Unverifiable(f"aggregate {node.name}() is not evaluated")
