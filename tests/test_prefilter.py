"""The literal prefilter: which words a rule implies, and that it never drops a match."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sigma.collection import SigmaCollection
from sigma.processing.pipeline import ProcessingPipeline

from t1114 import engine
from t1114.events import Event, flatten
from t1114.prefilter import REGEX_ATOM, TRUE, Prefilter, RulePrefilter

RULE = """
title: T
id: 11111111-1111-4111-8111-111111111111
name: r
logsource: {{product: test}}
detection:
{detection}
level: low
"""


def compiled(detection: str) -> engine.SqlRule:
    return engine.compile_sql(
        SigmaCollection.from_yaml(RULE.format(detection=detection)), ProcessingPipeline()
    )[0]


def words(detection: str) -> list[list[str]]:
    return sorted(sorted(clause) for clause in compiled(detection).prefilter)


# One-letter field names add no words (shorter than 3): these tests look at values.


def test_values_give_words_lower_cased_and_split_where_json_escapes():
    assert words("  sel:\n    C|contains: 'New-MailboxExportRequest'\n  condition: sel") == [
        ["new-mailboxexportrequest"]
    ]
    assert words("  sel:\n    I|endswith: '\\Windows\\System32\\cmd.exe'\n  condition: sel") == [
        ["cmd.exe"],
        ["system32"],
        ["windows"],
    ]
    assert words("  sel:\n    C: 'Microsoft-Windows-Sysmon/Operational'\n  condition: sel") == [
        ["microsoft-windows-sysmon"],
        ["operational"],
    ]


def test_alternatives_become_one_clause_and_wildcards_split_words():
    assert words("  sel:\n    O: [New-InboxRule, Set-InboxRule]\n  condition: sel") == [
        ["new-inboxrule", "set-inboxrule"]
    ]
    assert words("  sel:\n    P: 'abc*defg?hij'\n  condition: sel") == [["abc"], ["defg"], ["hij"]]


def test_what_proves_nothing_is_true():
    # numbers (and strings the engine compares as numbers), negations, regexes, null
    for detection in (
        "  sel:\n    E: 4688\n  condition: sel",
        "  sel:\n    E: '4688'\n  condition: sel",
        "  sel:\n    Abc: abcdef\n  condition: not sel",
        "  sel:\n    A|re: '(a)\\1'\n  condition: sel",  # a back-reference is not relaxed
        "  sel:\n    A|re: '^[0-9.]+$'\n  condition: sel",  # could match a float's spelling
        "  sel:\n    Abc: null\n  condition: sel",
        "  sel:\n    A|contains: '1e-5'\n  condition: sel",
        "  sel:\n    Abc|exists: false\n  condition: sel",
    ):
        assert compiled(detection).prefilter == TRUE, detection


def test_a_regex_becomes_one_relaxed_atom():
    (clause,) = compiled("  sel:\n    A|re|i: 'N`?e`?w'\n  condition: sel").prefilter
    (atom,) = clause
    assert atom.startswith(REGEX_ATOM)
    prefilter = Prefilter([RulePrefilter("r", frozenset({clause}))])
    assert prefilter.candidates(b'{"A":"powershell n`E`W-thing"}') == {"r"}
    assert prefilter.candidates(b'{"A":"powershell old"}') == frozenset()


def test_an_or_with_an_unconstrained_branch_is_true():
    assert words("  a:\n    A: abcdef\n  b:\n    B: 12\n  condition: a or b") == []


def test_field_names_give_their_parts():
    assert words("  sel:\n    Parameters.ForwardTo|exists: true\n  condition: sel") == [
        ["forwardto"],
        ["parameters"],
    ]
    assert words("  sel:\n    EventID: 4688\n  condition: sel") == [["eventid"]]
    assert words("  sel:\n    Provider_Name: x\n  condition: sel") == [["name"], ["provider"]]
    assert words("  sel:\n    param1: abcd\n  condition: sel") == [["abcd"]]  # a made-up name


def test_prefilter_candidates():
    prefilter = Prefilter(
        [
            RulePrefilter(
                "a",
                frozenset({frozenset({"exchange"}), frozenset({"new-inboxrule", "set-inboxrule"})}),
            ),
            RulePrefilter("b", frozenset({frozenset({"sysmon"})})),
        ]
    )
    assert prefilter.candidates(b'{"Workload":"EXCHANGE","Operation":"Set-InboxRule"}') == {"a"}
    assert prefilter.candidates(b'{"Workload":"Exchange","Operation":"Send"}') == frozenset()
    assert prefilter.candidates(b'{"c":"Sysmon","w":"exchange","o":"new-inboxrule"}') == {"a", "b"}
    # Text the prefilter cannot judge: every rule stays possible.
    assert prefilter.candidates('{"w":"exchangé"}'.encode()) is None
    assert prefilter.candidates(b'{"w":"\\u0065xchange"}') is None
    assert (
        prefilter.candidates(b'{"w":"C:\\\\users"}') == frozenset()
    )  # an escaped backslash, not \u
    assert prefilter.candidates(None) is None


def test_a_rule_without_words_is_always_a_candidate():
    prefilter = Prefilter(
        [RulePrefilter("a", TRUE), RulePrefilter("b", frozenset({frozenset({"zzz"})}))]
    )
    assert prefilter.candidates(b'{"x":1}') == {"a"}


# --- soundness: whatever the engine matches, the prefilter lets through ------------------------

_alphabet = st.sampled_from(list('abcXYZ-_./\\"09 :éK') + ["\u212a", "\u017f", "ß", "\x1f"])
_text = st.text(_alphabet, min_size=0, max_size=12)
_modifier = st.sampled_from(
    ["", "|contains", "|startswith", "|endswith", "|cased", "|contains|all"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pattern=_text,
    modifier=_modifier,
    value=_text,
    mutate=st.sampled_from(["same", "upper", "lower", "swap", "wrap"]),
    ascii_only=st.booleans(),
    field=st.sampled_from(["F", "Long_Name", "Outer.Inner"]),
)
def test_prefilter_never_drops_an_event_the_engine_matches(
    pattern, modifier, value, mutate, ascii_only, field
):
    stored = {
        "same": pattern,
        "upper": pattern.upper(),
        "lower": pattern.lower(),
        "swap": pattern.swapcase(),
        "wrap": value + pattern + value,
    }[mutate]
    rule = compiled(f"  sel:\n    {field}{modifier}: {json.dumps(pattern)}\n  condition: sel")
    outer, _, inner = field.partition(".")
    doc = {outer: {inner: stored} if inner else stored, "G": value}
    event = Event(0, flatten(doc))
    matched = bool(engine.run([rule], [event], ["ts"]))
    text = json.dumps(doc, ensure_ascii=ascii_only).encode()
    verdict = Prefilter([RulePrefilter(rule.id, rule.prefilter)]).candidates(text)
    if matched:
        assert verdict is None or rule.id in verdict


def test_a_scan_where_every_pattern_reported_is_complete():
    # Hyperscan stops early once every single-match pattern has fired; that is no error.
    prefilter = Prefilter([RulePrefilter("r", frozenset({frozenset({"abc"})}))])
    assert prefilter.candidates(b'{"F":"\\u001fabc"}') is None
    assert prefilter.candidates(b'{"F":"abc"}') == {"r"}


_regex_token = st.sampled_from(
    [
        "a",
        "B",
        "k",
        "s",
        "-",
        "/",
        '"',
        "\\\\",
        ".",
        "[a-c]",
        "\\d",
        "x?",
        "(y|z)",
        "^",
        "$",
        "[^a]",
        "\\w+",
        " ",
        "(?:ab)*",
    ]
)
_value_alphabet = st.sampled_from(list('aAbBkKsSxyz-/"\\ 09.') + ["\u212a", "\u017f", "é"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tokens=st.lists(_regex_token, min_size=1, max_size=6),
    modifier=st.sampled_from(["|re", "|re|i"]),
    value=st.text(_value_alphabet, max_size=10),
    ascii_only=st.booleans(),
)
def test_a_relaxed_regex_never_drops_an_event_the_engine_matches(
    tokens, modifier, value, ascii_only
):
    pattern = "".join(tokens)
    rule = compiled(f"  sel:\n    F{modifier}: {json.dumps(pattern)}\n  condition: sel")
    doc = {"F": value}
    matched = bool(engine.run([rule], [Event(0, flatten(doc))], ["ts"]))
    verdict = Prefilter([RulePrefilter(rule.id, rule.prefilter)]).candidates(
        json.dumps(doc, ensure_ascii=ascii_only).encode()
    )
    if matched:
        assert verdict is None or rule.id in verdict
