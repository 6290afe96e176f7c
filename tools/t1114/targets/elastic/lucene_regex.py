"""Sigma's (PCRE-style) regular expressions as Lucene's, which EQL's ``regex`` and ES|QL's
``RLIKE`` use; and the string literal both languages share."""

from __future__ import annotations

_LUCENE_OPERATORS = set('@&~<>#"')  # the optional operators, and '"' which quotes a literal
_SHORTHANDS = set("dDsSwWbBAzZ")


def lucene_regex(pattern: str) -> str:
    """A Sigma (searching, PCRE-style) regular expression as a Lucene one, which EQL uses.

    Lucene regexes match the whole value, so an unanchored pattern gets ``.*`` on that side
    and ``^``/``$`` anchors are dropped; its optional operators (``@ & ~ < > #``) are escaped
    when they stand for themselves. What Lucene cannot express (shorthand classes such as
    ``\\s``, group modifiers such as ``(?:``, anchors inside the pattern) is refused, so rules
    keep to the portable subset.
    """
    body = pattern
    anchored_start = body.startswith("^")
    if anchored_start:
        body = body[1:]
    anchored_end = body.endswith("$") and not body.endswith("\\$")
    if anchored_end:
        body = body[:-1]
    out: list[str] = []
    i, in_class = 0, False
    while i < len(body):
        c = body[i]
        if in_class:
            # Inside [...] only the escape and the closing bracket are special here.
            if c == "]" and not (out and out[-1] == "["):
                in_class = False
        elif c == "[":
            in_class = True
            out.append(c)
            if body[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            i += 1
            continue
        if c == "\\":
            if i + 1 >= len(body):
                raise ValueError("trailing backslash")
            nxt = body[i + 1]
            if nxt in _SHORTHANDS:
                raise ValueError(f"'\\{nxt}' has no Lucene equivalent; write a character class")
            out.append(c + nxt)
            i += 2
            continue
        if in_class:
            out.append(c)
            i += 1
            continue
        if c == "(" and body[i + 1 : i + 2] == "?":
            raise ValueError("group modifiers '(?...)' have no Lucene equivalent")
        if c in "^$":
            raise ValueError(f"anchor '{c}' inside the pattern has no Lucene equivalent")
        out.append("\\" + c if c in _LUCENE_OPERATORS else c)
        i += 1
    body = "".join(out)
    if not (anchored_start and anchored_end):
        body = f"({body})"  # so that a|b stays one alternative between the .* ends
    return ("" if anchored_start else ".*") + body + ("" if anchored_end else ".*")


def string_literal(text: str) -> str:
    """A double-quoted EQL / ES|QL string: backslash, quote and control characters escaped."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'
