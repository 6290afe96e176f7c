"""What the rules decide for a plain document, remembered by the values it is decided on.

Telemetry repeats itself: a mailbox's ``MailItemsAccessed`` records, a workstation's network
connections from the same browser differ in time, identifiers and counts, rarely in the fields
the rules read. For a plain document (``predicates.DocumentRow``) every cell a compiled tree
reads comes from the top-level items whose keys can hold its field (``predicates._holders``),
so whatever is decided from a known set of fields (one rule's tree, the verdict of all the
trees the prefilter leaves) is a function of the document's keys and of those items' values.
A decision is remembered under exactly that: per shape (the keys, in order) and decision,
the holding items' values (``predicates.value_key``).

What is not remembered is what differs per event: a correlation's group key, value and time
are still read from each event. Bounded and self-limiting: a decision on long values is not
kept; one whose values rarely repeat (an event id, a file name) stops being remembered for
that shape; the whole store starts again when it holds ``MAX_REMEMBERED`` answers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from t1114.predicates import DocumentRow, holding_items, value_key

MAX_REMEMBERED = 32_768  # answers per process, all decisions together
_TRIAL = 4_096  # lookups after which a decision that rarely repeats is given up
_RARE = 16  # ... if fewer than one in this many were answered from memory

_UNKNOWN = object()
_tokens = itertools.count()


class Memo:
    """Remembered decisions of one compiled pack (shapes are shared between packs: each
    ``Memo`` marks its own entries in them)."""

    def __init__(self) -> None:
        self._token = next(_tokens)
        self._stores: list[dict] = []  # the stores holding answers, to clear them all at once
        self._size = 0

    def find(
        self, row: DocumentRow, decision: Any, fields_of: Callable[[Any], frozenset[str] | None]
    ) -> tuple[list | None, tuple | None, Any]:
        """The decision's plan for this shape, the event's key and the remembered answer
        (``None`` if there is none). ``fields_of(decision)``: what the decision reads
        (``None``: not known, so never remembered)."""
        shape = row.shape()
        tag = (self._token, decision)
        plan = shape.get(tag, _UNKNOWN)
        if plan is _UNKNOWN:
            plan = shape[tag] = self._plan(shape[None], fields_of(decision))
        if plan is None or plan[0] is None:
            return None, None, None
        holders, store = plan[0], plan[1]
        plan[2] += 1
        if plan[2] > _TRIAL and plan[3] * _RARE < plan[2]:
            plan[0] = None  # its values rarely repeat: decided every time from now on
            store.clear()
            return None, None, None
        key = value_key(row.document, holders)
        if key is None:
            return None, None, None
        answer = store.get(key)
        if answer is not None:
            plan[3] += 1
        return plan, key, answer

    def keep(self, plan: list | None, key: tuple | None, answer: Any) -> None:
        if plan is None or key is None or plan[0] is None:
            return
        if self._size >= MAX_REMEMBERED:
            for store in self._stores:
                store.clear()
            self._stores.clear()
            self._size = 0
        store = plan[1]
        if not store:
            self._stores.append(store)
        store[key] = answer
        self._size += 1

    @staticmethod
    def _plan(lowered: dict[str, list[str]], fields: frozenset[str] | None) -> list | None:
        """[holding keys, answers by values, lookups, answered from memory]."""
        if fields is None:
            return None
        return [holding_items(lowered, sorted(fields)), {}, 0, 0]
