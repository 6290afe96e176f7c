"""Kibana rules: every NDJSON line is a rule Kibana's own schema accepts, built from the
compiled query and the rule's metadata."""

import json
import re
import uuid
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from t1114 import schema
from t1114.attack import load_attack
from t1114.errors import PackError
from t1114.loader import load_pack
from t1114.package import Bundle, ProjectInfo, metadata
from t1114.targets.elastic import package as elastic

ROOT = Path(__file__).resolve().parents[1]
KIBANA_SCHEMA = json.loads((ROOT / "tools/t1114/data/schemas/kibana_rule.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(KIBANA_SCHEMA)
# Kibana's severity bands for risk_score (RiskScore in its schema).
BANDS = {
    "low": range(0, 22),
    "medium": range(22, 48),
    "high": range(48, 74),
    "critical": range(74, 101),
}


def rules(dist) -> list[dict]:
    lines = (dist / "elastic" / "rules.ndjson").read_text().splitlines()
    return [json.loads(line) for line in lines]


def _collect(node: dict) -> tuple[set[str], set[str]]:
    """Properties reachable through $ref/allOf from a schema node, and the rule types it allows."""
    defs = KIBANA_SCHEMA["$defs"]
    properties, types, stack, seen = set(), set(), [node], set()
    while stack:
        node = stack.pop()
        ref = node.get("$ref", "")
        if ref:
            if ref in seen:
                continue
            seen.add(ref)
            node = defs[ref.split("/")[-1]]
        properties |= set(node.get("properties", {}))
        types |= set(node.get("properties", {}).get("type", {}).get("enum", []))
        stack += node.get("allOf", [])
    return properties, types


def kibana_properties(rule_type: str) -> set[str]:
    """Every property Kibana's schema knows for rules of one type, import fields included."""
    defs = KIBANA_SCHEMA["$defs"]
    for branch in defs["RuleCreateProps"]["anyOf"]:
        properties, types = _collect(branch)
        if rule_type in types:
            return properties | set(defs["ImportRuleFields"]["properties"])
    raise AssertionError(f"Kibana has no rule type {rule_type}")


def test_every_line_is_a_kibana_rule(dist):
    found = rules(dist)
    assert found
    for rule in found:
        errors = sorted(VALIDATOR.iter_errors(rule), key=lambda e: list(e.path))
        assert not errors, (rule["name"], [e.message for e in errors][:5])
        unknown = set(rule) - kibana_properties(rule["type"])
        assert not unknown, (rule["name"], unknown)


def test_a_broken_rule_fails_the_schema(dist):
    rule = rules(dist)[0]
    for broken in (
        {**rule, "severity": "severe"},
        {**rule, "risk_score": 101},
        {k: v for k, v in rule.items() if k != "rule_id"},
    ):
        assert list(VALIDATOR.iter_errors(broken))


def shipped(pack, dist, compiled):
    """(rule, compiled query, query number, Kibana rule) for every line, in the pack's order."""
    expected = [
        (rule, q, i)
        for rule in pack.rules
        if (q := compiled.get(rule.name, {}).get("elastic")) is not None
        for i in range(len(q.queries) or 1)
    ]
    found = rules(dist)
    assert len(found) == len(expected)
    return [(rule, q, i, doc) for (rule, q, i), doc in zip(expected, found, strict=True)]


def test_rule_ids_are_stable_from_the_sigma_ids_and_unique(pack, dist, compiled):
    lines = shipped(pack, dist, compiled)
    ids = [doc["rule_id"] for *_, doc in lines]
    assert len(set(ids)) == len(ids)
    for rule, _q, i, doc in lines:
        # A rule's first (usually only) query keeps the Sigma id; further ones derive from it.
        if i == 0:
            assert doc["rule_id"] == rule.id
        else:
            assert doc["rule_id"] == str(uuid.uuid5(uuid.UUID(rule.id), f"query-{i + 1}"))
        assert doc["version"] == 1


def test_a_correlation_compiled_to_several_queries_ships_each_as_a_rule(pack, dist, compiled):
    several = [
        (rule, q, i, doc) for rule, q, i, doc in shipped(pack, dist, compiled) if len(q.queries) > 1
    ]
    if not several:
        pytest.skip("no rule of the pack compiles to several Elastic queries")
    for rule, q, i, doc in several:
        assert doc["query"] == q.queries[i]
        assert doc["name"] == f"{rule.title} ({i + 1} of {len(q.queries)})"


def test_metadata_comes_from_the_sigma_rule(pack, dist, compiled):
    for rule, q, i, doc in shipped(pack, dist, compiled):
        assert doc["name"].startswith(rule.title)
        assert doc["severity"] == metadata.LEVELS[rule.level].elastic
        assert doc["risk_score"] in BANDS[doc["severity"]]
        assert (doc["type"], doc["language"]) == (q.language, q.language)
        assert doc["query"] == (q.queries[i] if q.queries else q.text.strip())
        if q.language == "esql":
            # Kibana refuses `index` on ES|QL rules: the query's FROM names the indices.
            assert "index" not in doc
        else:
            assert doc["index"] == q.extra["index"]
        assert doc["false_positives"] == rule.doc["falsepositives"]
        assert doc["references"] == rule.doc["references"]
        assert doc["author"] == ["T1114 pack maintainers"]
        assert doc["license"] == "DRL-1.1"
        assert doc["enabled"] is False
        assert rule.analytic in doc["tags"] and "DET0476" in doc["tags"]
        assert re.fullmatch(r"\d+m", doc["interval"]) and re.fullmatch(r"now-\d+m", doc["from"])
        assert "## Triage and analysis" in doc["note"] and rule.analytic in doc["note"]


def test_correlations_look_back_over_their_window(pack, dist, compiled):
    for rule, _, _, doc in shipped(pack, dist, compiled):
        lookback = int(doc["from"][len("now-") : -1])
        interval = int(doc["interval"][:-1])
        assert lookback >= interval + metadata.timespan_seconds(rule) // 60


def test_attack_references_take_elastic_s_form(dist):
    references = re.findall(
        r'"reference": "([^"]+)"', (dist / "elastic" / "rules.ndjson").read_text()
    )
    assert references and all(
        re.fullmatch(r"https://attack\.mitre\.org/(tactics/TA\d{4}|techniques/T\d{4}(/\d{3})?)/", r)
        for r in references
    )
    assert "https://attack.mitre.org/techniques/T1114/002/" in references
    assert "https://attack.mitre.org/tactics/TA0009/" in references
    assert elastic.attack_reference("T1114.002") == "https://attack.mitre.org/techniques/T1114/002/"


def test_threat_names_the_tagged_techniques(pack, dist, compiled):
    attack = load_attack()
    for rule, _, _, doc in shipped(pack, dist, compiled):
        tagged = {
            t.split(".", 1)[1].upper()
            for t in rule.tags
            if re.fullmatch(r"attack\.t\d{4}(\.\d{3})?", t)
        }
        mapped = set()
        for threat in doc["threat"]:
            assert threat["framework"] == "MITRE ATT&CK"
            tactic = next(t for t in attack.tactics.values() if t.id == threat["tactic"]["id"])
            # Elastic's form: ATT&CK's own address with a trailing slash.
            assert threat["tactic"] == {
                "id": tactic.id,
                "name": tactic.name,
                "reference": tactic.url + "/",
            }
            for technique in threat["technique"]:
                assert technique["name"] == attack.techniques[technique["id"]].name
                assert technique["reference"] == attack.techniques[technique["id"]].url + "/"
                subs = technique.get("subtechnique", [])
                for sub in subs:
                    assert sub["id"].startswith(technique["id"] + ".")
                    known = attack.techniques[sub["id"]]
                    assert (sub["name"], sub["reference"]) == (known.name, known.url + "/")
                mapped |= {s["id"] for s in subs} or {technique["id"]}
        assert mapped == tagged
        assert "TA0009" in {t["tactic"]["id"] for t in doc["threat"]}


def test_required_fields_and_integrations_come_from_the_schema(pack, dist, compiled):
    packages = schema.elastic_packages()
    for _, q, _, doc in shipped(pack, dist, compiled):
        assert [f["name"] for f in doc["required_fields"]] == list(q.fields)
        datasets = schema.elastic_datasets(q)
        for f in doc["required_fields"]:
            assert f["type"] == schema.field_type(datasets, f["name"])
        assert [i["package"] for i in doc["related_integrations"]] == q.extra["integrations"]
        for i in doc["related_integrations"]:
            major, minor = packages[i["package"]].split(".")[:2]
            assert i["version"] == f"^{major}.{minor}.0"


def bundle_for(pack, compiled_queries):
    return Bundle(pack, tuple(compiled_queries), ProjectInfo("0.1.0", "DRL-1.1"))


def test_an_esql_rule_has_no_index_and_passes_the_schema(pack, compiled):
    rule = pack.find("m365_forwarding_rule_and_mailbox_sync")
    q = replace(
        compiled[rule.name]["elastic"],
        language="esql",
        extension="esql",
        text="FROM logs-o365.audit-* | LIMIT 1\n",
    )
    doc = elastic.kibana_rule(bundle_for(pack, [q]), rule, q)
    assert (doc["type"], doc["language"]) == ("esql", "esql") and "index" not in doc
    assert not list(VALIDATOR.iter_errors(doc))
    assert set(doc) <= kibana_properties("esql")


def test_an_unknown_language_is_an_error_naming_the_rule(pack, compiled):
    rule = pack.find("m365_mailbox_sync_access")
    q = replace(compiled[rule.name]["elastic"], language="painless")
    with pytest.raises(PackError, match=r"m365_mailbox_sync_access.yml: no Kibana rule type"):
        elastic.kibana_rule(bundle_for(pack, [q]), rule, q)


def test_a_field_missing_from_the_schema_is_an_error(pack, compiled):
    rule = pack.find("m365_mailbox_sync_access")
    q = compiled[rule.name]["elastic"]
    q = replace(q, fields=q.fields + ("no.such.field",))
    with pytest.raises(PackError, match=r"field 'no.such.field' has no type"):
        elastic.kibana_rule(bundle_for(pack, [q]), rule, q)


def test_rules_under_a_non_generating_correlation_are_building_blocks(pack_copy):
    from t1114.build import compile_queries
    from t1114.project import Project
    from t1114.targets import build_targets
    from t1114.targets.splunk import package as splunk

    path = pack_copy / "sigma" / "m365" / "m365_forwarding_rule_and_mailbox_sync.yml"
    path.write_text(path.read_text().replace("generate: true", "generate: false"))
    copy = load_pack(Project(pack_copy))
    bundle = bundle_for(copy, compile_queries(copy, build_targets().values()))
    docs = {
        json.loads(line)["name"]: json.loads(line) for line in elastic.ndjson(bundle).splitlines()
    }
    searches = splunk.savedsearches_conf(bundle)
    for name in (
        "m365_inbox_rule_forwarding",
        "m365_mailbox_sync_access",
        "m365_forwarding_rule_and_mailbox_sync",
    ):
        rule = copy.find(name)
        block = name != "m365_forwarding_rule_and_mailbox_sync"
        mine = [d for title, d in docs.items() if title.startswith(rule.title)]
        assert mine and all((d.get("building_block_type") == "default") is block for d in mine)
        stanza = searches.split(f"[{splunk.stanza_name(rule)}]")[1].split("\n[")[0]
        assert f"action.notable = {0 if block else 1}\n" in stanza
