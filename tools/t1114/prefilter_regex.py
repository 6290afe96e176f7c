"""A rule's regular expression, relaxed into one Hyperscan can run over an event's JSON text.

The engine matches a Python regex against each decoded value; the prefilter only sees the
JSON text (ASCII, no ``\\u`` escapes: other text is never judged). The relaxed pattern
matches that text wherever the original matches a value in it, and may match more:

* each single-character item (literal, class, ``.``) becomes the set of ASCII characters it
  matches under the rule's flags, found by asking Python's ``re`` itself for every ASCII
  character (so Unicode case folding, ``\\w`` and friends agree with the engine); of those,
  ``\\``, ``"`` and ``/`` may be written escaped in JSON and the control characters are, so
  each also stands for its escaped spelling;
* repetition, alternation and groups keep their structure; anchors and look-arounds are
  dropped (the value sits somewhere inside the line), which only widens the match;
* back-references and conditionals are not relaxed: the regex then adds no condition.

A value read from a JSON float is Python's spelling of the number, not the text's (``1e3`` is
``1000.0``), so a regex is used only when every match needs a character no number's
spelling has.
"""

from __future__ import annotations

import re

# The standard library's own regex parser (the pack requires Python 3.11, where it lives here).
import re._constants as sre_constants
import re._parser as sre_parse
from functools import lru_cache

ASCII = [chr(i) for i in range(128)]
NUMBER_CHARS = frozenset("0123456789.+-einfaINFAE")
_ESCAPED = {
    "\\": r"\x5c\x5c",
    '"': r"\x5c\x22",
    "/": r"\x5c\x2f",
    "\n": r"\x5cn",
    "\t": r"\x5ct",
    "\r": r"\x5cr",
    "\b": r"\x5cb",
    "\f": r"\x5cf",
}
_CATEGORIES = {
    sre_constants.CATEGORY_DIGIT: r"\d",
    sre_constants.CATEGORY_NOT_DIGIT: r"\D",
    sre_constants.CATEGORY_SPACE: r"\s",
    sre_constants.CATEGORY_NOT_SPACE: r"\S",
    sre_constants.CATEGORY_WORD: r"\w",
    sre_constants.CATEGORY_NOT_WORD: r"\W",
}


class Unrelaxable(Exception):
    pass


def relax(pattern: str, flags: int = 0) -> str | None:
    """The relaxed Hyperscan pattern, or None when the regex gives no usable condition."""
    try:
        parsed = sre_parse.parse(pattern, flags)
        text, needs_letter = _sequence(parsed, parsed.state.flags)
    except (Unrelaxable, re.error, RecursionError, OverflowError):
        return None
    return text if text and needs_letter else None


def _sequence(items, flags) -> tuple[str, bool]:
    parts, needs = [], False
    for op, arg in items:
        text, item_needs = _item(op, arg, flags)
        parts.append(text)
        needs = needs or item_needs
    return "".join(parts), needs


def _item(op, arg, flags) -> tuple[str, bool]:
    if op in (
        sre_constants.LITERAL,
        sre_constants.NOT_LITERAL,
        sre_constants.ANY,
        sre_constants.IN,
    ):
        chars = _ascii_matches(_class_source(op, arg), flags)
        if not chars:
            raise Unrelaxable("matches no ASCII character")
        return _chars(chars), chars.isdisjoint(NUMBER_CHARS)
    if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
        low, high, sub = arg
        text, needs = _sequence(sub, flags)
        bound = "" if high == sre_constants.MAXREPEAT else str(high)
        return f"(?:{text}){{{low},{bound}}}", needs and low >= 1
    if op == sre_constants.SUBPATTERN:
        _, add, remove, sub = arg
        return _group(*_sequence(sub, (flags | add) & ~remove))
    if op == sre_constants.ATOMIC_GROUP:
        return _group(*_sequence(arg, flags))
    if op == sre_constants.BRANCH:
        branches = [_sequence(b, flags) for b in arg[1]]
        return "(?:" + "|".join(t for t, _ in branches) + ")", all(n for _, n in branches)
    if op in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return "", False
    raise Unrelaxable(str(op))


def _group(text: str, needs: bool) -> tuple[str, bool]:
    return f"(?:{text})", needs


def _class_source(op, arg) -> str:
    """Python regex source of one single-character item."""
    if op == sre_constants.LITERAL:
        return _escape(arg)
    if op == sre_constants.NOT_LITERAL:
        return f"[^{_escape(arg)}]"
    if op == sre_constants.ANY:
        return "."
    negate, body = "", []
    for kind, value in arg:
        if kind == sre_constants.NEGATE:
            negate = "^"
        elif kind == sre_constants.LITERAL:
            body.append(_escape(value))
        elif kind == sre_constants.RANGE:
            body.append(f"{_escape(value[0])}-{_escape(value[1])}")
        elif kind == sre_constants.CATEGORY and value in _CATEGORIES:
            body.append(_CATEGORIES[value])
        else:
            raise Unrelaxable(str(kind))
    return f"[{negate}{''.join(body)}]"


def _escape(code: int) -> str:
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


@lru_cache(maxsize=4096)
def _ascii_matches(source: str, flags: int) -> frozenset:
    rx = re.compile(source, (flags & (re.IGNORECASE | re.ASCII)) | re.DOTALL)
    return frozenset(c for c in ASCII if rx.fullmatch(c))


def _chars(chars: frozenset) -> str:
    plain = sorted(c for c in chars if c not in _ESCAPED or c == "/")
    alternatives = []
    if plain:
        alternatives.append("[" + "".join(f"\\x{ord(c):02x}" for c in plain) + "]")
    alternatives += [_ESCAPED[c] for c in sorted(chars) if c in _ESCAPED]
    return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
