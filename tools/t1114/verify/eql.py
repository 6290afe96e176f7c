"""EQL as Elasticsearch runs it: parsed with the ``eql`` package (Elastic's EQL parser, in its
Elasticsearch syntax mode) and evaluated over its parse tree.

The ``eql`` package's own engine implements the original EQL, where ``==`` ignores case and
``:``/``like~`` do not exist as such; its AST also folds ``like``, ``like~`` and ``:`` into one
``wildcard`` call. Elasticsearch's semantics differ, so the verifier walks the Lark parse tree,
which keeps every operator as written:

* ``==``, ``!=``, ``in``, ``like``, ``regex`` compare case-sensitively; ``:``, ``in~``,
  ``like~``, ``regex~`` and ``~``-suffixed functions ignore case. Whether a comparison on a
  field is exact also depends on the field's mapping type (see ``elastic_fields``).
* ``:`` and ``like`` patterns know two wildcards, ``*`` and ``?``, and no escape: a backslash is
  a literal character (Elastic's own rules write ``"C:\\\\Windows\\\\*"``).
* ``regex`` is Lucene regex syntax and matches the whole value.
* a multivalue field matches when any value does; a predicate on a missing field is false and
  ``not`` of it true (Elasticsearch turns these predicates into query DSL, which is two-valued).
* ``sequence [by k] with maxspan=d [..] [..] [by k]``: events in @timestamp order (ties in
  document order); a step extends the latest partial sequence of its join key, which then
  leaves the previous stage, as Elasticsearch keeps it; the whole sequence must span at most
  ``d``. Join keys compare exactly (they are keyword values); an event missing a key joins
  nothing.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from eql.parser import elasticsearch_syntax, ignore_missing_functions, lark_parser, parse_query
from lark import Token, Tree
from lark.exceptions import LarkError

from t1114.events import Event
from t1114.verify.base import (
    Context,
    QuerySyntaxError,
    Unverifiable,
    as_number,
    as_text,
    epoch,
    fold,
    unescape,
    values,
    wildcard_regex,
)
from t1114.verify.elastic_fields import FieldValues, lookup
from t1114.verify.lucene_regex import compile_lucene_regex

LANGUAGE = "eql"

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "'": "'", "\\": "\\"}


def parse(text: str) -> Tree:
    try:
        with elasticsearch_syntax, ignore_missing_functions:
            parse_query(text)
        return lark_parser.parse(text, start="piped_query")
    except Exception as e:  # eql raises EqlError subclasses, Lark its own
        message = str(e).strip().splitlines()
        raise QuerySyntaxError(" ".join(message[:2]) if message else type(e).__name__) from None


def evaluate(tree: Tree, events: list[Event], ctx: Context) -> set[int]:
    base, pipes = tree.children[0], tree.children[1] if len(tree.children) > 1 else None
    if pipes is not None:
        raise Unverifiable("EQL pipes are not evaluated")
    query = base.children[0]
    if query.data == "event_query":
        return {e.index for e in events if _event_matches(query, e, ctx)}
    if query.data == "sequence":
        return _sequence(query, events, ctx)
    raise Unverifiable(f"EQL '{query.data}' queries are not evaluated")


# --- sequences ------------------------------------------------------------------------------


def _sequence(node: Tree, events: list[Event], ctx: Context) -> set[int]:
    keys: list[str] = []
    maxspan = None
    steps: list[tuple[Tree, list[str]]] = []
    for child in node.children:
        if child is None:
            continue
        if child.data == "join_values":
            keys = _join_fields(child)
        elif child.data == "with_params":
            maxspan = _time_range(child.children[-1])
        elif child.data == "subquery_by":
            steps.append(_step(child))
        elif child.data == "until_subquery_by":
            raise Unverifiable("EQL 'until' is not evaluated")
    if maxspan is None:
        raise Unverifiable("a sequence without maxspan has no time window")
    ordered = []
    for e in events:
        ts = epoch(e, ctx.timestamp_fields)
        if ts is None:
            raise Unverifiable(f"event {e.index} has no timestamp")
        ordered.append((ts, e.index, e))
    ordered.sort(key=lambda t: (t[0], t[1]))
    # partial[stage][key] = (start time, event indices) of the latest chain that reached stage
    partial: list[dict] = [{} for _ in steps]
    matched: set[int] = set()
    for ts, _, event in ordered:
        for stage in range(len(steps) - 1, -1, -1):
            query, step_keys = steps[stage]
            if not _event_matches(query, event, ctx):
                continue
            key = _key(event, keys + step_keys, ctx)
            if key is None:
                continue
            if stage == 0:
                partial[0][key] = (ts, (event.index,))
                continue
            previous = partial[stage - 1].pop(key, None)
            if previous is None or ts - previous[0] > maxspan:
                continue
            chain = (previous[0], previous[1] + (event.index,))
            if stage == len(steps) - 1:
                matched.update(chain[1])
            else:
                partial[stage][key] = chain
    return matched


def _step(node: Tree) -> tuple[Tree, list[str]]:
    subquery: Tree | None = None
    step_keys: list[str] = []
    for child in node.children:
        if child is None:
            continue
        if child.data == "subquery":
            if any(isinstance(c, Token) and c.type == "MISSING_EVENT_OPEN" for c in child.children):
                raise Unverifiable("EQL missing-event steps ('![') are not evaluated")
            subquery = next(c for c in child.children if isinstance(c, Tree))
        elif child.data == "join_values":
            step_keys = _join_fields(child)
        elif child.data in ("repeated_sequence", "fork_param"):
            raise Unverifiable(f"EQL sequence option '{child.data}' is not evaluated")
    if subquery is None:
        raise Unverifiable("an EQL sequence step without a query")
    return subquery, step_keys


def _join_fields(node: Tree) -> list[str]:
    names = []
    for expr in node.children[0].children:
        if not (isinstance(expr, Tree) and expr.data in ("field", "base_field")):
            raise Unverifiable("a join key that is not a field")
        names.append(_field_name(expr))
    return names


def _key(event: Event, names: list[str], ctx: Context) -> tuple | None:
    key = []
    for name in names:
        vals = lookup(ctx, event.fields, name).values
        if not vals:
            return None
        if len(vals) > 1:
            raise Unverifiable(f"join key '{name}' is multivalued in event {event.index}")
        key.append(as_text(vals[0]))
    return tuple(key)


def _time_range(node: Tree) -> float:
    number = float(str(node.children[0].children[0]))
    unit = (
        str(node.children[1].children[0])
        if len(node.children) > 1 and node.children[1] is not None
        else "ms"
    )
    if unit not in _UNITS:
        raise Unverifiable(f"maxspan unit '{unit}'")
    return number * _UNITS[unit]


# --- event queries --------------------------------------------------------------------------


def _event_matches(node: Tree, event: Event, ctx: Context) -> bool:
    category_node, expr = node.children
    if category_node is not None:
        category = str(category_node.children[0])
        if category != "any" and category not in {
            as_text(v) for v in values(event.fields, "event.category")
        }:
            return False
    return _truth(expr, event, ctx)


def _truth(node: Any, event: Event, ctx: Context) -> bool:
    if isinstance(node, Tree):
        kind = node.data
        if kind == "or_expr":
            return any(_truth(c, event, ctx) for c in node.children)
        if kind == "and_expr":
            return all(_truth(c, event, ctx) for c in node.children)
        if kind == "not_expr":
            nots = sum(1 for c in node.children if isinstance(c, Token) and c.type == "NOT_OP")
            result = _truth(node.children[-1], event, ctx)
            return result if nots % 2 == 0 else not result
        if kind == "comparison":
            return _comparison(node, event, ctx)
        if kind in ("in_set", "not_in_set"):
            return _in_set(node, event, ctx)
        if kind == "string_predicate":
            return _string_predicate(node, event, ctx)
        if kind == "function_call":
            return bool(_function(node, event, ctx))
        if kind == "literal":
            value = _literal(node)
            if isinstance(value, bool):
                return value
    raise Unverifiable(f"EQL expression '{_text(node)}' is not evaluated")


def _operand(node: Tree, event: Event, ctx: Context):
    if isinstance(node, Tree) and node.data in ("field", "base_field"):
        return lookup(ctx, event.fields, _field_name(node))
    if isinstance(node, Tree) and node.data == "literal":
        return _literal(node)
    raise Unverifiable(f"EQL operand '{_text(node)}' is not evaluated")


def _comparison(node: Tree, event: Event, ctx: Context) -> bool:
    left, op, right = node.children
    op = str(op)
    a, b = _operand(left, event, ctx), _operand(right, event, ctx)
    if not isinstance(a, FieldValues):
        if isinstance(b, FieldValues):
            a, b, op = b, a, {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
        else:
            raise Unverifiable("a comparison of two literals")
    if isinstance(b, FieldValues):
        raise Unverifiable("a comparison of two fields")
    if b is None:
        if op in ("==", "="):
            return not a.values
        if op == "!=":
            return bool(a.values)
        raise Unverifiable(f"'{op} null'")
    if op in ("==", "="):
        return any(_equal(a, v, b, insensitive=False) for v in a.values)
    if op == "!=":
        return not any(_equal(a, v, b, insensitive=False) for v in a.values)
    return any(_order(a, v, b, op) for v in a.values)


def _equal(field: FieldValues, value: Any, literal: Any, insensitive: bool) -> bool:
    if field.kind == "number":
        x, y = as_number(value), as_number(literal)
        return x is not None and y is not None and x == y
    if field.kind == "ip":
        try:
            return ipaddress.ip_address(as_text(value)) == ipaddress.ip_address(as_text(literal))
        except ValueError:
            return False
    if field.kind == "boolean":
        return as_text(value).lower() == as_text(literal).lower()
    if field.kind == "date":
        raise Unverifiable(f"date field '{field.name}' compared")
    a, b = as_text(value), as_text(literal)
    if insensitive or field.caseless:
        return fold(a) == fold(b)
    return a == b


def _order(field: FieldValues, value: Any, literal: Any, op: str) -> bool:
    x: Any  # numbers or strings, compared alike
    y: Any
    if field.kind == "number":
        x, y = as_number(value), as_number(literal)
        if x is None or y is None:
            return False
    elif field.kind == "string":
        x, y = as_text(value), as_text(literal)
    else:
        raise Unverifiable(f"'{op}' on {field.kind} field '{field.name}'")
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def _in_set(node: Tree, event: Event, ctx: Context) -> bool:
    left, op, container = node.children
    field = _operand(left, event, ctx)
    if not isinstance(field, FieldValues):
        raise Unverifiable("'in' over a non-field")
    insensitive = str(op) == "in~"
    items = [_operand(c, event, ctx) for c in container.children]
    if any(isinstance(i, FieldValues) for i in items):
        raise Unverifiable("'in' with field members")
    found = any(
        _equal(field, v, item, insensitive)
        for v in field.values
        for item in items
        if item is not None
    )
    return found if node.data == "in_set" else not found


def _string_predicate(node: Tree, event: Event, ctx: Context) -> bool:
    left, op, *patterns = node.children
    field = _operand(left, event, ctx)
    if not isinstance(field, FieldValues):
        raise Unverifiable(f"'{op}' over a non-field")
    op = str(op)
    insensitive = op in (":", "like~", "regex~") or field.caseless
    texts = []
    for p in patterns:
        value = _literal(p)
        if not isinstance(value, str):
            raise Unverifiable(f"'{op}' with a non-string pattern")
        texts.append(fold(value) if field.caseless else value)
    if field.kind not in ("string",):
        if op == ":" and field.kind in ("number", "ip", "boolean"):
            return any(
                _equal(field, v, t, insensitive)
                for v in field.values
                for t in texts
                if "*" not in t and "?" not in t
            )
        raise Unverifiable(f"'{op}' on {field.kind} field '{field.name}'")
    if op.startswith("regex"):
        regexes = [compile_lucene_regex(t, insensitive) for t in texts]
        return any(rx.fullmatch(as_text(v)) for v in field.values for rx in regexes)
    regexes = [wildcard_regex(t, "?", None, insensitive) for t in texts]
    return any(rx.fullmatch(as_text(v)) for v in field.values for rx in regexes)


def _function(node: Tree, event: Event, ctx: Context) -> bool:
    name = str(node.children[0])
    args = (
        node.children[1].children if len(node.children) > 1 and node.children[1] is not None else []
    )
    insensitive = name.endswith("~")
    base = name.rstrip("~")
    if base == "cidrMatch":
        field = _operand(args[0], event, ctx)
        nets = []
        for a in args[1:]:
            try:
                nets.append(ipaddress.ip_network(str(_literal(a)), strict=False))
            except ValueError:
                raise Unverifiable(f"cidrMatch with '{_text(a)}'") from None
        for v in field.values:
            try:
                address = ipaddress.ip_address(as_text(v))
            except ValueError:
                continue
            if any(address.version == n.version and address in n for n in nets):
                return True
        return False
    if base in ("startsWith", "endsWith", "stringContains"):
        field = _operand(args[0], event, ctx)
        needle = _literal(args[1])
        if not isinstance(field, FieldValues) or not isinstance(needle, str):
            raise Unverifiable(f"{name} over a non-field")
        fold_all = insensitive or field.caseless
        test = {
            "startsWith": str.startswith,
            "endsWith": str.endswith,
            "stringContains": str.__contains__,
        }[base]
        return any(
            test(fold(as_text(v)) if fold_all else as_text(v), fold(needle) if fold_all else needle)
            for v in field.values
        )
    raise Unverifiable(f"EQL function '{name}' is not evaluated")


# --- leaves ---------------------------------------------------------------------------------


def _field_name(node: Tree) -> str:
    if node.data == "base_field":
        token = node.children[0].children[0]
        return str(token).strip("`")
    text = str(node.children[0]).lstrip("?")
    parts = lark_parser.parse(text, "field_parts").children
    names = []
    for part in parts:
        token = str(part.children[0])
        if part.data == "array_index":
            raise Unverifiable(f"array index in field '{text}'")
        names.append(token.strip("`"))
    return ".".join(names)


def _literal(node: Tree) -> Any:
    inner = node.children[0]
    if inner.data == "null":
        return None
    if inner.data == "boolean":
        return str(inner.children[0]) == "true"
    token = inner.children[0]
    if inner.data == "number":
        text = str(token)
        return float(text) if any(c in text for c in ".eE") else int(text)
    return _decode_string(str(token))


def _decode_string(token: str) -> str:
    if token.startswith('"""'):
        return token[3:-3]
    if token.startswith("?"):  # raw string: no escapes but the quote
        quote = token[1]
        return token[2:-1].replace("\\" + quote, quote)
    return unescape(token[1:-1], _ESCAPES, keep_unknown=False)


def _text(node: Any) -> str:
    if isinstance(node, Token):
        return str(node)
    if isinstance(node, Tree):
        return " ".join(_text(c) for c in node.children if c is not None)
    return str(node)


__all__ = ["LANGUAGE", "LarkError", "parse", "evaluate"]
