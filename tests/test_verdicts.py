"""Remembered decisions are keyed soundly: two documents of one shape whose holding items
have equal keys have equal cells, so a remembered answer is the answer."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from t1114 import verdicts
from t1114.events import flatten
from t1114.predicates import DocumentRow, holding_items, value_key
from test_predicates import _KEYS, _VALUES

_NAMES = ("a", "a.b", "a.b.c", "b", "b.c", "name", "x", "a.a", "missing")


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=4),
    st.lists(_VALUES, min_size=4, max_size=4),
)
def test_equal_keys_mean_equal_cells(document, others):
    # The second document has the first one's keys (so its shape), other values for some.
    second = {k: (others[n] if n % 2 else v) for n, (k, v) in enumerate(document.items())}
    first_row, second_row = DocumentRow(document), DocumentRow(second)
    lowered = first_row.shape()[None]
    names = {k.lower() for k in flatten(document)} | set(_NAMES)
    for name in sorted(names):
        holders = holding_items(lowered, [name])
        first_key = value_key(first_row.document, holders)
        if first_key is not None and first_key == value_key(second, holders):
            assert first_row[name] == second_row[name], name


def test_values_that_compare_equal_are_different_keys():
    # 1 == True == 1.0 in Python, and 0.0 == -0.0; their cells differ ('1', 'true', '1.0').
    values = (1, True, 1.0, "1", 0.0, -0.0, None, [1], "[1]", {"a": 1})
    keys = [value_key({"F": v}, (("F", True),)) for v in values]
    assert len(set(keys)) == len(keys)


def test_a_scalar_holds_no_field_under_it():
    # Id.ApplicationName is in no record whose Id is text: every such Id is one key.
    holders = holding_items(DocumentRow({"Id": "x"}).shape()[None], ["id.applicationname"])
    assert holders == (("Id", False),)
    assert value_key({"Id": "a1"}, holders) == value_key({"Id": 7}, holders)
    assert value_key({"Id": "a1"}, holders) != value_key({"Id": {"ApplicationName": "a1"}}, holders)


def test_a_long_value_is_no_key():
    itself = (("F", True),)
    assert value_key({"F": "x" * 2000}, itself) is None
    assert value_key({"F": ["x"] * 500}, itself) is None
    assert value_key({"F": "x", "G": 2}, (("F", True), ("G", True))) == ("x", (False, 2))


def _fields(decision):
    return frozenset({"f"})


def test_memo_answers_what_it_kept_for_equal_values_only():
    memo = verdicts.Memo()
    row = DocumentRow({"F": "a", "T": 1})
    plan, key, answer = memo.find(row, "d", _fields)
    assert answer is None
    memo.keep(plan, key, ("yes",))
    assert memo.find(DocumentRow({"F": "a", "T": 2}), "d", _fields)[2] == ("yes",)
    assert memo.find(DocumentRow({"F": "b", "T": 1}), "d", _fields)[2] is None
    # another shape (key order differs), another decision: nothing remembered
    assert memo.find(DocumentRow({"T": 1, "F": "a"}), "d", _fields)[2] is None
    assert memo.find(row, "e", _fields)[2] is None


def test_a_decision_whose_values_never_repeat_is_given_up(monkeypatch):
    monkeypatch.setattr(verdicts, "_TRIAL", 20)
    memo = verdicts.Memo()
    for n in range(21):
        plan, key, answer = memo.find(DocumentRow({"Id": str(n)}), "id", lambda d: {"id"})
        assert answer is None
        memo.keep(plan, key, True)
    assert memo.find(DocumentRow({"Id": "0"}), "id", lambda d: {"id"}) == (None, None, None)


def test_the_store_is_bounded(monkeypatch):
    monkeypatch.setattr(verdicts, "MAX_REMEMBERED", 10)
    memo = verdicts.Memo()
    for n in range(25):
        plan, key, _ = memo.find(DocumentRow({"V": n % 12}), "v", lambda d: {"v"})
        memo.keep(plan, key, n)
        assert memo._size <= 10
