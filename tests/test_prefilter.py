"""The literal prefilter: which words a rule implies, and that it never drops a match."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sigma.collection import SigmaCollection
from sigma.processing.pipeline import ProcessingPipeline

from t1114 import engine
from t1114.corpus import Corpus, Mix, fixture_cases
from t1114.events import AUDITD_RECORDS, Event, flatten
from t1114.inputs import BadRecord, read_items
from t1114.prefilter import REGEX_ATOM, TRUE, Prefilter, RulePrefilter
from t1114.scan import Scanner, _row
from t1114.targets import all_targets
from test_scan_differential import _escaping_letters

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


def test_a_regex_hyperscan_refuses_loses_its_clauses():
    refused = frozenset({REGEX_ATOM + "(unbalanced"})
    prefilter = Prefilter(
        [
            RulePrefilter("r", frozenset({refused, frozenset({"abc"})})),
            RulePrefilter("s", frozenset({refused})),  # no clause left: always a candidate
        ]
    )
    assert prefilter.candidates(b'{"F":"abc"}') == {"r", "s"}
    assert prefilter.candidates(b'{"F":"xyz"}') == {"s"}


def test_an_or_with_an_unconstrained_branch_is_true():
    assert words("  a:\n    A: abcdef\n  b:\n    B: 12\n  condition: a or b") == []


def test_field_names_give_their_parts():
    assert words("  sel:\n    Parameters.ForwardTo|exists: true\n  condition: sel") == [
        ["forwardto"],
        ["parameters"],
    ]
    assert words("  sel:\n    EventID: 4688\n  condition: sel") == [["eventid"]]
    assert words("  sel:\n    Target_Name: x\n  condition: sel") == [["name"], ["target"]]
    # An EVTX System name an NXLog record holds under its own name (SourceName): no words.
    assert words("  sel:\n    Provider_Name: x\n  condition: sel") == []
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


# --- soundness over the pack: the prefilter never rejects a line the scan would hit ----------
#
# The scan with the prefilter disabled (every rule for every event) is the judge: every event
# a hit names (each contributing event of a correlation too) must have been left, with that
# rule (or one of the correlation's rules), by the prefilter, over fixtures, generated
# corpora and the encodings exporters use (escapes, \u escapes, case, non-ASCII).


TARGETS = sorted(all_targets())


@pytest.fixture(scope="session")
def scanners(pack):
    """Per target: the scan with the prefilter, and without."""
    made = {}

    def get(target_name: str) -> tuple[Scanner, Scanner]:
        if target_name not in made:
            target = all_targets()[target_name]
            made[target_name] = (Scanner(pack, target), Scanner(pack, target, prefilter=False))
        return made[target_name]

    return get


def _verdicts(scanner: Scanner, path) -> list:
    """The prefilter's candidates for each event of a file, in event order (a record that
    proves no event when it is built takes no position, as in the scan)."""
    candidates = scanner.compiled.prefilter.candidates
    verdicts = []
    for item in read_items(path):
        if isinstance(item, BadRecord):
            continue
        try:
            _row(item)
        except ValueError:
            continue
        verdicts.append(candidates(item.text))
    return verdicts


def _rules_left_for(scanner: Scanner, hit: dict) -> frozenset:
    """The prefilter rules that, left for an event, let it take part in the hit."""
    for correlation in scanner.compiled.streamed:
        if correlation.rule.id == hit["rule_id"]:
            return correlation.slot_ids
    return frozenset({hit["rule_id"]})


def assert_prefilter_sound(scanners, target_name: str, path) -> tuple[int, int]:
    """Hits are the same with and without the prefilter, and no hit's event was rejected.
    Returns (events rejected, hits) so that a test can say the check was not empty."""
    filtered, unfiltered = scanners(target_name)
    verdicts = _verdicts(filtered, path)
    judge = list(unfiltered.scan([path]))
    for hit in judge:
        needed = _rules_left_for(filtered, hit)
        for index in hit["event_indices"]:
            left = verdicts[index]
            assert left is None or not needed.isdisjoint(left), (
                f"the prefilter rejected event {index} of {hit['rule_id']}"
            )
    assert list(filtered.scan([path])) == judge
    return sum(1 for v in verdicts if v is not None and not v), len(judge)


def _swapcase(doc, keys: bool):
    """The document with its keys' (or its string values') letters in the other case."""
    if isinstance(doc, dict):  # raw audit records stay parseable
        return {
            (k.swapcase() if keys else k): v if k == AUDITD_RECORDS else _swapcase(v, keys)
            for k, v in doc.items()
        }
    if isinstance(doc, list):
        return [_swapcase(v, keys) for v in doc]
    if isinstance(doc, str) and not keys:
        return doc.swapcase()
    return doc


_ENCODINGS = {
    "compact": lambda d, rng: json.dumps(d, separators=(",", ":")),
    "ascii": lambda d, rng: json.dumps(d, ensure_ascii=True),
    "unicode": lambda d, rng: json.dumps(d, ensure_ascii=False),
    "slashes": lambda d, rng: json.dumps(d).replace("/", "\\/"),
    "u-escapes": _escaping_letters,
    "keys-swapcase": lambda d, rng: json.dumps(_swapcase(d, keys=True)),
    "values-swapcase": lambda d, rng: json.dumps(_swapcase(d, keys=False), ensure_ascii=False),
}


@pytest.mark.parametrize("target_name", TARGETS)
def test_the_prefilter_rejects_no_fixture_event_the_scan_hits(
    scanners, pack, tmp_path, target_name
):
    cases = fixture_cases(pack, all_targets()[target_name].shape)
    events = [e for case in cases.positive + cases.negative for e in case]
    path = tmp_path / "fixtures.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    rejected, hits = assert_prefilter_sound(scanners, target_name, path)
    assert rejected > 0 and hits > 0


@pytest.mark.parametrize("target_name", TARGETS)
def test_the_prefilter_rejects_no_generated_event_the_scan_hits(
    scanners, pack, tmp_path, target_name
):
    shape = all_targets()[target_name].shape
    rng = random.Random(14)
    docs = list(Corpus(pack, shape, seed=14, mix=Mix(attack=0.05, near_miss=0.05)).events(1500))
    styles = sorted(_ENCODINGS)
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        "".join(_ENCODINGS[rng.choice(styles)](d, rng) + "\n" for d in docs), encoding="utf-8"
    )
    rejected, hits = assert_prefilter_sound(scanners, target_name, path)
    assert rejected > 0 and hits > 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.integers(min_value=0, max_value=10_000),
    encoding=st.sampled_from(sorted(_ENCODINGS)),
    seed=st.integers(min_value=0, max_value=1 << 16),
)
def test_no_encoding_of_a_matching_fixture_hides_it_from_the_prefilter(
    scanners, pack, tmp_path_factory, case, encoding, seed
):
    # One positive fixture case of the native target at a time, in one of the encodings.
    positive = fixture_cases(pack, all_targets()["native"].shape).positive
    events = positive[case % len(positive)]
    rng = random.Random(seed)
    path = tmp_path_factory.mktemp("encoded") / "case.jsonl"
    path.write_text("".join(_ENCODINGS[encoding](e, rng) + "\n" for e in events), "utf-8")
    assert_prefilter_sound(scanners, "native", path)


def test_a_cloud_logging_entry_is_not_judged_by_the_names_it_is_read_under():
    # The entry is read as the Reports API activity it carries (events.name,
    # events.parameters.<name>): neither "events" nor "parameters" is a key of its text.
    rule = compiled(
        "  sel:\n    events.name: email_forwarding_out_of_domain\n"
        "    events.parameters.email_forwarding_destination_address|endswith: '@evil.example'\n"
        "  condition: sel"
    )
    entry = {
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "serviceName": "login.googleapis.com",
            "metadata": {
                "@type": "type.googleapis.com/ccc_hosted_reporting.ActivityProto",
                "event": [
                    {
                        "eventName": "email_forwarding_out_of_domain",
                        "eventType": "email_forwarding_change",
                        "parameter": [
                            {
                                "name": "email_forwarding_destination_address",
                                "value": "a@evil.example",
                            }
                        ],
                    }
                ],
            },
        }
    }
    assert engine.run([rule], [Event(0, flatten(entry))], ["ts"])
    prefilter = Prefilter([RulePrefilter(rule.id, rule.prefilter)])
    assert prefilter.candidates(json.dumps(entry).encode()) is None
    # The same words in a document of another shape are judged as usual.
    assert prefilter.candidates(b'{"eventName":"email_forwarding_out_of_domain"}') == frozenset()
