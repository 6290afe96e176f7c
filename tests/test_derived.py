"""Derived fields: the reference computation, and each platform's pipeline attaching it to the
correlations that use it under the platform's field names."""

from __future__ import annotations

import copy
import json

import pytest
from sigma.collection import SigmaCollection

from sigma.pipelines.t1114.elastic import elastic_pipeline
from sigma.pipelines.t1114.native import native_pipeline
from sigma.pipelines.t1114.sources import FORWARDED_MAILBOX, FORWARDING_DESTINATION
from sigma.pipelines.t1114.splunk import splunk_pipeline
from t1114 import engine
from t1114.derived import derive, derived_fields, source_fields
from t1114.events import Event
from t1114.targets.elastic.esql import PackEsqlBackend
from t1114.targets.splunk.backend import derived_expression


def _spec(field) -> dict:
    return {"sources": [[f, p] for f, p in field.sources], "normalise": field.normalise}


DESTINATION = _spec(FORWARDING_DESTINATION)
MAILBOX = _spec(FORWARDED_MAILBOX)


def _destination(**values) -> str | None:
    order = [f for f, _ in FORWARDING_DESTINATION.sources]
    return derive(DESTINATION, [values.get(f.split(".")[-1]) for f in order])


@pytest.mark.parametrize(
    "value",
    [
        "drop@exfil-mail.example",
        "smtp:drop@exfil-mail.example",
        "SMTP:Drop@Exfil-Mail.example",
        '"Drop Box" [SMTP:DROP@exfil-mail.example]',
        "  smtp:drop@exfil-mail.example ",
    ],
)
def test_every_rendering_of_one_address_gives_the_bare_address(value):
    assert _destination(ForwardTo=value) == "drop@exfil-mail.example"
    assert _destination(ForwardingSmtpAddress=value) == "drop@exfil-mail.example"


def test_an_outlook_rules_recipients_are_read_from_its_actions():
    actions = (
        '[{"ActionType":"Forward","Recipients":["Drop@Exfil-Mail.example"],"ForwardFlags":"None"}]'
    )
    assert _destination(RuleActions=actions) == "drop@exfil-mail.example"
    several = '[{"ActionType":"Forward","Recipients":["a@contoso.com","b@evil.example"]}]'
    assert _destination(RuleActions=several) == 'a@contoso.com","b@evil.example'


def test_the_first_source_an_event_has_wins_and_none_gives_none():
    assert (
        _destination(ForwardingSmtpAddress="a@x.example", ForwardTo="b@y.example") == "a@x.example"
    )
    assert _destination() is None


def test_a_rules_identity_names_its_mailbox():
    assert (
        derive(MAILBOX, [None, None, "omar.haddad\\Archive", "omar@contoso.com"]) == "omar.haddad"
    )
    assert derive(MAILBOX, [None, None, "Anna.Berg@contoso.com", None]) == "anna.berg@contoso.com"
    assert derive(MAILBOX, [None, None, None, "li.wei@contoso.com"]) == "li.wei@contoso.com"
    assert (
        derive(MAILBOX, ["ceo@contoso.com", None, None, "admin@contoso.com"]) == "ceo@contoso.com"
    )


_RULES = """
title: forwarding
id: 0b1f6c1e-0000-4000-8000-000000000001
name: forwarding
logsource: {product: m365, service: exchange}
detection:
  selection: {Operation: Set-Mailbox}
  condition: selection
---
title: fan-in
id: 0b1f6c1e-0000-4000-8000-000000000002
name: fan_in
correlation:
  type: value_count
  rules: [forwarding]
  group-by: [ForwardingDestination]
  timespan: 1h
  condition: {gte: 2, field: ForwardedMailbox}
"""


def _processed_correlation(pipeline):
    collection = SigmaCollection.from_yaml(_RULES)
    collection.resolve_rule_references()
    correlation = collection["fan_in"]
    pipeline.apply(correlation)
    return correlation


@pytest.mark.parametrize(
    ("pipeline", "forward_to", "user"),
    [
        (native_pipeline(), "Parameters.ForwardTo", "UserId"),
        (splunk_pipeline(macros=False), "ForwardTo", "UserId"),
        (elastic_pipeline(), "o365.audit.Parameters.ForwardTo", "user.id"),
    ],
    ids=["native", "splunk", "elastic"],
)
def test_each_pipeline_attaches_the_fields_under_its_names(pipeline, forward_to, user):
    specs = derived_fields(_processed_correlation(pipeline))
    assert sorted(specs) == ["ForwardedMailbox", "ForwardingDestination"]
    assert forward_to in source_fields(specs["ForwardingDestination"])
    assert source_fields(specs["ForwardedMailbox"])[-1] == user


def test_a_correlation_using_no_derived_field_carries_none():
    collection = SigmaCollection.from_yaml(
        _RULES.replace("[ForwardingDestination]", "[UserId]").replace(
            "ForwardedMailbox", "ObjectId"
        )
    )
    collection.resolve_rule_references()
    correlation = collection["fan_in"]
    native_pipeline().apply(correlation)
    assert derived_fields(correlation) == {}


def _record(identity: str, address: str) -> dict:
    return {
        "Workload": "Exchange",
        "Operation": "Set-Mailbox",
        "CreationTime": "2026-12-01T08:00:00",
        "Parameters.Identity": identity,
        "Parameters.ForwardingSmtpAddress": address,
    }


def test_the_engine_groups_by_the_derived_field():
    """Two mailboxes forwarding to one address written two ways: one group of two values."""
    collection = SigmaCollection.from_yaml(_RULES)
    rules = engine.compile_sql(collection, native_pipeline())
    events = [
        Event(0, _record("anna@contoso.com", "smtp:drop@evil.example")),
        Event(1, _record("li@contoso.com", '"Drop" [SMTP:Drop@Evil.example]')),
        Event(2, _record("omar@contoso.com", "other@evil.example")),
    ]
    hits = [h for h in engine.run(rules, events, ["CreationTime"]) if h.correlation]
    assert [(h.event_indices, list(h.group.values())) for h in hits] == [
        ((0, 1), ["drop@evil.example"])
    ]


def test_the_query_forms_name_every_source_and_pattern():
    spl = derived_expression(DESTINATION)
    esql = PackEsqlBackend().derived_expression(DESTINATION)
    for field in source_fields(DESTINATION):
        assert f"'{field}'" in spl
        assert field in esql
    # The patterns as each language's string literal, with its group reference.
    assert json.dumps(FORWARDING_DESTINATION.normalise) in esql and '"$1"' in esql
    assert '"\\1"' in spl
    assert copy.deepcopy(DESTINATION) == DESTINATION  # the forms do not alter the spec


def test_a_graph_request_names_its_mailbox_in_the_path():
    from sigma.pipelines.t1114.sources import GRAPH_MAILBOX

    spec = _spec(GRAPH_MAILBOX)
    base = "https://graph.microsoft.com/v1.0"
    assert derive(spec, [f"{base}/users/CEO@Contoso.com/messages?$top=5"]) == "ceo@contoso.com"
    assert derive(spec, [f"{base}/Users/ceo@contoso.com/mailFolders/inbox"]) == "ceo@contoso.com"
    assert derive(spec, [f"{base}/users/0f6b2e9d/messages/AAMk=/$value"]) == "0f6b2e9d"
