"""Compiled queries per target for every rule of the pack."""

import pytest

from t1114 import schema
from t1114.targets import all_targets, build_targets


def compiled(pack, target_name):
    target = all_targets()[target_name]
    return {r.name: target.compile_rule(pack.collection([r]), r.id) for r in pack.rules}


def test_targets_are_discovered():
    assert set(all_targets()) == {"native", "splunk", "elastic"}
    assert set(build_targets()) == {"splunk", "elastic"}


@pytest.mark.parametrize("target", ["splunk", "elastic"])
def test_every_rule_compiles(pack, target):
    for name, query in compiled(pack, target).items():
        assert query is not None and query.text.strip(), name


def test_splunk_searches_start_with_the_source_macro(pack):
    for name, q in compiled(pack, "splunk").items():
        assert q.extra["macros"], name
        assert any(f"`{m}`" in q.text for m in q.extra["macros"]), name


def test_elastic_rules_are_pinned_to_data_streams(pack):
    for name, q in compiled(pack, "elastic").items():
        assert q.extra["index"] and all(i.startswith("logs-") for i in q.extra["index"]), name
        assert "data_stream.dataset" in q.text, name


@pytest.mark.parametrize("target", ["splunk", "elastic"])
def test_every_compiled_field_is_in_the_target_schema(pack, target):
    for name, q in compiled(pack, target).items():
        assert schema.unknown_fields(target, q) == [], name


def test_an_unknown_field_is_reported(pack):
    from dataclasses import replace

    q = compiled(pack, "elastic")["m365_inbox_rule_forwarding"]
    bad = replace(q, fields=q.fields + ("o365.audit.NoSuchFieldAnywhere",))
    assert schema.unknown_fields("elastic", bad) == [
        "field 'o365.audit.NoSuchFieldAnywhere' is not in the schema of o365.audit"
    ]
