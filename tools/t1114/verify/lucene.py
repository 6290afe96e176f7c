"""Lucene query syntax (Elasticsearch ``query_string``) as Elasticsearch runs it: parsed with
``luqum`` and evaluated over its tree.

No target ships Lucene today (Elastic rules are EQL and ES|QL), but Kibana can hold Lucene
queries and pySigma's Lucene backend is one option away, so the pack can tell what such a query
would do. Semantics modelled:

* on ``keyword``/``wildcard`` fields a term, a wildcard (``*``, ``?``) and a regex (``/../``,
  Lucene syntax, whole value) compare case-sensitively: ``query_string`` lower-cases nothing on
  a keyword without a normalizer; ``.caseless`` fields fold case on both sides;
* a backslash escapes the next character; a phrase (``"..."``) on a keyword is an exact term;
* ``field:>=n`` and ``[a TO b]`` compare numbers numerically on numeric fields;
* ``_exists_:field`` holds when the field has a value; ``NOT``/``AND``/``OR`` are two-valued
  (a query on a missing field is false); a multivalue field matches when any value matches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from luqum import tree as lt
from luqum.exceptions import ParseError
from luqum.parser import parser

from t1114.events import Event
from t1114.verify.base import (
    Context,
    QuerySyntaxError,
    Unverifiable,
    as_number,
    as_text,
    fold,
    wildcard_regex,
)
from t1114.verify.elastic_fields import FieldValues, lookup
from t1114.verify.lucene_regex import compile_lucene_regex

LANGUAGE = "lucene"


def parse(text: str) -> lt.Item:
    try:
        return parser.parse(text)
    except (ParseError, Exception) as e:  # luqum raises ParseError and, on odd input, plain errors
        raise QuerySyntaxError(
            str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        ) from None


def evaluate(query: lt.Item, events: list[Event], ctx: Context) -> set[int]:
    return {e.index for e in events if _match(query, None, e, ctx)}


def _match(node: lt.Item, field: str | None, event: Event, ctx: Context) -> bool:
    if isinstance(node, (lt.Group, lt.FieldGroup)):
        return _match(node.children[0], field, event, ctx)
    if isinstance(node, lt.AndOperation):
        return all(_match(c, field, event, ctx) for c in node.children)
    if isinstance(node, lt.OrOperation):
        return any(_match(c, field, event, ctx) for c in node.children)
    if isinstance(node, (lt.Not, lt.Prohibit)):
        return not _match(node.children[0], field, event, ctx)
    if isinstance(node, lt.UnknownOperation):
        raise Unverifiable("implicit operators (they depend on default_operator)")
    if isinstance(node, lt.SearchField):
        if node.name == "_exists_":
            return bool(lookup(ctx, event.fields, _unescape(str(node.expr))).values)
        return _match(node.expr, node.name, event, ctx)
    if field is None:
        raise Unverifiable(f"a term without a field ('{node}'), searched in default fields")
    values = lookup(ctx, event.fields, field)
    if isinstance(node, lt.Word):
        return _word(str(node.value), values)
    if isinstance(node, lt.Phrase):
        text = _unescape(str(node.value)[1:-1])
        return any(_equal(values, v, text) for v in values.values)
    if isinstance(node, lt.Regex):
        rx = compile_lucene_regex(str(node.value)[1:-1], values.caseless)
        return any(rx.fullmatch(_text(values, v)) for v in values.values)
    if isinstance(node, (lt.From, lt.To, lt.Range)):
        return _range(node, values)
    raise Unverifiable(f"Lucene construct {type(node).__name__}")


def _text(values: FieldValues, value: Any) -> str:
    return fold(as_text(value)) if values.caseless else as_text(value)


def _equal(values: FieldValues, value: Any, text: str) -> bool:
    if values.kind == "number":
        x, y = as_number(value), as_number(text)
        return x is not None and x == y
    if values.kind != "string":
        raise Unverifiable(f"term on {values.kind} field '{values.name}'")
    return _text(values, value) == (fold(text) if values.caseless else text)


def _word(raw: str, values: FieldValues) -> bool:
    if not _has_wildcard(raw):
        text = _unescape(raw)
        return any(_equal(values, v, text) for v in values.values)
    if values.kind != "string":
        raise Unverifiable(f"wildcard on {values.kind} field '{values.name}'")
    pattern = fold(raw) if values.caseless else raw
    rx = wildcard_regex(pattern, "?", "\\", False)
    return any(rx.fullmatch(_text(values, v)) for v in values.values)


def _has_wildcard(raw: str) -> bool:
    i = 0
    while i < len(raw):
        if raw[i] == "\\":
            i += 2
            continue
        if raw[i] in "*?":
            return True
        i += 1
    return False


def _range(node: lt.Item, values: FieldValues) -> bool:
    if isinstance(node, lt.Range):
        low, high = _unescape(str(node.low)), _unescape(str(node.high))
        low_ok, high_ok = node.include_low, node.include_high
    elif isinstance(node, lt.From):
        low, high, low_ok, high_ok = _unescape(str(node.a)), "*", node.include, True
    else:
        low, high, low_ok, high_ok = "*", _unescape(str(node.a)), True, node.include
    for v in values.values:
        x: Any = as_number(v) if values.kind == "number" else as_text(v)
        if x is None:
            continue
        bound: Callable[[str], Any] = as_number if values.kind == "number" else str
        ok_low = low == "*" or (x >= bound(low) if low_ok else x > bound(low))
        ok_high = high == "*" or (x <= bound(high) if high_ok else x < bound(high))
        if ok_low and ok_high:
            return True
    return False


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)
