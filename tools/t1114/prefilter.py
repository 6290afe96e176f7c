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
  audit values) is not judged either, nor one read as another (a Google Cloud Logging entry
  read as the Reports API activity it carries: ``events.parameters.<name>`` is no key of it).
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

from t1114.events import ACTIVITY_PROTO, AUDITD_RECORDS, MADE_UP_FIELDS, UNNAMED_VALUE_PREFIX
from t1114.hyperscan_cache import cached_database
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
# Documents whose fields flattening decodes from what the text holds, or reads under names the
# text does not hold.
_DECODED_DOCUMENTS = (f'"{AUDITD_RECORDS}"', ACTIVITY_PROTO)


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
    """The CNF necessary condition of a pySigma condition tree (after the pipeline).

    Two conditions, both necessary, are joined without pruning one by the other: the one
    of every word, and the one of values' words only. Field names' words make small
    clauses that pruning prefers, yet every event of a log source has them; across an OR of
    branches (``Operation: A and Parameters.X`` or ``Operation: B and Parameters.Y``) the
    values-only condition keeps the clause of the branches' operations, which says most."""
    return _necessary(cond, True) | _necessary(cond, False)


def _necessary(cond, names: bool) -> Formula:
    if isinstance(cond, ConditionAND):
        return conjunction(_necessary(a, names) for a in cond.args)
    if isinstance(cond, ConditionOR):
        return disjunction(_necessary(a, names) for a in cond.args)
    if isinstance(cond, ConditionNOT):
        return TRUE
    if isinstance(cond, ConditionFieldEqualsValueExpression):
        value = cond.value
        if isinstance(value, SigmaNull) or (isinstance(value, SigmaExists) and not value.exists):
            return TRUE  # true when the field is absent
        name = name_words(cond.field) if names else TRUE
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
        # (Whether Hyperscan takes it is found when the prefilter is built: see Prefilter.)
        return Formula({Clause([REGEX_ATOM + relaxed])}) if relaxed else TRUE
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
_SHORT_WORD = 6
_CHECKED_CLAUSES = 2  # clauses besides the anchor checked per rule


class Prefilter:
    """Rules' words in one Hyperscan database, and the rules to check when an anchor is seen.

    Each rule is filed under one of its clauses, its anchor: the clause whose most common
    word is the least common, a word's commonness being the number of rules that use it,
    more for a field name's word (``poor_anchors``: every event of the rule's log source has
    it, whatever the event is about) and for a short word; then the clause whose shortest
    word is the longest (long words are rare in text). A few more of its clauses, those of
    the least common words, are its checks if they hold values' long words only: they say nearly as much
    as all of them for a fraction of the searching (dropping a clause only weakens the
    condition). One Hyperscan scan per event looks for the anchors (and for the markers of
    text that cannot be judged): most events hold none and cost that one scan. When rules
    filed under the anchors found have checks, a second scan reports the check words the
    text holds; the candidates are the rules filed there whose checks all hold.
    The work per event stays small however many rules there are. (Hyperscan's own logical
    combinations cost time per combination on every scan: too slow for a thousand rules;
    Python's substring search, a microsecond per word and kilobyte, slower still.)

    ``candidates(text)`` answers with the ids of the rules whose condition the text meets, or
    ``None`` when the text cannot be judged (every rule possible).
    """

    def __init__(self, rules: Iterable[RulePrefilter], poor_anchors: frozenset = frozenset()):
        rules = list(rules)
        try:
            self._build(rules, poor_anchors)
        except hyperscan.error:
            # A relaxed regex Hyperscan refuses: its clauses are dropped (which only weakens
            # the conditions). Compiling each regex alone is slow, so only done here.
            refused = {
                w
                for r in rules
                for c in r.formula
                for w in c
                if w.startswith(REGEX_ATOM) and not _compiles(w[len(REGEX_ATOM) :])
            }
            kept = (
                RulePrefilter(r.rule_id, Formula(c for c in r.formula if c.isdisjoint(refused)))
                for r in rules
            )
            self._build(list(kept), poor_anchors)

    def _build(self, rules: list[RulePrefilter], poor_anchors: frozenset) -> None:
        self.always = frozenset(r.rule_id for r in rules if not r.formula)
        users = Counter(w for r in rules for w in {w for c in r.formula for w in c})
        self._checks: dict[int, list[tuple[str, tuple]]] = {}

        def weight(word: str) -> int:
            # How common a word likely is in events: the rules that use it, a field name's
            # as if more used it (an event of the log source has it whatever it is about),
            # a short one too (it is part of many other words).
            return (
                users[word]
                + (_SHARED_WORD if word in poor_anchors else 0)
                + (_SHARED_WORD if len(word) < _SHORT_WORD else 0)
            )

        def rank(clause: Clause) -> tuple:
            return (max(map(weight, clause)), -min(map(len, clause)), len(clause), sorted(clause))

        anchor_id: dict[str, int] = {}
        check_id: dict[str, int] = {}

        def ids(clause: Clause, numbering: dict[str, int]) -> frozenset:
            return frozenset(numbering.setdefault(w, len(numbering)) for w in sorted(clause))

        for rule in rules:
            if not rule.formula:
                continue
            anchor = min(rule.formula, key=rank)
            # A few more clauses, of values' long words only: a field name's word is in the
            # text whenever the anchor is, and checking it would only cost time.
            # (A rule of field names only checks the rarest of them.)
            # (Regexes are not checked: each one costs its compilation again.)
            others = sorted(
                (
                    c
                    for c in rule.formula
                    if c != anchor and not any(w.startswith(REGEX_ATOM) for w in c)
                ),
                key=rank,
            )
            checked = tuple(
                ids(c, check_id)
                for c in [
                    c
                    for c in others
                    if all(w not in poor_anchors and len(w) >= _SHORT_WORD for w in c)
                ]
                or [c for c in others if max(map(weight, c)) < 2 * _SHARED_WORD]
            )[:_CHECKED_CLAUSES]
            for n in sorted(ids(anchor, anchor_id)):
                self._checks.setdefault(n, []).append((rule.rule_id, checked))
        self.words = words = sorted(anchor_id, key=anchor_id.__getitem__)
        # Every marker of text the prefilter cannot judge reports the same id.
        self._escape_id = len(words)
        markers = [_UNICODE_ESCAPE] + [_literal_regex(d) for d in _DECODED_DOCUMENTS]
        self._db = _database(
            [_atom_regex(w) for w in words] + markers,
            list(range(len(words))) + [self._escape_id] * len(markers),
            [_flags(w) for w in words] + [hyperscan.HS_FLAG_SINGLEMATCH] * len(markers),
        )
        self._scratch = hyperscan.Scratch(self._db)
        checks = sorted(check_id, key=check_id.__getitem__)
        self._check_db = _database(
            [_atom_regex(w) for w in checks], list(range(len(checks))), [_flags(w) for w in checks]
        )
        self._check_scratch = hyperscan.Scratch(self._check_db)
        self._found: list[int] = []
        self._on_match = lambda id_, start, end, flags, ctx: self._found.append(id_)
        self._results: dict[tuple, frozenset] = {}
        self._plans: dict[frozenset, tuple[list, bool]] = {}
        self._answers: dict[tuple, frozenset] = {}

    def candidates(self, text: bytes | None) -> frozenset | None:
        if text is None or not text.isascii():
            return None
        found = self._found
        try:
            self._scan(self._db, self._scratch, text)
            if not found:
                return self.always
            if self._escape_id in found:
                return None
            # Events of one source find the same anchors and checks: what they make of them
            # is worked out once per set of anchors, and per anchors and checks found.
            anchors = frozenset(found)
            found.clear()
            plan = self._plans.get(anchors)
            if plan is None:
                plan = self._plan(anchors)
            filed, checked = plan
            if checked:
                self._scan(self._check_db, self._check_scratch, text)
            present = frozenset(found)
        finally:
            found.clear()
        key = (anchors, present)
        answer = self._answers.get(key)
        if answer is None:
            if len(self._answers) >= 4096:
                self._answers.clear()
            answer = self._answers[key] = self._answer(filed, present)
        return answer

    def _plan(self, anchors: frozenset) -> tuple[list, bool]:
        """The rules the anchors found file, with their checks, and whether any has one."""
        if len(self._plans) >= 4096:
            self._plans.clear()
        filed = [r for word in sorted(anchors) for r in self._checks[word]]
        plan = self._plans[anchors] = (filed, any(clauses for _, clauses in filed))
        return plan

    def _answer(self, filed: list, present: frozenset) -> frozenset:
        result = [
            rule_id for rule_id, clauses in filed if all(not c.isdisjoint(present) for c in clauses)
        ]
        if not result:
            return self.always
        # Few distinct answers: made once each, the same object each time.
        key = tuple(sorted(result))
        answer = self._results.get(key)
        if answer is None:
            if len(self._results) >= 4096:
                self._results.clear()
            answer = self._results[key] = self.always | frozenset(result)
        return answer

    def _scan(self, db: hyperscan.Database, scratch: hyperscan.Scratch, text: bytes) -> None:
        try:
            db.scan(text, self._on_match, 0, None, scratch)
        except hyperscan.ScanTerminated:
            pass  # every pattern has reported its single match: nothing more to find


def _flags(atom: str) -> int:
    if atom.startswith(REGEX_ATOM):
        return _REGEX_FLAGS
    return hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH


def _database(expressions: list[bytes], ids: list[int], flags: list[int]) -> hyperscan.Database:
    if not expressions:  # Hyperscan compiles no empty database: one pattern nothing matches
        expressions, ids, flags = (
            [b"\\x00\\x00t1114-none\\x00\\x00"],
            [1 << 30],
            [hyperscan.HS_FLAG_SINGLEMATCH],
        )

    def compile_database() -> hyperscan.Database:
        db = hyperscan.Database()
        db.compile(expressions=expressions, ids=ids, elements=len(expressions), flags=flags)
        return db

    return cached_database(expressions, ids, flags, compile_database)


def _atom_regex(atom: str) -> bytes:
    return atom[len(REGEX_ATOM) :].encode() if atom.startswith(REGEX_ATOM) else _literal_regex(atom)


def _literal_regex(word: str) -> bytes:
    return "".join(c if c.isalnum() else f"\\x{ord(c):02x}" for c in word).encode()
