"""Sigma regular expressions (PCRE, unanchored search) in Lucene's regex syntax, which EQL's
``regex``, ES|QL's ``RLIKE`` and Lucene queries use: Lucene matches the whole value and has no
anchors, inline flags, lookarounds or ``(?:`` groups, and reserves ``# @ & < > ~ "``.

``^``/``$`` at the ends become the whole-value match; otherwise the pattern is wrapped in
``.*( ).*``. A leading ``(?i)`` becomes the case-insensitive operator. Constructs Lucene cannot
express raise ``SigmaFeatureNotSupportedByBackendError`` naming them, so the build says which
rule needs another form.
"""

from __future__ import annotations

from sigma.exceptions import SigmaFeatureNotSupportedByBackendError

_LUCENE_RESERVED = set('#@&<>~"')
_UNSUPPORTED_ESCAPES = set("bBAZzGQEKpPxuUcke0123456789")


def pcre_to_lucene(pattern: str, ignore_case: bool = False) -> tuple[str, bool]:
    """(Lucene regex matching the whole value, whether to ignore case)."""
    if pattern.startswith("(?i)"):
        pattern, ignore_case = pattern[4:], True
    anchored_start = pattern.startswith("^")
    if anchored_start:
        pattern = pattern[1:]
    anchored_end = pattern.endswith("$") and not _escaped_at(pattern, len(pattern) - 1)
    if anchored_end:
        pattern = pattern[:-1]
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            n = pattern[i + 1 : i + 2]
            if not n or n in _UNSUPPORTED_ESCAPES:
                raise SigmaFeatureNotSupportedByBackendError(f"regex escape '\\{n}' has no Lucene regex form")
            out.append(c + n)
            i += 2
            continue
        if c == "(" and pattern[i + 1 : i + 2] == "?":
            raise SigmaFeatureNotSupportedByBackendError(f"regex group '{pattern[i:i + 3]}' has no Lucene regex form")
        if c in "^$":
            raise SigmaFeatureNotSupportedByBackendError(f"regex anchor '{c}' inside the pattern has no Lucene regex form")
        if c in _LUCENE_RESERVED:
            out.append("\\" + c)
        else:
            out.append(c)
        i += 1
    body = "".join(out)
    if not (anchored_start and anchored_end):
        body = f"({body})"
    return ("" if anchored_start else ".*") + body + ("" if anchored_end else ".*"), ignore_case


def _escaped_at(text: str, index: int) -> bool:
    backslashes = 0
    while index - 1 - backslashes >= 0 and text[index - 1 - backslashes] == "\\":
        backslashes += 1
    return backslashes % 2 == 1
