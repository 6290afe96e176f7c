"""Wildcard patterns as anchored regular expressions, for every matcher that has them (the
engine's SQL ``LIKE``, SPL and EQL wildcards, ES|QL ``LIKE``, Lucene wildcards)."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=4096)
def wildcard_regex(
    pattern: str, multi: str, single: str | None, escape: str | None, ignore_case: bool
) -> re.Pattern:
    """``multi`` matches any run, ``single`` one character, ``escape`` makes the next character
    literal; everything else is literal."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if escape and c == escape and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == multi else "." if single and c == single else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))
