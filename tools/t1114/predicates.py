"""The scan's evaluation engine: each rule's condition tree compiled to one Python function.

``t1114.engine`` (pySigma's SQLite backend over an in-memory table) stays the oracle: it is
what the fixture tests run. This module compiles the very condition trees that backend
converts (after the target's pipeline, see ``engine.compile_sql``) into generated Python, one
function per converted condition, that reads one event's cells and answers whether the
backend's ``WHERE`` clause would hold for that row. Measured on the pack, a generated
function costs about a microsecond per rule and event where the SQLite engine costs about
600 µs per event (table creation, Python collation callbacks); closures composed at run
time cost some 30 % more than generated code for the same tree, through their extra calls.

How each part keeps the oracle's semantics, leaf by leaf as the backend converts it:

* a row is the event's cells: a field is looked up case-insensitively (SQLite column names
  are), its value made text as the table stores it (``engine._cell``: multivalue joined by
  U+001F, booleans ``true``/``false``); an absent field is ``None`` (a NULL column);
* SQL's three-valued logic folds to two values: the backend wraps every ``NOT`` in
  ``COALESCE(x, 0)``, and over AND/OR a NULL leaf read as false gives the same verdict, so a
  leaf on a missing field is ``False`` and ``not`` of it ``True``;
* ``field = 'text'`` uses the SIGMA collation (``engine._collate``): numbers as numbers, text
  case-folded, any value of a multivalue cell; numbers, comparisons and booleans are the same
  collation against the literal's text (SQLite gives a TEXT column's literal its affinity);
* wildcards, and values the backend sends to ``LIKE`` (``%``, ``_`` or ``\\`` in them), go
  through the same pattern text the backend writes and the engine's ``like`` regex;
  ``|cased`` through its GLOB pattern; regular expressions through the backend's own
  rendering (flags as a ``(?i)`` prefix) and ``re.search`` per value; CIDR ranges expand to
  the backend's prefix wildcards; field references follow its ``=`` and ``LIKE`` forms.

Whatever this module does not know (a timestamp part, a query expression) raises
``Unsupported``: that rule is then run by the SQLite engine, event by event.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sigma.backends.sqlite import sqliteBackend
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
)
from sigma.conversion.state import ConversionState
from sigma.types import (
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
)

from t1114 import engine
from t1114.events import MULTIVALUE_SEPARATOR, flatten_plain
from t1114.patterns import wildcard_regex

_SEP = MULTIVALUE_SEPARATOR
_LIKE_ESCAPE = "\\"


class Unsupported(Exception):
    """A condition the compiled engine does not evaluate (the SQLite engine does)."""


class Row(dict):
    """One event's cells by lower-case field name, each made the first time a rule asks."""

    __slots__ = ("lowered", "flat")

    def __init__(self, fields: dict[str, Any]):
        super().__init__()
        # SQLite column names ignore case; of two spellings the later value wins, as in
        # engine.load_table.
        self.lowered = {k.lower(): v for k, v in fields.items()}
        self.flat = fields

    def fields(self) -> dict[str, Any]:
        return self.flat

    def __missing__(self, key: str) -> str | None:
        cell = engine._cell(self.lowered.get(key))
        self[key] = cell
        return cell


class DocumentRow(dict):
    """A ``Row`` read from a plain document (``events.plain_document``) without flattening it
    whole: a field's cell comes from the one top-level item whose key it starts with, that
    item flattened alone (``events.flatten_plain``). When several top-level keys could hold a
    field (spellings that differ in case, a dotted key beside a nested object), the whole
    document is flattened, so the cell is always the one ``Row(flatten(document))`` has.
    Most events a scan evaluates are asked for a few fields only."""

    __slots__ = ("document", "_shape", "_items", "_whole")

    def __init__(self, document: dict):
        super().__init__()
        self.document = document
        self._shape: dict | None = None  # field name -> the top-level keys that can hold it
        self._items: dict[str, dict] = {}  # top-level key -> its fields by lower-case name
        self._whole: dict | None = None

    def shape(self) -> dict:
        """What this event's keys say about fields, shared by the events of its shape."""
        shape = self._shape
        if shape is None:
            shape = self._shape = _shape(tuple(self.document))
        return shape

    def fields(self) -> dict[str, Any]:
        """The flattened event, as ``events.flatten`` makes it."""
        if self._whole is None:
            self._whole = flatten_plain(self.document)
        return self._whole

    def __missing__(self, name: str) -> str | None:
        # The common cases first, in line: no key can hold the field, or one top-level key
        # holds it as text (what _value and engine._cell would make of them).
        holders = self._holding_keys(name)
        if not holders:
            self[name] = None
            return None
        if len(holders) == 1:
            value = self.document[holders[0]]
            if type(value) is str:
                cell = value if len(holders[0]) == len(name) else None
                self[name] = cell
                return cell
        cell = engine._cell(self._value(name))
        self[name] = cell
        return cell

    def possible(self, plan: tuple) -> tuple[list, list, tuple, dict, tuple]:
        """Of a dispatch plan, the indexed fields a top-level key of this event can hold
        (the others are absent from every event of its shape), the trees without
        conditions that have a field of each presence clause (``Dispatch.presence``) such a
        key can hold, and the condition fields such a key can hold: worked out once per
        shape and plan."""
        shape = self._shape
        if shape is None:
            shape = self._shape = _shape(tuple(self.document))
        key = (_PLAN, plan[2])
        possible = shape.get(key)
        if possible is None:
            lowered = shape[None]
            possible = shape[key] = (
                [f for f in plan[0] if _holders(lowered, f[0])],
                [
                    (n, clauses)
                    for n, clauses in plan[1]
                    if all(any(_holders(lowered, f) for f in c) for c in clauses)
                ],
                tuple(f for f in plan[3] if _holders(lowered, f)),
                {},  # the trees admitted, by the values of those fields' items (Dispatch.admit)
                holding_items(lowered, plan[3]),
            )
        return possible

    def _holding_keys(self, name: str) -> tuple[str, ...]:
        """The top-level keys that can hold the field (see ``_holders``), per shape."""
        shape = self._shape
        if shape is None:
            shape = self._shape = _shape(tuple(self.document))
        holders = shape.get(name)
        if holders is None:
            holders = shape[name] = _holders(shape[None], name)
        return holders

    def _value(self, name: str) -> Any:
        holders = self._holding_keys(name)
        if not holders:
            return None
        if len(holders) > 1:
            whole = self.fields()
            return {k.lower(): v for k, v in whole.items()}.get(name)
        key = holders[0]
        value = self.document[key]
        if not isinstance(value, (dict, list)):
            return value if len(key) == len(name) else None
        item = self._items.get(key)
        if item is None:
            item = self._items[key] = {k.lower(): v for k, v in flatten_plain({key: value}).items()}
        return item.get(name)


MAX_KEY_CHARS = 1_024  # values longer than this are not keys (decided again every time)


def holding_items(lowered: dict[str, list[str]], fields: Iterable[str]) -> tuple:
    """The top-level keys that can hold any of the fields, each with whether one of the
    fields is the key itself (rather than a field under it): ``value_key``'s ``holders``."""
    items: dict[str, bool] = {}
    for field in fields:
        for holder in _holders(lowered, field):
            items[holder] = items.get(holder, False) or len(holder) == len(field)
    return tuple(items.items())


def value_key(document: dict, holders: tuple) -> tuple | None:
    """The values of the document's items ``holders`` (``holding_items``), as a key equal
    for two documents of one shape only when their cells of those fields are: text as itself,
    anything else by a tagged rendering (``1``, ``1.0``, ``true`` and ``-0.0`` all differ). An
    item read only for fields under it counts only as a container, or not: a scalar there
    holds none of them (an O365 record's ``Id`` text, for ``Id.ApplicationName``). ``None``
    when the values are long."""
    values: list[Any] = []
    size = 0
    for holder, itself in holders:
        value = document[holder]
        kind = type(value)
        if kind is dict or kind is list:
            value = (None, repr(value))  # by its rendering
            size += len(value[1])
        elif not itself:
            value = False  # a scalar, where only fields under the key are read
        elif kind is str:
            size += len(value)
        elif kind is int or kind is bool:
            value = (kind is bool, value)  # 1 and True are equal keys, not equal cells
        elif value is not None:
            value = (None, repr(value))  # a float: 1.0 and -0.0 are cells of their own
        values.append(value)
    return tuple(values) if size <= MAX_KEY_CHARS else None


_PLAN = object()  # marks a shape's entries that are a plan's possible fields
_plan_numbers = itertools.count()

# Events of one source share their top-level keys: what a shape's keys say about a field is
# worked out once. Bounded: a file of ever new key sets only starts the cache again.
_SHAPES: dict[tuple, dict] = {}
_MAX_SHAPES = 4096


_MAX_SHAPE_KEYS = 256  # an event with more top-level keys is not remembered


def _shape(keys: tuple) -> dict:
    shape = _SHAPES.get(keys)
    if shape is None:
        if len(_SHAPES) >= _MAX_SHAPES:
            _SHAPES.clear()
        lowered: dict[str, list[str]] = {}
        for k in keys:
            lowered.setdefault(k.lower(), []).append(k)
        shape = {None: lowered}
        if len(keys) <= _MAX_SHAPE_KEYS:
            _SHAPES[keys] = shape
    return shape


def _holders(lowered: dict[str, list[str]], name: str) -> tuple[str, ...]:
    """The top-level keys whose item can hold the field: ``name`` itself or a dotted prefix."""
    holders: list[str] = []
    at = name.find(".")
    while at != -1:
        holders += lowered.get(name[:at], ())
        at = name.find(".", at + 1)
    holders += lowered.get(name, ())
    return tuple(holders)


# --- leaf tests (each takes a cell, None for an absent field) --------------------------------


def _parts(cell: str) -> list[str]:
    return cell.split(_SEP) if _SEP in cell else [cell]


def eq_text(cell: str | None, folded: str) -> bool:
    """``=`` against a literal that is not a number: case-folded equality of any value."""
    if cell is None:
        return False
    if _SEP not in cell:
        return cell.casefold() == folded
    return any(p.casefold() == folded for p in cell.split(_SEP))


def eq_number(cell: str | None, number: float, literal: str) -> bool:
    """``=`` against a literal that is a number: what the collation decides, with a short way
    for plain digits (the only text ``engine._number`` reads as that number's digits)."""
    if cell is None:
        return False
    for part in _parts(cell):
        if part.isdigit() and part.isascii():
            if float(part) == number:
                return True
        elif engine._compare_one(part, literal) == 0:
            return True
    return False


def collate(cell: str | None, literal: str, test: Callable[[int, int], bool]) -> bool:
    """Any comparison through the SIGMA collation (numbers, ordering)."""
    return cell is not None and test(engine._collate(cell, literal), 0)


def like(cell: str | None, rx: re.Pattern) -> bool:
    if cell is None:
        return False
    if _SEP not in cell:
        return bool(rx.fullmatch(cell.casefold()) or rx.fullmatch(cell))
    return any(rx.fullmatch(v.casefold()) or rx.fullmatch(v) for v in cell.split(_SEP))


def glob(cell: str | None, rx: re.Pattern) -> bool:
    return cell is not None and any(rx.fullmatch(v) for v in _parts(cell))


def regexp(cell: str | None, rx: re.Pattern) -> bool:
    return cell is not None and any(rx.search(v) for v in _parts(cell))


def field_equals(left: str | None, right: str | None) -> bool:
    return left is not None and right is not None and engine._collate(left, right) == 0


def field_like(left: str | None, right: str | None, before: str, after: str) -> bool:
    """``left LIKE before || escaped(right) || after``: the backend's |fieldref forms."""
    if left is None or right is None:
        return False
    escaped = right.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return bool(engine._like(before + escaped + after, left, _LIKE_ESCAPE))


_HELPERS = {
    "eq_text": eq_text,
    "eq_number": eq_number,
    "collate": collate,
    "like": like,
    "glob": glob,
    "regexp": regexp,
    "field_equals": field_equals,
    "field_like": field_like,
    "EQ": operator.eq,
}
_COMPARE = {
    SigmaCompareExpression.CompareOperators.LT: operator.lt,
    SigmaCompareExpression.CompareOperators.LTE: operator.le,
    SigmaCompareExpression.CompareOperators.GT: operator.gt,
    SigmaCompareExpression.CompareOperators.GTE: operator.ge,
}


# --- compiling ------------------------------------------------------------------------------


class _Codegen:
    """Python source for condition trees, with the constants it names."""

    def __init__(self):
        self.backend = sqliteBackend()
        self.state = ConversionState()
        self.names: dict[str, Any] = dict(_HELPERS)
        self._const_ids: dict[tuple, str] = {}

    def const(self, value: Any) -> str:
        key = (type(value).__name__, value.pattern if isinstance(value, re.Pattern) else value)
        name = self._const_ids.get(key)
        if name is None:
            name = self._const_ids[key] = f"k{len(self._const_ids)}"
            self.names[name] = value
        return name

    def cell(self, field: str) -> str:
        return f"row[{field.lower()!r}]"

    def expression(self, cond) -> str:
        if isinstance(cond, (ConditionAND, ConditionOR)):
            args = [self.expression(a) for a in cond.args]
            if not args:
                raise Unsupported("an empty boolean expression")
            joiner = " and " if isinstance(cond, ConditionAND) else " or "
            return "(" + joiner.join(args) + ")"
        if isinstance(cond, ConditionNOT):
            return f"(not {self.expression(cond.args[0])})"
        if isinstance(cond, ConditionFieldEqualsValueExpression):
            if not cond.field:
                raise Unsupported("a value without a field")
            return self.leaf(cond.field, cond.value)
        raise Unsupported(f"condition {type(cond).__name__}")

    def leaf(self, field: str, value) -> str:
        # The order is pySigma's dispatch (conversion/base.py): cased strings first.
        cell = self.cell(field)
        if isinstance(value, SigmaCasedString):
            pattern = self._sql_text(
                self.backend.convert_value_str(
                    value, self.state, no_quote=True, glob_wildcards=True
                )
            )
            return f"glob({cell}, {self.const(engine._glob_regex(pattern))})"
        if isinstance(value, SigmaString):
            return self.string(cell, value)
        if isinstance(value, SigmaNumber):
            return self.literal_compare(cell, str(value), "EQ")
        if isinstance(value, SigmaBool):
            sql_values = (
                self.backend.bool_values[value.boolean],
                self.backend.bool_numeric_values[value.boolean],
            )
            tests = [self.literal_compare(cell, self._sql_literal(v), "EQ") for v in sql_values]
            return "(" + " or ".join(tests) + ")"
        if isinstance(value, SigmaRegularExpression):
            self.backend.get_flag_template(value)  # refuses the flags the backend refuses
            pattern = self._sql_text(self.backend.convert_value_re(value, self.state))
            return f"regexp({cell}, {self.const(re.compile(pattern))})"
        if isinstance(value, SigmaCIDRExpression):
            networks = [self.string(cell, SigmaString(n)) for n in value.expand()]
            return "(" + " or ".join(networks) + ")" if networks else "False"
        if isinstance(value, SigmaCompareExpression):
            if not isinstance(value.number, SigmaNumber):
                raise Unsupported("a comparison with a timestamp part")
            test = self.const(_COMPARE[value.op])
            return self.literal_compare(cell, str(value.number), test)
        if isinstance(value, SigmaFieldReference):
            other = self.cell(value.field)
            if not (value.starts_with or value.ends_with):
                return f"field_equals({cell}, {other})"
            before = "%" if value.ends_with else ""  # |endswith: the reference ends the value
            after = "%" if value.starts_with else ""
            return f"field_like({cell}, {other}, {before!r}, {after!r})"
        if isinstance(value, SigmaNull):
            return f"({cell} is None)"
        if isinstance(value, SigmaExists):
            return f"({cell} is not None)" if value.exists else f"({cell} is None)"
        if isinstance(value, SigmaExpansion):
            alternatives = [self.leaf(field, v) for v in value.values]
            return "(" + " or ".join(alternatives) + ")" if alternatives else "False"
        raise Unsupported(f"value {type(value).__name__}")

    def eq_literal(self, value) -> str | None:
        """The literal of a value the backend compares with "=" (a plain string, a number)."""
        if isinstance(value, SigmaNumber):
            return str(value)
        if (
            not isinstance(value, SigmaString)
            or isinstance(value, SigmaCasedString)
            or value.contains_special()
        ):
            return None
        backend = self.backend
        if any(
            c in str(value)
            for c in (backend.wildcard_multi, backend.wildcard_single, backend.escape_char)
        ):
            return None
        return self._sql_text(backend.convert_value_str(value, self.state, no_quote=True))

    def string(self, cell: str, value: SigmaString) -> str:
        literal = self.eq_literal(value)
        if literal is not None:  # the backend's "=": the SIGMA collation against the literal
            return self.literal_compare(cell, literal, "EQ")
        backend = self.backend
        # Every LIKE form the backend writes (startswith, endswith, contains, pattern) is the
        # whole value rendered with % and _ under ESCAPE '\'.
        pattern = self._sql_text(backend.convert_value_str(value, self.state, no_quote=True))
        rx = wildcard_regex(pattern, "%", "_", _LIKE_ESCAPE, True)
        return f"like({cell}, {self.const(rx)})"

    def literal_compare(self, cell: str, literal: str, test: str) -> str:
        if test == "EQ":
            number = engine._number(literal)
            if number is None:
                return f"eq_text({cell}, {self.const(literal.casefold())})"
            return f"eq_number({cell}, {self.const(number)}, {self.const(literal)})"
        return f"collate({cell}, {self.const(literal)}, {test})"

    @staticmethod
    def _sql_text(text: str) -> str:
        """The string SQLite reads from the backend's literal body (quotes doubled)."""
        return text.replace("''", "'")

    @staticmethod
    def _sql_literal(token: str) -> str:
        """The text SQLite compares for a literal token: 'true' or 1."""
        return token[1:-1].replace("''", "'") if token.startswith("'") else token


# What a predicate reads: cells by lower-case field name, made on demand either way.
AnyRow = Row | DocumentRow
Predicate = Callable[[AnyRow], bool]


# --- dispatch: which trees an event can satisfy at all --------------------------------------


def _text_key(literal: str) -> tuple:
    return ("t", literal.casefold())


class Dispatch:
    """What each tree needs of an event's "=" cells: ``field = literal`` conditions (or an OR
    of such on one field, or the union over an OR's branches), most often a log source's
    ``Channel``, ``EventID`` or ``Operation``. ``admit`` keeps, of the trees the prefilter left,
    those whose every condition the event's cells can meet; every other tree is false for it,
    so need not run. A cell is looked up once per event, for the trees asked about only."""

    def __init__(self, trees: list):
        gen = _Codegen()
        options = [list(dict.fromkeys(self._options(gen, t))) for t in trees]
        popularity: dict[str, int] = {}
        for opts in options:
            for f in {f for f, _ in opts}:
                popularity[f] = popularity.get(f, 0) + 1
        self.numbers: dict[str, bool] = {}  # field -> whether a literal is a number
        # Each tree's conditions, the one on the field most trees test first (its cell is
        # then the one most often looked up already).
        self.conditions: list[tuple[tuple[str, frozenset], ...]] = []
        for opts in options:
            for f, k in opts:
                self.numbers[f] = self.numbers.get(f, False) or any(key[0] == "n" for key in k)
            self.conditions.append(
                tuple(sorted(opts, key=lambda o: (-popularity[o[0]], len(o[1]), o[0])))
            )
        # Each tree's fields that must be present: one of each clause's (see _presence).
        self.presence = [_presence(t) for t in trees]
        self._plans: dict[tuple[int, ...], tuple[list, list, int, list]] = {}

    @staticmethod
    def _options(gen: _Codegen, tree) -> list[tuple[str, frozenset]]:
        """(field, keys) conditions every event the tree matches meets: one of the field's
        values has one of the keys. An AND holds its conjuncts' conditions; an OR, for a
        field every branch constrains, the union of the branches' keys (each branch is
        ``Operation = X and …``, say)."""
        if isinstance(tree, ConditionAND):
            return [o for arg in tree.args for o in Dispatch._options(gen, arg)]
        if isinstance(tree, ConditionOR):
            branches = [Dispatch._options(gen, arg) for arg in tree.args]
            if not branches or not all(branches):
                return []
            found = []
            for field in sorted({f for f, _ in branches[0]}):
                keys: set = set()
                for branch in branches:
                    here = [k for f, k in branch if f == field]
                    if not here:
                        break
                    keys |= min(here, key=len)
                else:
                    found.append((field, frozenset(keys)))
            return found
        if not isinstance(tree, ConditionFieldEqualsValueExpression) or not tree.field:
            return []
        values = tree.value.values if isinstance(tree.value, SigmaExpansion) else [tree.value]
        literals = [gen.eq_literal(v) for v in values]
        if not literals or any(lit is None for lit in literals):
            return []
        keys = set()
        for literal in (lit for lit in literals if lit is not None):
            keys.add(_text_key(literal))
            number = engine._number(literal)
            if number is not None:  # compared as a number (eq_number)
                keys.add(("n", number))
        return [(tree.field.lower(), frozenset(keys))]

    def admit(self, row: AnyRow, entries: tuple[int, ...]) -> list[int]:
        """Of ``entries`` (ascending), the trees whose every condition the event's cells can
        meet, ascending. Trees are found through the cell of their first condition's field
        (one lookup per field, whatever the number of trees); only those found have their
        other conditions checked."""
        plan = self._plans.get(entries)
        if plan is None:
            plan = self._plan(entries)
        if type(row) is not DocumentRow:
            return self._admit(row, plan[0], plan[1])
        # What is admitted depends only on the event's shape and on the cells of the
        # plan's condition fields, so on the values of the items holding them: events of one
        # source repeat a few of those (a channel and an event ID, say), so the answer is
        # remembered per shape and values (or cells, for long values).
        indexed, always, fields, answers, holders = row.possible(plan)
        key = value_key(row.document, holders)
        if key is None:
            key = (_CELLS, *[row[f] for f in fields])
        admitted = answers.get(key)
        if admitted is None:
            admitted = self._admit(row, indexed, always)
            if len(answers) < _MAX_ANSWERS:
                answers[key] = admitted
        return admitted

    def _admit(self, row: AnyRow, indexed: list, always: list) -> list[int]:
        keys_of: dict[str, frozenset] = {}  # each cell's keys, made once per event
        found: list = []
        for field, index in indexed:
            for key in self._keys(row, field, keys_of):
                trees = index.get(key)
                if trees:
                    found.extend(trees)
        admitted = [n for n, _ in always]
        for n, rest in found:
            for field, keys in rest:
                cell_keys = keys_of.get(field)
                if cell_keys is None:
                    cell_keys = self._keys(row, field, keys_of)
                if keys.isdisjoint(cell_keys):
                    break
            else:
                admitted.append(n)
        if len(admitted) > 1:
            admitted = sorted(set(admitted))
        return admitted

    def _keys(self, row: AnyRow, field: str, keys_of: dict) -> frozenset:
        """The keys the cell's values have (as eq_text, eq_number decide): one per value,
        and a number's too where the field is compared with numbers."""
        cell = row[field]
        if cell is None:
            keys = _NO_KEYS
        else:
            parts = cell.split(_SEP) if _SEP in cell else (cell,)
            found = [("t", part.casefold()) for part in parts]
            if self.numbers[field]:
                for part in parts:
                    number = (
                        float(part) if part.isdigit() and part.isascii() else engine._number(part)
                    )
                    if number is not None:
                        found.append(("n", number))
            keys = frozenset(found)
        keys_of[field] = keys
        return keys

    def _plan(self, entries: tuple[int, ...]) -> tuple[list, list, int, list]:
        """The trees by their first condition's field and keys, those without conditions,
        the plan's number (its key in an event shape's cache) and its condition fields."""
        if len(self._plans) >= 4096:  # one per set of rules the prefilter leaves: few
            self._plans.clear()
        indexed: dict[str, dict[tuple, list]] = {}
        always = []
        for n in entries:
            conditions = self.conditions[n]
            if not conditions:
                always.append((n, self.presence[n]))
                continue
            (field, keys), rest = conditions[0], conditions[1:]
            for key in keys:
                indexed.setdefault(field, {}).setdefault(key, []).append((n, rest))
        fields = sorted({f for n in entries for f, _ in self.conditions[n]})
        plan = self._plans[entries] = (
            sorted(indexed.items()),
            always,
            next(_plan_numbers),
            fields,
        )
        return plan


_NO_KEYS: frozenset = frozenset()
_CELLS = object()  # marks an answer remembered by cells rather than by values
_MAX_ANSWERS = 1024  # admitted trees remembered per event shape and plan


def _presence(tree) -> tuple[frozenset, ...]:
    """Clauses of field names (lower case), each with a field any event the tree matches
    has a value of: every leaf is false on a missing field (a NULL cell) unless it asks for
    one (``null``, ``|exists: false``), and ``not`` can be true whatever is missing. An OR's
    clause is every field its branches need (weaker than the branches', so still true)."""
    if isinstance(tree, ConditionAND):
        return tuple(dict.fromkeys(c for a in tree.args for c in _presence(a)))
    if isinstance(tree, ConditionOR):
        branches = [_presence(a) for a in tree.args]
        if not branches or not all(branches):
            return ()
        return (frozenset(f for b in branches for c in b for f in c),)
    if isinstance(tree, ConditionFieldEqualsValueExpression) and tree.field:
        value = tree.value
        if isinstance(value, SigmaNull) or (isinstance(value, SigmaExists) and not value.exists):
            return ()
        if isinstance(value, SigmaExpansion) and not value.values:
            return ()
        return (frozenset({tree.field.lower()}),)
    return ()


def tree_fields(tree) -> frozenset[str] | None:
    """Every field (lower case) the tree's compiled function reads, field references'
    included; ``None`` for a tree holding anything else (it may read what is not named)."""
    if isinstance(tree, (ConditionAND, ConditionOR, ConditionNOT)):
        found: set[str] = set()
        for arg in tree.args:
            fields = tree_fields(arg)
            if fields is None:
                return None
            found |= fields
        return frozenset(found)
    if not isinstance(tree, ConditionFieldEqualsValueExpression) or not tree.field:
        return None
    found = {tree.field.lower()}
    values = [tree.value]
    while values:
        value = values.pop()
        if isinstance(value, SigmaExpansion):
            values.extend(value.values)
        elif isinstance(value, SigmaFieldReference):
            found.add(value.field.lower())
    return frozenset(found)


@dataclass(frozen=True)
class Compiled:
    """Functions for condition trees, and the source they were generated from."""

    functions: list[Predicate | None]  # None: that tree is not supported
    source: str
    errors: list[str | None]


def compile_trees(trees: list) -> Compiled:
    """One function per tree (``None`` and a reason for a tree this engine cannot take)."""
    gen = _Codegen()
    lines: list[str] = []
    errors: list[str | None] = []
    for n, tree in enumerate(trees):
        try:
            if tree is None:
                raise Unsupported("no condition tree")
            body = gen.expression(tree)
        except (Unsupported, NotImplementedError, KeyError, TypeError, ValueError, re.error) as e:
            errors.append(str(e) or type(e).__name__)
            continue
        errors.append(None)
        lines.append(f"def p{n}(row):\n    return bool({body})\n")
    source = "\n".join(lines)
    namespace = dict(gen.names)
    exec(compile(source, "<t1114 compiled rules>", "exec"), namespace)  # noqa: S102 - our own generated code
    functions = [namespace.get(f"p{n}") if errors[n] is None else None for n in range(len(trees))]
    return Compiled(functions, source, errors)
