"""What every query-language verifier shares: the evaluation context, field access over
flattened events, wildcard patterns and the "cannot evaluate this" signal.

A verifier parses one shipped query with a real parser of its language and evaluates the
parse tree over fixture events with the platform's documented matching semantics. When a
construct's semantics are not modelled, it raises :class:`Unverifiable` with the reason, so the
query is reported as unverified, never as passing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from t1114 import patterns
from t1114.engine import to_iso
from t1114.events import Event


class Unverifiable(Exception):
    """A construct whose platform semantics the verifier does not model; the message says why."""


class QuerySyntaxError(Exception):
    """The platform's parser rejects the query."""


@dataclass(frozen=True)
class Context:
    """What a query is evaluated against, besides the events themselves."""

    target: str
    timestamp_fields: tuple[str, ...]
    # Elastic: dataset -> {field: ES field type}; used for case sensitivity per field type.
    field_types: dict = field(default_factory=dict)
    # Elastic: the data streams the rule's index patterns select; empty means every event.
    datasets: tuple[str, ...] = ()
    # Splunk: macro name -> definition.
    macros: dict = field(default_factory=dict)
    # Splunk CIM: data model ("Endpoint.Processes") -> the tags its constraint requires.
    datamodels: dict = field(default_factory=dict)


MISSING = object()


def values(event_fields: dict, name: str) -> list[Any]:
    """The values of a field, [] when absent; a multivalue field gives every value."""
    value = event_fields.get(name, MISSING)
    if value is MISSING or value is None:
        return []
    if isinstance(value, list):
        return [v for v in value if v is not None]
    return [value]


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


ARITHMETIC_OPERATORS = ("+", "-", "*", "/", "%")


def arithmetic(op: str, x: float, y: float) -> float | None:
    """Both query languages' arithmetic on two numbers; division by zero gives null."""
    if op in ("/", "%"):
        return (x / y if op == "/" else x % y) if y else None
    return {"+": x + y, "-": x - y, "*": x * y}[op]


def epoch(event: Event, candidates: Iterable[str]) -> float | None:
    iso = None
    for name in candidates:
        if name in event.fields:
            iso = to_iso(event.fields[name])
            if iso is not None:
                break
    if iso is None:
        return None
    moment = dt.datetime.strptime(iso, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=dt.UTC)
    return moment.timestamp()


def wildcard_regex(
    pattern: str, single: str | None, escape: str | None, ignore_case: bool
) -> re.Pattern:
    """A glob-like pattern: ``*`` any run, ``single`` one character, ``escape`` quotes the next."""
    return patterns.wildcard_regex(pattern, "*", single, escape, ignore_case)


def unescape(body: str, escapes: dict[str, str], keep_unknown: bool) -> str:
    """A string literal's body with its backslash escapes resolved (``\\u{XXXX}`` included);
    an unknown escape keeps its backslash when ``keep_unknown``."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            if n == "u" and body[i + 2 : i + 3] == "{" and "}" in body[i:]:
                end = body.index("}", i)
                out.append(chr(int(body[i + 3 : end], 16)))
                i = end + 1
                continue
            out.append(escapes.get(n, ("\\" + n) if keep_unknown else n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def fold(text: str) -> str:
    """Case folding as the platforms do it for case-insensitive comparison (Unicode lower case)."""
    return text.lower()


def any_value(vals: list[Any], test: Callable[[Any], bool]) -> bool:
    return any(test(v) for v in vals)
