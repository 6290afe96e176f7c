"""Derived fields (``sigma.pipelines.t1114.base.DerivedField``) as the pack's own engines
compute them: the reference the SPL, ES|QL and Spark forms of the same field follow.

A processed correlation carries each derived field it groups by as its platform computes it
(``transformations.derived_fields``): the platform fields it is read from, in order, each with
an optional pattern, and the normalising pattern. Values are the engines' cells (text, a
multivalue field's values joined), so every engine derives from the same text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache

from sigma.pipelines.t1114.transformations import derived_fields

__all__ = ["derive", "derived_fields", "sql_derive", "source_fields"]


@lru_cache(maxsize=256)
def _pattern(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _reduce(pattern: str | None, text: str) -> str:
    """``text`` reduced to the pattern's group 1 where the pattern matches (``replace`` in SPL,
    ``REPLACE`` in ES|QL, ``regexp_replace`` in Spark: an anchored pattern matches once)."""
    return text if pattern is None else _pattern(pattern).sub(r"\1", text)


def derive(spec: dict, values: Sequence[str | None]) -> str | None:
    """The field's value from its sources' values (in the spec's order); None when the event
    has none of them."""
    for (_field, pattern), value in zip(spec["sources"], values, strict=True):
        if value is not None:
            return _reduce(spec["normalise"], _reduce(pattern, str(value)).lower())
    return None


def source_fields(spec: dict) -> list[str]:
    """The platform fields a derived field is read from."""
    return [f for f, _pattern in spec["sources"]]


def sql_derive(spec_json: str, *values: str | None) -> str | None:
    """The SQLite function behind a derived column (``t1114.engine``): the spec as JSON text."""
    return derive(_spec(spec_json), values)


@lru_cache(maxsize=64)
def _spec(spec_json: str) -> dict:
    return json.loads(spec_json)
