"""Query-level verification: the text users import, parsed by a real parser of its language and
evaluated over the fixtures with the platform's matching semantics.

One module per language (``spl``, ``eql``, ``esql``, ``lucene``), each with ``LANGUAGE``,
``parse(text)`` (raises ``QuerySyntaxError``) and ``evaluate(parsed, events, ctx)`` (the
indices of matching events; raises ``Unverifiable`` for what it does not model). The language
of a compiled query picks the module; its target supplies the platform's facts
(``Target.verification_context``).
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType
from typing import Any

from t1114.compiled import CompiledQuery
from t1114.errors import PackError
from t1114.events import Event
from t1114.verify.base import Context, QuerySyntaxError, Unverifiable

_LANGUAGE_MODULES = ("spl", "eql", "esql", "lucene")


@cache
def verifiers() -> dict[str, ModuleType]:
    """The verifier of each language. Imported when first asked for: their parsers (EQL's
    grammar above all) take a third of a second to load, which ``scan`` never needs."""
    modules = [importlib.import_module(f"t1114.verify.{name}") for name in _LANGUAGE_MODULES]
    return {m.LANGUAGE: m for m in modules}


def __getattr__(name: str) -> Any:
    if name == "VERIFIERS":
        return verifiers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Context",
    "QuerySyntaxError",
    "Unverifiable",
    "VERIFIERS",
    "check_syntax",
    "evaluate",
    "parse",
]


def verifier(language: str) -> ModuleType | None:
    return verifiers().get(language)


def parse(compiled: CompiledQuery) -> list:
    """Every query of a compiled rule, parsed; ``QuerySyntaxError`` names the failing one."""
    module = verifier(compiled.language)
    if module is None:
        raise Unverifiable(f"no parser for {compiled.language}")
    queries = compiled.queries or (compiled.text,)
    parsed = []
    for n, query in enumerate(queries, 1):
        try:
            parsed.append(module.parse(query))
        except QuerySyntaxError as e:
            which = f"query {n} of {len(queries)}" if len(queries) > 1 else "query"
            raise QuerySyntaxError(
                f"{compiled.target} {compiled.language} {which} does not parse: {e}"
            ) from None
    return parsed


def check_syntax(compiled: CompiledQuery, path=None) -> None:
    """For the build: a query its own language's parser rejects is an error naming the rule."""
    if verifier(compiled.language) is None:
        return
    try:
        parse(compiled)
    except QuerySyntaxError as e:
        raise PackError(path, f"rule '{compiled.rule_name}': {e}") from None


def evaluate(compiled: CompiledQuery, parsed: list, events: list[Event], ctx: Context) -> set[int]:
    """Indices of the events the rule's queries match; any query matching counts (an Elastic
    any-order correlation ships one sequence per order)."""
    module = verifiers()[compiled.language]
    scoped = [e for e in events if _in_scope(e, ctx)]
    matched: set[int] = set()
    for query in parsed:
        matched |= module.evaluate(query, scoped, ctx)
    return matched


def _in_scope(event: Event, ctx: Context) -> bool:
    """Elastic rules search only their index patterns (one per data stream)."""
    if not ctx.datasets:
        return True
    return event.fields.get("data_stream.dataset") in ctx.datasets
