"""Sigma regular expressions (Python ``re`` syntax, as ``scan`` runs them) in Java's syntax,
which Spark's ``RLIKE`` uses.

Most of what rules write means the same in both; the differences handled here:

* named groups ``(?P<n>...)`` and back references ``(?P=n)`` are spelled ``(?<n>...)`` and
  ``\\k<n>`` in Java;
* Python's ``\\Z`` (end of text) is Java's ``\\z``;
* inside a character class Java reads ``[`` as a nested class and ``&&`` as an intersection,
  Python reads both literally: they are escaped;
* Python's ``\\d``, ``\\w``, ``\\s`` and ``(?i)`` are Unicode-aware on text; Java's only with
  ``(?U)`` and ``(?u)``, which every translated pattern carries.

What has no Java form (conditionals ``(?(1)...)``, comments ``(?#...)``, and Python-only
escapes) is refused with ``RegexNotTranslatable``, naming the construct.
"""

from __future__ import annotations

import re


class RegexNotTranslatable(ValueError):
    """A regular expression Java's engine would read differently, with no translation."""


# Escapes Python accepts in patterns that Java does not (or reads otherwise).
_PYTHON_ONLY_ESCAPES = {"N": "named Unicode characters (\\N{...})"}
_UNICODE_FLAGS = "(?U)"


def to_java(pattern: str) -> str:
    """The Java form of a Python regular expression; raises RegexNotTranslatable."""
    try:
        re.compile(pattern)
    except re.error as e:
        raise RegexNotTranslatable(f"invalid regular expression {pattern!r}: {e}") from None
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt in _PYTHON_ONLY_ESCAPES:
                raise RegexNotTranslatable(
                    f"regular expression {pattern!r} uses {_PYTHON_ONLY_ESCAPES[nxt]}, which Java lacks"
                )
            out.append("\\z" if nxt == "Z" and not in_class else c + nxt)
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
                out.append(c)
            elif c == "[":
                out.append("\\[")
            elif c == "&" and pattern.startswith("&&", i):
                out.append("\\&\\&")
                i += 2
                continue
            else:
                out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            # A leading "^" and a leading "]" belong to the class's first position.
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":
                out.append("\\]")
                i += 1
            continue
        if pattern.startswith("(?P<", i):
            out.append("(?<")
            i += 4
            continue
        if pattern.startswith("(?P=", i):
            end = pattern.index(")", i)
            out.append(f"\\k<{pattern[i + 4 : end]}>")
            i = end + 1
            continue
        if pattern.startswith("(?(", i):
            raise RegexNotTranslatable(
                f"regular expression {pattern!r} uses a conditional group (?(...)), which Java lacks"
            )
        if pattern.startswith("(?#", i):
            raise RegexNotTranslatable(
                f"regular expression {pattern!r} uses a comment group (?#...), which Java lacks"
            )
        out.append(c)
        i += 1
    body = "".join(out)
    # Inline flags must lead the pattern in Python; the Unicode flags go before them.
    flags = _UNICODE_FLAGS + ("(?u)" if re.match(r"\(\?[a-zA-Z]*i", pattern) else "")
    return flags + body
