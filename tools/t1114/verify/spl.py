"""SPL as Splunk runs it, over the subset the pack's Splunk backend emits (``spl_grammar``).

Semantics modelled, from the Search Reference:

* search terms (``field=value``, ``IN``, ``NOT``, ``OR``, implicit ``AND``) compare field
  values case-insensitively; ``*`` is the only wildcard and cannot be escaped; ``\\\\`` is a
  backslash and ``\\"`` a quote inside a quoted value; field names are case-sensitive;
  ``<``/``>`` compare numbers numerically and anything else lexicographically; a value in CIDR
  notation matches the IP addresses of that network; a multivalue
  field matches when any value matches; ``NOT field=*`` holds when the field is absent.
* ``where`` and ``eval`` comparisons are case-sensitive; ``regex`` is a case-sensitive,
  unanchored PCRE search (Python's ``re`` stands in for PCRE).
* ``streamstats`` runs over the results in stream order, per ``by`` group (group values compare
  exactly, case included; an event missing a group field gets no statistics), over the events
  whose ``_time`` lies within ``time_window`` of the current one, without the current event
  when ``current=f``.
* macros expand to their definitions; ``multisearch`` unions its subsearches.
* ``tstats ... from datamodel=<Model.Dataset> where <search> by <fields>`` reads the events
  that carry the data model's constraint tags, their CIM fields named ``<Dataset>.<field>``;
  it returns one row per distinct ``by`` tuple (``fillnull_value`` for a missing field,
  otherwise the event is dropped); ``drop_dm_object_name`` strips the dataset prefix.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import pyparsing as pp

from t1114.events import Event
from t1114.verify.base import (
    ARITHMETIC_OPERATORS,
    Context,
    QuerySyntaxError,
    Unverifiable,
    arithmetic,
    as_number,
    as_text,
    epoch,
    fold,
    values,
    wildcard_regex,
)
from t1114.verify.spl_grammar import parse_search, parse_spl

LANGUAGE = "spl"
INDEX = "\x00index"  # the event's position, carried through the pipeline beside its fields
_SPAN_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400, "w": 604800}


def parse(text: str) -> list:
    try:
        return parse_spl(text)
    except pp.ParseBaseException as e:
        raise QuerySyntaxError(f"line {e.lineno}, column {e.col}: {e.msg}") from None


def evaluate(commands: list, events: list[Event], ctx: Context) -> set[int]:
    rows = [_row(e, ctx) for e in events]
    if not commands or commands[0][0] not in ("search", "multisearch", "tstats"):
        raise Unverifiable(
            "an SPL query that starts with neither a search nor a generating command"
        )
    # The first command reads the index; later ones read the results so far.
    return {i for r in _run(commands, rows, ctx) for i in r[INDEX]}


def _row(event: Event, ctx: Context) -> dict:
    row = dict(event.fields)
    row[INDEX] = (event.index,)
    ts = epoch(event, ctx.timestamp_fields)
    if ts is not None:
        row["_time"] = ts
    return row


def _run(commands: list, source: list[dict], ctx: Context) -> list[dict]:
    rows = source
    for command in commands:
        kind = command[0]
        if kind == "search":
            rows = [r for r in rows if _search(command[1], r, ctx)]
        elif kind == "multisearch":
            rows = [dict(r) for sub in command[1] for r in _run(sub, source, ctx)]
        elif kind == "tstats":
            rows = _tstats(command, source, ctx)
        elif kind == "macro_command":
            rows = _macro_command(command[1], rows)
        elif kind == "regex":
            rows = _regex(command, rows)
        elif kind == "rex":
            rows = _rex(command, rows)
        elif kind == "where":
            rows = [r for r in rows if _eval(command[1], r) is True]
        elif kind == "eval":
            rows = [dict(r) for r in rows]
            for r in rows:
                for target, expr in command[1]:
                    value = _eval(expr, r)
                    if value is None:
                        r.pop(target[1], None)
                    else:
                        r[target[1]] = value
        elif kind == "sort":
            rows = _sort(command, rows)
        elif kind == "streamstats":
            rows = _streamstats(command, rows)
        elif kind == "rename":
            rows = [dict(r) for r in rows]
            for r in rows:
                for old, new in command[1]:
                    if old[1] in r:
                        r[new[1]] = r.pop(old[1])
        elif kind == "columns":
            continue  # table/fields choose what is shown, not which events
        else:
            raise Unverifiable(f"SPL command '{kind}' is not evaluated")
    return rows


# --- search ---------------------------------------------------------------------------------


def _search(node: tuple, row: dict, ctx: Context) -> bool:
    kind = node[0]
    if kind == "and":
        return all(_search(n, row, ctx) for n in node[1])
    if kind == "or":
        return any(_search(n, row, ctx) for n in node[1])
    if kind == "not":
        return not _search(node[1], row, ctx)
    if kind == "macro":
        return _search(_macro(node[1], ctx), row, ctx)
    if kind == "cmp":
        return _compare(node[1][1], node[2], node[3], row)
    if kind == "in":
        return any(_compare(node[1][1], "=", v, row) for v in node[2])
    if kind == "term" and node[1] == ("bare", "*"):
        return True
    if kind == "term":
        raise Unverifiable(f"free-text search term {node[1][1]} (matched against _raw)")
    raise Unverifiable(f"search node '{kind}'")


@lru_cache(maxsize=64)
def _parsed_macro(definition: str):
    return parse_search(definition)


def _macro(name: str, ctx: Context):
    if "(" in name:
        raise Unverifiable(f"macro with arguments `{name}`")
    if name not in ctx.macros:
        raise Unverifiable(f"macro `{name}` has no known definition")
    return _parsed_macro(ctx.macros[name])


def search_value(token: tuple) -> str:
    """A search-language value as Splunk reads it: quotes removed, ``\\\\`` and ``\\"`` unescaped."""
    kind, raw = token
    if kind == "bare":
        if "\\*" in raw:
            raise Unverifiable("an escaped asterisk: SPL has no literal '*' in search terms")
        return raw
    body, out, i = raw[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            if n == "*":
                raise Unverifiable("an escaped asterisk: SPL has no literal '*' in search terms")
            if n in '\\"':
                out.append(n)
                i += 2
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _compare(field: str, op: str, token: tuple, row: dict) -> bool:
    pattern = search_value(token)
    vals = values(row, field)
    if op == "=":
        if pattern == "*":
            return any(as_text(v) != "" for v in vals)
        network = _cidr(pattern)
        if network is not None:
            return any(_in_network(v, network) for v in vals)
        rx = wildcard_regex(pattern, None, None, True)
        return any(rx.fullmatch(as_text(v)) for v in vals)
    if op == "!=":
        rx = wildcard_regex(pattern, None, None, True)
        return bool(vals) and not any(rx.fullmatch(as_text(v)) for v in vals)
    return any(_ordered(v, op, pattern) for v in vals)


def _cidr(pattern: str):
    """Search matches an IP field against CIDR notation (``ClientIP="10.0.0.0/8"``)."""
    if "/" not in pattern or "*" in pattern:
        return None
    try:
        return ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return None


def _in_network(value: Any, network) -> bool:
    try:
        address = ipaddress.ip_address(as_text(value))
    except ValueError:
        return False
    return address.version == network.version and address in network


def _ordered(value: Any, op: str, literal: str) -> bool:
    x: Any  # numbers, or strings when either is not one
    y: Any
    x, y = as_number(value), as_number(literal)
    if x is None or y is None:
        x, y = fold(as_text(value)), fold(literal)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


# --- regex, sort, streamstats --------------------------------------------------------------


def _regex(command: tuple, rows: list[dict]) -> list[dict]:
    _, field, op, quoted = command
    rx = _python_regex(_unquote(quoted))
    kept = []
    for r in rows:
        hit = any(rx.search(as_text(v)) for v in values(r, field[1]))
        if hit == (op == "="):
            kept.append(r)
    return kept


def _unquote(quoted: str) -> str:
    """A quoted string of the search language: ``\\\\`` is a backslash, ``\\"`` a quote (the
    backend doubles a regex's backslashes on that understanding)."""
    return re.sub(r'\\([\\"])', r"\1", quoted[1:-1])


def _tstats(command: tuple, source: list[dict], ctx: Context) -> list[dict]:
    _, options, aggregates, datamodel, where, by = command
    if datamodel not in ctx.datamodels:
        raise Unverifiable(f"data model '{datamodel}' has no known constraint")
    tags = [fold(t) for t in ctx.datamodels[datamodel]]
    dataset = datamodel.split(".", 1)[1]
    fill = options.get("fillnull_value")
    fill = _unquote(fill) if isinstance(fill, str) and fill.startswith('"') else fill
    rows = []
    for r in source:
        have = {fold(as_text(v)) for v in values(r, "tag")}
        if not all(t in have for t in tags):
            continue
        row = {f"{dataset}.{k}": v for k, v in r.items() if k not in (INDEX, "_time")}
        row.update({INDEX: r[INDEX], "_time": r.get("_time")})
        if where is None or _search(where, row, ctx):
            rows.append(row)
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        key = []
        for name in (f[1] for f in by):
            vals = values(row, name)
            if len(vals) > 1:
                raise Unverifiable(f"tstats by the multivalue field '{name}'")
            key.append(as_text(vals[0]) if vals else fill)
        if None not in key:
            groups.setdefault(tuple(key), []).append(row)
    out = []
    for group_key, members in groups.items():
        group = {f[1]: k for f, k in zip(by, group_key, strict=False)}
        group[INDEX] = tuple(i for m in members for i in m[INDEX])
        for func, arg, alias in aggregates:
            name = alias[1] if alias else (f"{func}({arg[1]})" if arg else func)
            group[name] = _aggregate(func, arg[1] if arg else None, members)
        out.append(group)
    return out


def _macro_command(name: str, rows: list[dict]) -> list[dict]:
    m = re.fullmatch(r"drop_dm_object_name\((\w+)\)", name)
    if not m:
        raise Unverifiable(f"macro command `{name}`")
    prefix = m.group(1) + "."
    return [
        {
            (k[len(prefix) :] if isinstance(k, str) and k.startswith(prefix) else k): v
            for k, v in r.items()
        }
        for r in rows
    ]


def _python_regex(pattern: str) -> re.Pattern:
    """PCRE as the backend writes it, in Python's dialect: ``(?<name>`` is ``(?P<name>``, and
    inline flags at the start of the (wrapping) group apply to the whole pattern."""
    flags = 0
    m = re.match(r"\(\?<(\w+)>\(\?([imsx]+)\)", pattern)
    if m:
        pattern = f"(?{m.group(2)})(?P<{m.group(1)}>" + pattern[m.end() :]
    pattern = re.sub(r"\(\?<(\w+)>", r"(?P<\1>", pattern)
    try:
        return re.compile(pattern, flags)
    except re.error as e:
        raise Unverifiable(f"regex '{pattern}' is not understood by Python's re: {e}") from None


def _rex(command: tuple, rows: list[dict]) -> list[dict]:
    """``rex field=f "(?<name>...)"``: the named groups of the first match become fields."""
    _, field, quoted = command
    rx = _python_regex(_unquote(quoted))
    out = []
    for r in rows:
        r = dict(r)
        vals = values(r, field[1])
        if len(vals) > 1:
            raise Unverifiable(f"rex over the multivalue field '{field[1]}'")
        m = rx.search(as_text(vals[0])) if vals else None
        if m:
            r.update({k: v for k, v in m.groupdict().items() if v is not None})
        out.append(r)
    return out


def _sort(command: tuple, rows: list[dict]) -> list[dict]:
    _, limit, keys = command
    if limit:
        raise Unverifiable("sort with a limit")
    out = list(rows)
    for direction, field in reversed(keys):
        name = field[1]
        if any(len(values(r, name)) != 1 for r in out):
            raise Unverifiable(
                f"sort on '{name}', which some results lack or hold several values of"
            )
        out.sort(key=lambda r: _sort_key(r[name]), reverse=direction == "-")
    return out


def _sort_key(value: Any):
    number = as_number(value)
    return (0, number, "") if number is not None else (1, 0.0, as_text(value))


def _span(text: str) -> float:
    m = re.fullmatch(r"(\d+)([a-z]+)", text)
    if not m or m.group(2) not in _SPAN_UNITS:
        raise Unverifiable(f"time_window '{text}'")
    return int(m.group(1)) * _SPAN_UNITS[m.group(2)]


def _streamstats(command: tuple, rows: list[dict]) -> list[dict]:
    _, options, aggregates, by = command
    unknown = set(options) - {"current", "time_window"}
    if unknown:
        raise Unverifiable(f"streamstats option(s) {', '.join(sorted(unknown))}")
    include_current = options.get("current", "t").lower() not in ("f", "false", "0")
    window = _span(options["time_window"]) if "time_window" in options else None
    by_fields = [f[1] for f in by]
    if window is not None:
        times = [r.get("_time") for r in rows]
        if any(t is None for t in times) or times != sorted(t for t in times if t is not None):
            raise Unverifiable("streamstats time_window over results not in time order")
    out = []
    seen: dict[tuple, list[dict]] = {}
    for row in rows:
        row = dict(row)
        key = []
        for name in by_fields:
            vals = values(row, name)
            if len(vals) > 1:
                raise Unverifiable(f"streamstats by the multivalue field '{name}'")
            key.append(as_text(vals[0]) if vals else None)
        if None in key:
            out.append(row)
            continue
        group = seen.setdefault(tuple(key), [])
        window_rows = [g for g in group if window is None or g["_time"] >= row["_time"] - window]
        if include_current:
            window_rows = window_rows + [row]
        for func, arg, alias in aggregates:
            name = alias[1] if alias else (f"{func}({arg[1]})" if arg else func)
            value = _aggregate(func, arg[1] if arg else None, window_rows)
            if value is None:
                row.pop(name, None)
            else:
                row[name] = value
        group.append(row)
        out.append(row)
    return out


def _aggregate(func: str, field: str | None, rows: list[dict]):
    if func == "count" and field is None:
        return len(rows)
    if field is None:
        raise Unverifiable(f"streamstats {func}() without a field")
    vals = [v for r in rows for v in values(r, field)]
    if func == "count":
        return len(vals)
    if func in ("dc", "distinct_count"):
        return len({as_text(v) for v in vals})
    if func in ("max", "min", "sum"):
        numbers = [n for n in (as_number(v) for v in vals) if n is not None]
        if not numbers:
            return None
        aggregate: Callable[[list[float]], float] = {"max": max, "min": min, "sum": sum}[func]  # type: ignore[assignment]
        return aggregate(numbers)
    raise Unverifiable(f"streamstats function {func}()")


# --- eval -----------------------------------------------------------------------------------


def _eval(node: Any, row: dict) -> Any:
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "str":
        return node[1][1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if kind == "field":
        vals = values(row, node[1])
        if len(vals) > 1:
            raise Unverifiable(f"eval over the multivalue field '{node[1]}'")
        return vals[0] if vals else None
    if kind == "not":
        value = _eval(node[1], row)
        return None if value is None else not value
    if kind == "call":
        return _call(node[1], node[2], row)
    if kind == "bin":
        return _binary(node[1], _eval(node[2], row), _eval(node[3], row))
    raise Unverifiable(f"eval node '{kind}'")


def _binary(op: str, a: Any, b: Any) -> Any:
    if op == "AND":
        return None if a is None or b is None else bool(a) and bool(b)
    if op == "OR":
        return None if a is None and b is None else bool(a) or bool(b)
    if a is None or b is None:
        return None
    if op in ("=", "=="):
        return _eval_compare(a, b) == 0
    if op == "!=":
        return _eval_compare(a, b) != 0
    if op in ("<", "<=", ">", ">="):
        c = _eval_compare(a, b)
        return {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]
    if op in ARITHMETIC_OPERATORS:
        x, y = as_number(a), as_number(b)
        if op == "+" and (x is None or y is None):
            return as_text(a) + as_text(b)  # SPL's + joins strings
        if x is None or y is None:
            return None
        return arithmetic(op, x, y)
    if op == ".":
        return as_text(a) + as_text(b)
    raise Unverifiable(f"eval operator '{op}'")


def _eval_compare(a: Any, b: Any) -> int:
    """eval compares numbers numerically and strings exactly, case included."""
    x: Any
    y: Any
    x, y = as_number(a), as_number(b)
    if x is None or y is None:
        x, y = as_text(a), as_text(b)
    return (x > y) - (x < y)


def _call(name: str, args: list, row: dict) -> Any:
    if name == "null":
        return None
    if name == "if":
        condition = _eval(args[0], row)
        return _eval(args[1], row) if condition is True else _eval(args[2], row)
    if name in ("isnull", "isnotnull"):
        value = _eval(args[0], row)
        return (value is None) == (name == "isnull")
    evaluated = [_eval(a, row) for a in args]
    if name == "lower":
        return None if evaluated[0] is None else as_text(evaluated[0]).lower()
    if name == "upper":
        return None if evaluated[0] is None else as_text(evaluated[0]).upper()
    if name == "coalesce":
        return next((v for v in evaluated if v is not None), None)
    if name == "like":
        value, pattern = evaluated
        if value is None or pattern is None:
            return None
        rx = re.compile(
            "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern),
            re.DOTALL,
        )
        return bool(rx.fullmatch(as_text(value)))
    if name == "match":
        value, pattern = evaluated
        return None if value is None else bool(re.search(as_text(pattern), as_text(value)))
    if name == "replace":
        # PCRE read as Python's re (alike for the pack's patterns); \1 names a group in both.
        value, pattern, replacement = evaluated
        if value is None or pattern is None or replacement is None:
            return None
        return re.sub(as_text(pattern), as_text(replacement), as_text(value))
    raise Unverifiable(f"eval function {name}()")
