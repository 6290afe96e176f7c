"""The compiled scan engine decides every condition as the SQLite oracle does.

Each rule below is compiled both ways (``engine.compile_sql``: the backend's SQL; its
condition tree: ``predicates.compile_trees``) and run over events chosen at the edges of Sigma's
semantics; a property test then throws generated values at generated conditions.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sigma.collection import SigmaCollection
from sigma.processing.pipeline import ProcessingPipeline

from t1114 import engine
from t1114.events import Event, flatten
from t1114.predicates import Dispatch, Row, compile_trees
from test_prefilter import RULE

EVENTS = [
    {"F": "Hello World"},
    {"F": "hello world"},
    {"F": "HELLO"},
    {"F": "\u212aelvin"},
    {"F": "kelvin"},
    {"F": 4688},
    {"F": "4688"},
    {"F": "4688.0"},
    {"F": " 4688 "},
    {"F": 4688.5},
    {"F": True},
    {"F": None},
    {"F": ["a", "Hello World", "b"]},
    {"F": ["x", 4688]},
    {"F": []},
    {"F": "100%_done\\x"},
    {"F": "a%b"},
    {"F": "10.1.2.3"},
    {"F": "10.2.0.1"},
    {"F": "192.168.1.1"},
    {"G": "Hello World"},
    {"F": "Hello", "G": "hello"},
    {"F": "Hello World", "G": "world"},
    {"F": "abc", "G": "ABC"},
    {"f": "hello world"},
    {"F": "x", "f": "Hello World"},
    {"F": {"n": "Hello World"}},
    {"F": "  "},
    {"F": ""},
    {"F": 1},
    {"F": 0},
    {"F": "true"},
    {"F": 5000},
    {"F": "499"},
    {"F": ["1", "600"]},
    {"F": "ab\ncd"},
    {"F": "ẞtraße"},
]

DETECTIONS = [
    "  sel:\n    F: Hello World\n  condition: sel",
    "  sel:\n    F: 4688\n  condition: sel",
    "  sel:\n    F: '4688'\n  condition: sel",
    "  sel:\n    F|contains: llo wo\n  condition: sel",
    "  sel:\n    F|startswith: hel\n  condition: sel",
    "  sel:\n    F|endswith: LVIN\n  condition: sel",
    "  sel:\n    F: 'h*o w?rld'\n  condition: sel",
    "  sel:\n    F|contains: '%_'\n  condition: sel",
    "  sel:\n    F|contains: '\\x'\n  condition: sel",
    "  sel:\n    F|cased: Hello World\n  condition: sel",
    "  sel:\n    F|cased|startswith: Hel\n  condition: sel",
    "  sel:\n    F|re: '^[Hh]ello'\n  condition: sel",
    "  sel:\n    F|re|i: 'WORLD$'\n  condition: sel",
    "  sel:\n    F|cidr: 10.0.0.0/14\n  condition: sel",
    "  sel:\n    F|gte: 500\n  condition: sel",
    "  sel:\n    F|lt: 4688\n  condition: sel",
    "  sel:\n    F: true\n  condition: sel",
    "  sel:\n    F: null\n  condition: sel",
    "  sel:\n    F|exists: true\n  condition: sel",
    "  sel:\n    F|exists: false\n  condition: sel",
    "  sel:\n    F|fieldref: G\n  condition: sel",
    "  sel:\n    F|fieldref|startswith: G\n  condition: sel",
    "  sel:\n    F|fieldref|endswith: G\n  condition: sel",
    "  sel:\n    F|fieldref|contains: G\n  condition: sel",
    "  sel:\n    F: Hello World\n  filter:\n    G: Hello World\n  condition: sel and not filter",
    "  sel:\n    G|contains: world\n  condition: not sel",
    "  sel:\n    F:\n      - hello\n      - 4688\n      - '*kelvin'\n  condition: sel",
    "  sel:\n    F|contains|all:\n      - hello\n      - world\n  condition: sel",
    "  a:\n    F: Hello World\n  b:\n    F.n: Hello World\n  condition: a or b",
    "  sel:\n    F: ''\n  condition: sel",
    "  a:\n    F: Hello World\n    G: x\n  b:\n    F: 4688\n  condition: a or b",
    "  a:\n    F: Hello World\n  b:\n    G: abc\n  condition: a or b",
    "  a:\n    F: Hello World\n  b:\n    F: kelvin\n    G: ABC\n  c:\n    G: abc\n  condition: (a or b) and c",
    "  a:\n    F: Hello World\n  b:\n    F: kelvin\n  condition: not (a or b)",
    "  sel:\n    F|windash|contains: '-x'\n  condition: sel",
    "  sel:\n    F|base64offset|contains: hello\n  condition: sel",
]


def _both(detection: str, docs: list[dict]) -> tuple[list[int], list[int]]:
    rules = engine.compile_sql(
        SigmaCollection.from_yaml(RULE.format(detection=detection)), ProcessingPipeline()
    )
    events = [Event(i, flatten(d)) for i, d in enumerate(docs)]
    oracle = sorted(h.event_indices[0] for h in engine.run(rules, events, ()))
    compiled = compile_trees([r.tree for r in rules])
    assert all(compiled.functions), compiled.errors
    dispatch = Dispatch([r.tree for r in rules])
    mine = []
    for event in events:
        row = Row(event.fields)
        mine.extend(
            event.index
            for n in dispatch.admit(row, tuple(range(len(compiled.functions))))
            if compiled.functions[n](row)
        )
    return oracle, sorted(mine)


@pytest.mark.parametrize("detection", DETECTIONS)
def test_each_kind_of_condition_matches_as_the_oracle(detection):
    oracle, mine = _both(detection, EVENTS)
    assert mine == oracle


def test_the_edges_are_exercised():
    # The comparisons above are not vacuous: the oracle finds matches and misses in each group.
    for detection in (
        "  sel:\n    F: 4688\n  condition: sel",
        "  sel:\n    F|cidr: 10.0.0.0/14\n  condition: sel",
        "  sel:\n    G|contains: world\n  condition: not sel",
    ):
        oracle, _ = _both(detection, EVENTS)
        assert 0 < len(oracle) < len(EVENTS)


_values = st.one_of(
    st.text(st.sampled_from(list("aAkK\u212a%_\\* 0129.-")), max_size=6),
    st.integers(-3, 700),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.booleans(),
    st.none(),
)
_patterns = st.text(st.sampled_from(list("aAk%_* 0129.")), min_size=1, max_size=5)
_modifiers = st.sampled_from(["", "|contains", "|startswith", "|endswith", "|cased", "|gte", "|lt"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    modifier=_modifiers,
    pattern=_patterns,
    negate=st.booleans(),
    values=st.lists(st.one_of(_values, st.lists(_values, max_size=3)), min_size=1, max_size=6),
)
def test_generated_conditions_match_as_the_oracle(modifier, pattern, negate, values):
    value = str(sum(map(ord, pattern)) % 700) if modifier in ("|gte", "|lt") else repr(pattern)
    detection = f"  sel:\n    F{modifier}: {value}\n  condition: {'not ' if negate else ''}sel"
    docs = [{"F": v} if n % 3 else {"G": v} for n, v in enumerate(values)]
    oracle, mine = _both(detection, docs)
    assert mine == oracle


# --- DocumentRow: a field read from one top-level item is the whole flattening's cell ----------

_KEYS = st.sampled_from(["a", "A", "b", "a.b", "A.B", "b.c", "Name", "Value", "x"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["", "v", "W"]))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(_KEYS, inner, max_size=3),
        st.lists(
            st.fixed_dictionaries({"Name": st.sampled_from(["a", "B", "b"]), "Value": inner}),
            min_size=1,
            max_size=2,
        ),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, max_size=4))
def test_a_document_row_reads_each_field_as_the_flattened_row(document):
    from t1114.events import plain_document
    from t1114.predicates import DocumentRow

    whole = Row(flatten(document))
    names = {k.lower() for k in flatten(document)} | {"a.b.c", "a.a", "missing", "b.c.a"}
    lazy = DocumentRow(plain_document(document))
    for name in sorted(names):
        assert lazy[name] == whole[name], name
    assert lazy.fields() == flatten(document)
