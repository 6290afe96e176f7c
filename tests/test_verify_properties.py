"""Property tests: rule values with characters special to SPL, EQL, ES|QL and Lucene compile to
queries that parse and match exactly the event holding the value (in any case, where the
language can ignore case), and not an event where one character differs."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sigma.backends.elasticsearch import LuceneBackend
from sigma.collection import SigmaCollection

from t1114.events import Event, flatten
from t1114.schema import elastic_dataset_fields
from t1114.targets import all_targets
from t1114.targets.elastic import PackEsqlBackend
from t1114.verify import VERIFIERS, Context, Unverifiable, evaluate, parse

SPECIAL = "\"'\\*?|()[]{}<>=!&~^:/;,.`$%#@+- "
ALPHABET = st.sampled_from(list(SPECIAL) + list("abcXYZ019") + ["é", "Ü", "ж", "日", "ß"])
VALUES = st.text(ALPHABET, min_size=1, max_size=12).filter(lambda v: v.strip() == v and v.strip())
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sigma_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def rule_yaml(
    modifier: str, value: str, field: str = "CommandLine", category: str = "process_creation"
) -> dict:
    field += f"|{modifier}" if modifier else ""
    return {
        "title": "property",
        "id": "5d1b2c3a-0000-4000-8000-000000000001",
        "name": "property",
        "status": "test",
        "logsource": {"product": "windows", "category": category},
        "detection": {
            "sel": {field: re.escape(value) if modifier.startswith("re") else sigma_escape(value)},
            "condition": "sel",
        },
        "level": "low",
    }


def events_for(shape: str, command_lines: list[str]) -> list[Event]:
    docs = []
    for line in command_lines:
        if shape == "splunk":
            docs.append(
                {
                    "source": "XmlWinEventLog:Security",
                    "EventCode": 4688,
                    "CommandLine": line,
                    "_time": "2026-01-01T00:00:00Z",
                }
            )
        else:
            docs.append(
                {
                    "@timestamp": "2026-01-01T00:00:00Z",
                    "data_stream": {"dataset": "system.security"},
                    "event": {"code": "4688"},
                    "process": {"command_line": line},
                }
            )
    return [Event(i, flatten(d)) for i, d in enumerate(docs)]


def mutate(value: str) -> str:
    """The value with its first character replaced by one that differs in every case."""
    replacement = "q" if value[0].lower() != "q" else "z"
    return replacement + value[1:]


def embed(modifier: str, value: str) -> str:
    return {"contains": f"pre {value} post", "startswith": f"{value} post", "endswith": f"pre {value}", "": value,
            "re|i": f"pre\n{value}\npost"}[modifier]  # fmt: skip


def case_insensitive_variant(text: str) -> str | None:
    lowered = text.lower()
    return lowered if lowered.upper().lower() == lowered and len(lowered) == len(text) else None


def compile_target(target_name: str, rule: dict):
    collection = SigmaCollection.from_dicts([rule])
    return all_targets()[target_name].compile_rule(collection, rule["id"])


def matches(language: str, parsed, events, ctx) -> set[int]:
    return VERIFIERS[language].evaluate(parsed, events, ctx)


def check(modifier, value, verdict):
    """Positive, lower-case and negative events against one language's verdict function."""
    positive = embed(modifier, value)
    negative = embed(modifier, mutate(value))
    if value.lower() in negative.lower():  # the mutation left the value inside (e.g. "aa")
        negative = "unrelated"
    lines = [positive, negative]
    lowered = case_insensitive_variant(positive)
    if lowered is not None:
        lines.append(lowered)
    matched = verdict(lines)
    assert 0 in matched, f"the event holding {value!r} was not matched"
    assert 1 not in matched, f"an event without {value!r} was matched"
    if lowered is not None:
        assert 2 in matched, f"the lower-case variant {lowered!r} was not matched"


MODIFIERS = st.sampled_from(["contains", "startswith", "endswith", ""])


@SETTINGS
@given(MODIFIERS, VALUES)
def test_spl_queries_parse_and_match_exactly(modifier, value):
    compiled = compile_target("splunk", rule_yaml(modifier, value))
    parsed = parse(compiled)
    ctx = all_targets()["splunk"].verification_context(compiled)
    try:
        check(
            modifier,
            value,
            lambda lines: evaluate(compiled, parsed, events_for("splunk", lines), ctx),
        )
    except Unverifiable as e:
        # SPL search terms cannot hold a literal asterisk: reported, never passed.
        assert "*" in value and "asterisk" in str(e)


@SETTINGS
@given(MODIFIERS, VALUES)
def test_eql_queries_parse_and_match_exactly(modifier, value):
    compiled = compile_target("elastic", rule_yaml(modifier, value))
    assert compiled.language == "eql"
    parsed = parse(compiled)
    ctx = all_targets()["elastic"].verification_context(compiled)
    check(
        modifier,
        value,
        lambda lines, c=compiled, p=parsed, x=ctx: evaluate(c, p, events_for("elastic", lines), x),
    )


def _elastic_ctx() -> Context:
    return Context(
        "elastic",
        ("@timestamp",),
        field_types=elastic_dataset_fields(),
        datasets=("system.security",),
    )


def _convert(backend_class, rule: dict) -> str:
    target = all_targets()["elastic"]
    collection = SigmaCollection.from_dicts([rule])
    (query,) = backend_class(processing_pipeline=target.query_pipeline()).convert(collection)
    return query


@SETTINGS
@given(MODIFIERS, VALUES)
def test_esql_queries_parse_and_match_exactly(modifier, value):
    module = VERIFIERS["esql"]
    parsed = module.parse(_convert(PackEsqlBackend, rule_yaml(modifier, value)))
    check(
        modifier,
        value,
        lambda lines: module.evaluate(parsed, events_for("elastic", lines), _elastic_ctx()),
    )


def script_block_events(texts: list[str]) -> list[Event]:
    return [
        Event(i, flatten({"@timestamp": "2026-01-01T00:00:00Z", "data_stream": {"dataset": "windows.powershell_operational"},
                          "event": {"code": "4104"}, "powershell": {"file": {"script_block_text": t}}}))
        for i, t in enumerate(texts)
    ]  # fmt: skip


@SETTINGS
@given(st.sampled_from(["contains", "startswith", "endswith", "", "re|i"]), VALUES)
def test_rules_on_a_text_field_ship_as_esql_that_matches_exactly(modifier, value):
    """PowerShell script blocks are a text field in the Elastic integration: the target ships
    ES|QL, which reads the whole value, in any case (and a case-insensitive regex across lines)."""
    compiled = compile_target("elastic", rule_yaml(modifier, value, "ScriptBlockText", "ps_script"))
    assert compiled.language == "esql"
    parsed = parse(compiled)
    ctx = all_targets()["elastic"].verification_context(compiled)
    check(
        modifier, value, lambda lines: evaluate(compiled, parsed, script_block_events(lines), ctx)
    )


# luqum's lexer rejects a bare single quote, which Elasticsearch's query_string accepts (it is
# not a reserved character), and pySigma's Lucene backend does not escape it.
LUCENE_VALUES = VALUES.filter(lambda v: "'" not in v)


@SETTINGS
@given(MODIFIERS, LUCENE_VALUES)
def test_lucene_queries_parse_and_match_the_exact_value(modifier, value):
    """pySigma's Lucene output parses and matches the value as written; it does not ignore case
    on ECS keyword/wildcard fields (test below), which is why Elastic rules ship as EQL."""
    module = VERIFIERS["lucene"]
    parsed = module.parse(_convert(LuceneBackend, rule_yaml(modifier, value)))
    positive, negative = embed(modifier, value), embed(modifier, mutate(value))
    assume(value.lower() not in negative.lower())
    matched = module.evaluate(parsed, events_for("elastic", [positive, negative]), _elastic_ctx())
    assert matched == {0}


def test_lucene_is_case_sensitive_on_ecs_wildcard_fields():
    module = VERIFIERS["lucene"]
    parsed = module.parse(
        _convert(LuceneBackend, rule_yaml("contains", "New-MailboxExportRequest"))
    )
    events = events_for("elastic", ["x New-MailboxExportRequest y", "x new-mailboxexportrequest y"])
    assert module.evaluate(parsed, events, _elastic_ctx()) == {0}


@pytest.mark.parametrize("value", ['a"b', "c\\d", "p|q", "(x)", "日本", "e*f", "g?h"])
def test_examples_of_special_characters_on_every_language(value):
    """The same property on fixed examples, so a failure names the character plainly."""
    for modifier in ("contains", ""):
        compiled = compile_target("elastic", rule_yaml(modifier, value))
        parsed = parse(compiled)
        ctx = all_targets()["elastic"].verification_context(compiled)
        check(
            modifier,
            value,
            lambda lines, c=compiled, p=parsed, x=ctx: evaluate(
                c, p, events_for("elastic", lines), x
            ),
        )
        module = VERIFIERS["esql"]
        esql = module.parse(_convert(PackEsqlBackend, rule_yaml(modifier, value)))
        check(
            modifier,
            value,
            lambda lines, m=module, q=esql: m.evaluate(
                q, events_for("elastic", lines), _elastic_ctx()
            ),
        )
