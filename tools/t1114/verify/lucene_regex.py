"""Lucene's regular expression syntax, which EQL ``regex``, ES|QL ``RLIKE`` and Lucene
``/.../`` queries use, translated to Python's ``re`` for the part of it both share.

Lucene regexes always match the whole value (there are no ``^``/``$`` anchors: both are plain
characters), know no ``(?...)`` groups, lookarounds or back-references, and reserve
``# @ & < > ~`` for optional operators. Patterns outside the shared part are not evaluated.
"""

from __future__ import annotations

import re
from functools import lru_cache

from t1114.verify.base import Unverifiable

_CLASS_SHORTHANDS = {"d": "0-9", "w": "A-Za-z0-9_", "s": r" \t\n\r\f\v"}
_OPTIONAL_OPERATORS = set("#@&<>~")


@lru_cache(maxsize=1024)
def compile_lucene_regex(pattern: str, ignore_case: bool) -> re.Pattern:
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern):
                raise Unverifiable(f"regex '{pattern}' ends in a lone backslash")
            n = pattern[i + 1]
            if n in _CLASS_SHORTHANDS:
                body = _CLASS_SHORTHANDS[n]
                out.append(body if in_class else f"[{body}]")
            elif n in "DWS":
                if in_class:
                    raise Unverifiable(f"regex '{pattern}' negates a shorthand inside a class")
                out.append(f"[^{_CLASS_SHORTHANDS[n.lower()]}]")
            elif n.isalnum():
                raise Unverifiable(
                    f"regex '{pattern}' uses escape '\\{n}', which Lucene does not define"
                )
            else:
                out.append(re.escape(n))
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
                out.append("]")
            elif c in "[":
                out.append(re.escape(c))
            else:
                out.append(c if c in "-^" else re.escape(c))
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append("[")
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
        elif c == "(":
            if pattern[i + 1 : i + 2] == "?":
                raise Unverifiable(
                    f"regex '{pattern}' uses a '(?' group, which Lucene does not have"
                )
            out.append("(")
        elif c in ".?+*|{})":
            out.append(c)
        elif c == '"':
            end = pattern.find('"', i + 1)
            if end == -1:
                raise Unverifiable(f"regex '{pattern}' has an unterminated quoted string")
            out.append(re.escape(pattern[i + 1 : end]))
            i = end
        elif c in _OPTIONAL_OPERATORS:
            raise Unverifiable(f"regex '{pattern}' uses '{c}', an optional Lucene regex operator")
        else:
            out.append(re.escape(c))  # ^ and $ included: Lucene has no anchors
        i += 1
    if in_class:
        raise Unverifiable(f"regex '{pattern}' has an unterminated character class")
    try:
        return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))
    except re.error as e:
        raise Unverifiable(f"regex '{pattern}' is not understood: {e}") from None
