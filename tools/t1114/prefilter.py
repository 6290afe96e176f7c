"""Literal prefilter: which events may a rule match, decided from the event's JSON text.

``t1114 scan`` runs the same SQLite engine as the fixture tests, but only over the events
that can match. For every rule this module derives, from pySigma's condition tree after the
target's pipeline (the very tree the SQLite backend converts), a *necessary condition*: words
that must occur in the JSON text of any event the rule matches. Hyperscan checks all rules'
conditions in one pass over each event's text; events that satisfy none never reach SQLite.

Why the condition is necessary, so that skipping an event never loses a hit:

* the engine compares decoded string values case-insensitively. In JSON text that is ASCII
  and has no ``\\u`` escape, a decoded value differs from its text only where ``\\``, ``"``,
  ``/`` or a control character was escaped, so a piece of a rule's value free of those
  characters appears verbatim (ASCII case aside) in the text. Text that is not ASCII or
  holds a ``\\u`` escape is not judged: every rule stays possible;
* a field compared to anything but ``null`` (or required to exist) has its name in the text:
  each part of a flattened name between dots and underscores was a key or a name/value
  entry's name in the JSON (underscores, because Windows' ``Provider_Name`` joins a key and
  an attribute); only ``param1``, ``param2``… are made up by flattening, and add no words;
* a regular expression becomes a relaxed pattern Hyperscan runs over the text
  (``t1114.prefilter_regex``), an atom of the condition like a word;
* ``NOT`` proves nothing about what is present, nor do CIDR ranges, numbers, ``null`` or
  field references (beyond their field names): they are "true" here;
* a document whose values flattening decodes (``{"auditd_records": [...]}``, hex-encoded
  audit values) is not judged either.
* a string the engine compares as a number (``"4688"`` equals ``4688.0``) is "true" too, and
  so is any piece made only of the characters of a number's text (``1e3``, ``-0.5``, ``inf``),
  since a float's text in the table is Python's, not the input's.

The condition is kept in conjunctive normal form (AND of ORs of words); dropping a clause
only weakens it, which keeps it necessary, so large ones are pruned to the most selective
clauses.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import hyperscan
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.types import (
    SigmaExists,
    SigmaExpansion,
    SigmaNull,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SpecialChars,
)

from t1114.events import AUDITD_RECORDS, MADE_UP_FIELDS, UNNAMED_VALUE_PREFIX
from t1114.prefilter_regex import relax

# A CNF formula: a frozenset of clauses, each a frozenset of lower-case ASCII words.
# The empty formula is "true" (no constraint).
Clause = frozenset
Formula = frozenset
TRUE: Formula = frozenset()

MIN_WORD = 3  # shorter words occur nearly everywhere and prune nothing
MAX_CLAUSES = 16
MAX_CLAUSE_WORDS = 64
_ESCAPED_IN_JSON = re.compile(r'[\x00-\x1f"\\/]')
_NAME_PARTS = re.compile(r'[._\x00-\x1f"\\/]')
_MADE_UP_NAME = re.compile(rf"{UNNAMED_VALUE_PREFIX}\d+", re.IGNORECASE)
_NUMBER_TEXT = frozenset("0123456789.+-einfa")
# Python's test for "this string is a number", as the engine's collation applies it.
_NUMBER = re.compile(r"\s*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*")
# A \u escape: a backslash after an even number of backslashes, followed by "u".
_UNICODE_ESCAPE = rb"(?:^|[^\\])(?:\\\\)*\\u"
# A document whose values flattening decodes from what the text holds.
_DECODED_DOCUMENT = f'"{AUDITD_RECORDS}"'.encode()


def words_of_piece(text: str, separators: re.Pattern = _ESCAPED_IN_JSON) -> Formula:
    """The words a matched value must contain for one run of literal text (AND)."""
    clauses = set()
    for piece in separators.split(text):
        if len(piece) < MIN_WORD or not piece.isascii():
            continue
        word = piece.lower()
        if set(word) <= _NUMBER_TEXT:
            continue
        clauses.add(Clause([word]))
    return Formula(clauses)


def string_condition(value: SigmaString) -> Formula:
    """Words implied by a string comparison: every literal run between wildcards."""
    if not value.contains_special() and _NUMBER.fullmatch(str(value)):
        return TRUE  # compared as a number
    formula: set = set()
    run: list[str] = []
    for part in list(value.s) + [SpecialChars.WILDCARD_MULTI]:
        if isinstance(part, str):
            run.append(part)
        else:  # a wildcard or an unresolved placeholder ends a literal run
            formula |= words_of_piece("".join(run))
            run = []
    return Formula(formula)


def conjunction(formulas: Iterable[Formula]) -> Formula:
    return _prune(frozenset().union(*formulas))


def disjunction(formulas: Iterable[Formula]) -> Formula:
    result: Formula | None = None
    for f in formulas:
        if not f:
            return TRUE
        if result is None:
            result = f
            continue
        product = {a | b for a in result for b in f}
        result = _prune(frozenset(c for c in product if len(c) <= MAX_CLAUSE_WORDS))
        if not result:
            return TRUE
    return result if result is not None else TRUE


def _selectivity(clause: Clause) -> tuple:
    # Fewer alternatives and longer words are rarer in text.
    return (len(clause), -min(len(w) for w in clause), sorted(clause))


def _prune(formula: Formula) -> Formula:
    # A clause that contains another is implied by it.
    kept = [c for c in formula if not any(o < c for o in formula)]
    kept.sort(key=_selectivity)
    return Formula(kept[:MAX_CLAUSES])


def necessary_condition(cond) -> Formula:
    """The CNF necessary condition of a pySigma condition tree (after the pipeline)."""
    if isinstance(cond, ConditionAND):
        return conjunction(necessary_condition(a) for a in cond.args)
    if isinstance(cond, ConditionOR):
        return disjunction(necessary_condition(a) for a in cond.args)
    if isinstance(cond, ConditionNOT):
        return TRUE
    if isinstance(cond, ConditionFieldEqualsValueExpression):
        value = cond.value
        if isinstance(value, SigmaNull) or (isinstance(value, SigmaExists) and not value.exists):
            return TRUE  # true when the field is absent
        name = name_words(cond.field)
        return (
            name if isinstance(value, SigmaExists) else conjunction([name, value_condition(value)])
        )
    if isinstance(cond, ConditionValueExpression):
        return value_condition(cond.value)
    return TRUE


def field_name_words(trees: Iterable) -> frozenset:
    """The words of every field name the condition trees compare: poor anchors, since an
    event of the rule's log source has them whatever it is about."""
    found: set[str] = set()
    stack = [t for t in trees if t is not None]
    while stack:
        cond = stack.pop()
        if isinstance(cond, ConditionFieldEqualsValueExpression):
            found.update(w for clause in name_words(cond.field) for w in clause)
        stack.extend(getattr(cond, "args", ()))
    return frozenset(found)


def name_words(field: str | None) -> Formula:
    """Words of a field name the event's JSON text holds when the field has a value."""
    if (
        not field
        or _MADE_UP_NAME.fullmatch(field.rsplit(".", 1)[-1])
        or field.lower() in MADE_UP_FIELDS
    ):
        return TRUE
    return words_of_piece(field, _NAME_PARTS)


def value_condition(value) -> Formula:
    if isinstance(value, SigmaExpansion):
        return disjunction(value_condition(v) for v in value.values)
    if isinstance(value, SigmaString):
        return string_condition(value)
    if isinstance(value, SigmaRegularExpression):
        flags = re.IGNORECASE if SigmaRegularExpressionFlag.IGNORECASE in value.flags else 0
        relaxed = relax(str(value.regexp), flags)
        return Formula({Clause([REGEX_ATOM + relaxed])}) if relaxed and _compiles(relaxed) else TRUE
    return TRUE


# A condition atom that is a relaxed regex rather than a word (no word holds a NUL).
REGEX_ATOM = "\x00"
_REGEX_FLAGS = (
    hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_DOTALL
)


@lru_cache(maxsize=1024)
def _compiles(pattern: str) -> bool:
    try:
        hyperscan.Database().compile(
            expressions=[pattern.encode()], ids=[0], elements=1, flags=[_REGEX_FLAGS]
        )
        return True
    except hyperscan.error:
        return False


# --- matching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RulePrefilter:
    """One rule's necessary condition."""

    rule_id: str
    formula: Formula


_SHARED_WORD = 3  # a word this many rules use is likely common in their log source
_TEXT_CLAUSES = 2  # clauses of field names' words checked per rule


class Prefilter:
    """Rules' words in Hyperscan databases, and the rules to check when an anchor is seen.

    A rule's clauses are of two kinds. Clauses with a field name's word (``poor_anchors``:
    every event of the rule's log source has it, so Hyperscan would report it, at the cost of
    a Python callback, on nearly every event) are checked by substring search in the
    lower-cased text; the text judged here is ASCII, where that equals Hyperscan's caseless
    match (a regex atom in such a clause is not checked: the clause then holds, which only
    weakens the condition). The other clauses' words go to Hyperscan.

    Each rule is filed under one of its Hyperscan clauses, its anchor: a clause without words
    several rules share (a log source's values, an operation several rules look at), whose
    shortest word is the longest (long words are rare in text), then whose words the fewest
    rules use. A first scan looks for anchors only (and for the markers of text that cannot
    be judged): most events hold none and cost one scan. An event that holds one is scanned
    again for every word, and the rules anchored there are checked clause by clause against
    the words found and the text. A rule with only text clauses is checked on every event.
    The work per event stays small however many rules there are. (Hyperscan's own logical
    combinations cost time per combination on every scan: too slow for a thousand rules.)

    ``candidates(text)`` answers with the ids of the rules whose condition the text meets, or
    ``None`` when the text cannot be judged (every rule possible).
    """

    def __init__(self, rules: Iterable[RulePrefilter], poor_anchors: frozenset = frozenset()):
        rules = list(rules)
        scanned = {r.rule_id: [c for c in r.formula if c.isdisjoint(poor_anchors)] for r in rules}
        self.always = frozenset(r.rule_id for r in rules if not r.formula)
        words = sorted({w for clauses in scanned.values() for c in clauses for w in c})
        word_id = {w: i for i, w in enumerate(words)}
        users = Counter(w for clauses in scanned.values() for w in {w for c in clauses for w in c})
        self._checks: dict[int, list[tuple[str, tuple[frozenset, ...], tuple]]] = {}
        self._text_only: list[tuple[str, tuple]] = []
        for rule in rules:
            if not rule.formula:
                continue
            # A few text clauses, the most selective (fewest alternatives, longest words), say
            # nearly as much as all of them for a fraction of the searching.
            text_clauses = sorted(
                (
                    c
                    for c in rule.formula
                    if not c.isdisjoint(poor_anchors)
                    and not any(w.startswith(REGEX_ATOM) for w in c)
                ),
                key=_selectivity,
            )
            text = tuple(tuple(sorted(w.encode() for w in c)) for c in text_clauses[:_TEXT_CLAUSES])
            clauses = scanned[rule.rule_id]
            if not clauses:
                self._text_only.append((rule.rule_id, text))
                continue
            anchor = min(
                clauses,
                key=lambda c: (
                    max(users[w] for w in c) >= _SHARED_WORD,
                    -min(map(len, c)),
                    max(users[w] for w in c),
                    len(c),
                    sorted(c),
                ),
            )
            rest = tuple(frozenset(word_id[w] for w in c) for c in clauses if c != anchor)
            for w in anchor:
                self._checks.setdefault(word_id[w], []).append((rule.rule_id, rest, text))
        # Both markers of text the prefilter cannot judge report the same id.
        self._escape_id = len(words)
        markers = [_UNICODE_ESCAPE, _literal_regex(_DECODED_DOCUMENT.decode())]
        anchors = sorted(self._checks)
        self._anchor_db = _database(
            [_atom_regex(words[i]) for i in anchors] + markers,
            anchors + [self._escape_id] * 2,
            [_flags(words[i]) for i in anchors] + [hyperscan.HS_FLAG_SINGLEMATCH] * 2,
        )
        self._db = _database(
            [_atom_regex(w) for w in words], list(range(len(words))), [_flags(w) for w in words]
        )
        self._anchor_scratch = hyperscan.Scratch(self._anchor_db)
        self._scratch = hyperscan.Scratch(self._db)
        self._found: list[int] = []
        self._on_match = lambda id_, start, end, flags, ctx: self._found.append(id_)

    def candidates(self, text: bytes | None) -> frozenset | None:
        if text is None or not text.isascii():
            return None
        found = self._found
        try:
            self._anchor_db.scan(text, self._on_match, 0, None, self._anchor_scratch)
        except hyperscan.ScanTerminated:
            pass  # every pattern has reported its single match: nothing more to find
        if not found and not self._text_only:
            return self.always
        try:
            if self._escape_id in found:
                return None
            result = set(self.always)
            lowered = text.lower()
            for rule_id, clauses in self._text_only:
                if _holds(clauses, lowered):
                    result.add(rule_id)
            if not found:
                return frozenset(result)
            anchors = list(found)
            found.clear()
            try:
                self._db.scan(text, self._on_match, 0, None, self._scratch)
            except hyperscan.ScanTerminated:
                pass
            present = set(found)
            checks = self._checks
            for word in anchors:
                for rule_id, rest, clauses in checks.get(word, ()):
                    if (
                        rule_id not in result
                        and all(not c.isdisjoint(present) for c in rest)
                        and _holds(clauses, lowered)
                    ):
                        result.add(rule_id)
            return frozenset(result)
        finally:
            found.clear()


def _holds(clauses: tuple, lowered: bytes) -> bool:
    """Whether every clause has a word in the lower-cased text."""
    for words in clauses:
        if len(words) == 1:
            if words[0] not in lowered:
                return False
        elif not any(w in lowered for w in words):
            return False
    return True


def _flags(atom: str) -> int:
    if atom.startswith(REGEX_ATOM):
        return _REGEX_FLAGS
    return hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH


def _database(expressions: list[bytes], ids: list[int], flags: list[int]) -> hyperscan.Database:
    db = hyperscan.Database()
    if not expressions:  # Hyperscan compiles no empty database: one pattern nothing matches
        expressions, ids, flags = (
            [b"\\x00\\x00t1114-none\\x00\\x00"],
            [1 << 30],
            [hyperscan.HS_FLAG_SINGLEMATCH],
        )
    db.compile(expressions=expressions, ids=ids, elements=len(expressions), flags=flags)
    return db


def _atom_regex(atom: str) -> bytes:
    return atom[len(REGEX_ATOM) :].encode() if atom.startswith(REGEX_ATOM) else _literal_regex(atom)


def _literal_regex(word: str) -> bytes:
    return "".join(c if c.isalnum() else f"\\x{ord(c):02x}" for c in word).encode()
