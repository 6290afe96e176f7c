"""Kibana detection rules: ``dist/elastic/rules.ndjson``, one rule per line, for
``POST /api/detection_engine/rules/_import`` (or Kibana's Import rules page).

The rule type and language follow the compiled query (EQL for event and temporal rules, ES|QL
for rules on text fields and counting correlations); index patterns, integrations and field types come from the
target's pipeline and the shipped Elastic schema. Each line validates against Kibana's own
rule schema (data/schemas/kibana_rule.schema.json).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from t1114 import schema
from t1114.attack import Technique, load_attack
from t1114.compiled import CompiledQuery
from t1114.errors import PackError
from t1114.loader import PackRule
from t1114.output import write_text
from t1114.package import Bundle, metadata

RULES_FILE = "rules.ndjson"
# Compiled language -> (Kibana rule type, Kibana language).
RULE_TYPES = {
    "eql": ("eql", "eql"),
    "esql": ("esql", "esql"),
    "lucene": ("query", "lucene"),
    "kuery": ("query", "kuery"),
}
INTERVAL_MINUTES = 5
# Each run looks back a little more than its interval, as Elastic's own rules do, so events
# indexed late are still seen; correlations look back by their time window too.
EXTRA_LOOKBACK_MINUTES = 4
ENDPOINT_PLATFORMS = {"Windows", "Linux", "macOS"}


def rule_type(rule: PackRule, query: CompiledQuery) -> tuple[str, str]:
    try:
        return RULE_TYPES[query.language]
    except KeyError:
        raise PackError(
            rule.path, f"no Kibana rule type for compiled language {query.language!r}"
        ) from None


def threat(rule: PackRule) -> list[dict]:
    """Kibana's ``threat``: per tactic, the techniques with their sub-techniques."""
    attack = load_attack()
    rule_tactics = metadata.tactics(rule)
    by_tactic: dict[str, dict[str, dict]] = {}
    tactic_objects = {}
    for technique in metadata.techniques(rule):
        tactics = [t for t in rule_tactics if t.shortname in technique.tactics] or [
            attack.tactics[s] for s in technique.tactics if s in attack.tactics
        ]
        for tactic in tactics:
            tactic_objects[tactic.id] = tactic
            entries = by_tactic.setdefault(tactic.id, {})
            parent = attack.techniques.get(technique.parent) if technique.parent else technique
            if parent is None:
                raise PackError(
                    rule.path, f"ATT&CK data lacks {technique.parent}, parent of {technique.id}"
                )
            entry = entries.setdefault(parent.id, _attack_ref(parent))
            if technique.parent:
                subs = entry.setdefault("subtechnique", [])
                if all(s["id"] != technique.id for s in subs):
                    subs.append(_attack_ref(technique))
                    subs.sort(key=lambda s: s["id"])
    return [
        {
            "framework": "MITRE ATT&CK",
            "tactic": {"id": t.id, "name": t.name, "reference": attack_reference(t.id)},
            "technique": [by_tactic[tid][k] for k in sorted(by_tactic[tid])],
        }
        for tid, t in sorted(tactic_objects.items())
    ]


def _attack_ref(technique: Technique) -> dict:
    return {"id": technique.id, "name": technique.name, "reference": attack_reference(technique.id)}


ATTACK_SITE = "https://attack.mitre.org"


def attack_reference(attack_id: str) -> str:
    """An ATT&CK page in the form Elastic's prebuilt rules use: the sub-technique as a path
    segment and a trailing slash (``.../techniques/T1114/002/``, ``.../tactics/TA0009/``).
    Derived from the ID, since the STIX bundle's own addresses have no trailing slash."""
    if attack_id.startswith("TA"):
        return f"{ATTACK_SITE}/tactics/{attack_id}/"
    return f"{ATTACK_SITE}/techniques/{attack_id.replace('.', '/')}/"


def required_fields(rule: PackRule, query: CompiledQuery) -> list[dict]:
    datasets = schema.elastic_datasets(query)
    fields = schema.elastic_fields(datasets)
    required = []
    for name in query.fields:
        ftype = schema.elastic_field_type(name, fields)
        if ftype is None:
            raise PackError(
                rule.path,
                f"field '{name}' has no type in the Elastic schema of {', '.join(datasets)}",
            )
        required.append({"name": name, "type": ftype})
    return required


def related_integrations(rule: PackRule, query: CompiledQuery) -> list[dict]:
    versions = schema.elastic_packages()
    related = []
    for package in query.extra.get("integrations", []):
        version = versions.get(package)
        if version is None:
            raise PackError(
                rule.path, f"no version of integration package '{package}' in the Elastic schema"
            )
        m = re.match(r"(\d+)\.(\d+)", version)
        related.append(
            {"package": package, "version": f"^{m.group(1)}.{m.group(2)}.0" if m else version}
        )
    return related


def tags(rule: PackRule, query: CompiledQuery) -> list[str]:
    domain = "Endpoint" if metadata.platform(rule) in ENDPOINT_PLATFORMS else "Cloud"
    found = [f"Domain: {domain}", "Use Case: Threat Detection"]
    found += [f"Tactic: {t.name}" for t in metadata.tactics(rule)]
    found += [f"Data Source: {p}" for p in query.extra.get("integrations", [])]
    found += [i for i in (rule.analytic, rule.detection_strategy) if i]
    found += metadata.technique_ids(rule)
    return found


def note(bundle: Bundle, rule: PackRule, query: CompiledQuery) -> str:
    """The triage guide shown with every alert."""
    analytic = metadata.analytic(rule)
    lines = [
        "## Triage and analysis",
        "",
        "### What fired",
        "",
        metadata.one_line(metadata.description(rule)),
        "",
    ]
    if rule.is_correlation:
        parts = ", ".join(f"'{dep.title}'" for dep in metadata.correlated(bundle.pack, rule))
        by = ", ".join(f"`{f}`" for f in query.extra.get("group_by", [])) or "nothing"
        window = metadata.minutes(metadata.timespan_seconds(rule))
        lines += [f"The rule correlates {parts}, grouped by {by}, within {window} minutes.", ""]
    if rule.analytic:
        lines += [
            f"### Analytic {rule.analytic} ({rule.detection_strategy}, {analytic.get('platform', 'unknown platform')})",
            "",
            metadata.one_line(analytic.get("description", "")),
            "",
        ]
    interesting = [f for f in query.fields if not f.startswith("data_stream.")]
    lines += ["### Investigate", ""]
    lines += [
        f"- Check the values of {', '.join(f'`{f}`' for f in interesting)} in the alert's source events."
    ]
    lines += [
        "- Establish who made the change or access and from where (source address, client, session), "
        "and whether the account shows other collection or exfiltration activity around the same time.",
        "- Confirm with the mailbox or host owner whether the activity was expected.",
        "",
        "### False positives",
        "",
    ]
    lines += [f"- {fp}" for fp in metadata.listed(rule, "falsepositives")] or ["- None known."]
    lines += ["", f"Generated from Sigma rule `{rule.name}` ({rule.id})."]
    return "\n".join(lines)


def lookback_minutes(rule: PackRule) -> int:
    return (
        INTERVAL_MINUTES
        + EXTRA_LOOKBACK_MINUTES
        + metadata.minutes(metadata.timespan_seconds(rule))
    )


def kibana_rules(bundle: Bundle, rule: PackRule, query: CompiledQuery) -> list[dict]:
    """The Kibana rules of one compiled rule: one per query it compiled to."""
    return [kibana_rule(bundle, rule, query, v) for v in metadata.variants(query)]


def kibana_rule(
    bundle: Bundle, rule: PackRule, query: CompiledQuery, variant: metadata.Variant | None = None
) -> dict:
    variant = variant or metadata.variants(query)[0]
    level = metadata.severity(rule)
    kind, language = rule_type(rule, query)
    integrations = query.extra.get("integrations", [])
    description = metadata.one_line(metadata.description(rule))
    if variant.count > 1:
        description += (
            f" Query {variant.index} of the {variant.count} that together implement this rule "
            "(one per order of the correlated rules)."
        )
    doc = {
        "rule_id": variant.id_for(rule),
        "version": 1,
        "name": rule.title + variant.suffix,
        "description": description,
        "risk_score": level.risk_score,
        "severity": level.elastic,
        "type": kind,
        "language": language,
        "query": variant.text,
        "from": f"now-{lookback_minutes(rule)}m",
        "interval": f"{INTERVAL_MINUTES}m",
        "enabled": False,
        "max_signals": 100,
        "threat": threat(rule),
        "tags": tags(rule, query),
        "references": metadata.listed(rule, "references"),
        "false_positives": metadata.listed(rule, "falsepositives"),
        "author": metadata.authors(rule),
        "license": bundle.info.license,
        "required_fields": required_fields(rule, query),
        "related_integrations": related_integrations(rule, query),
        "setup": f"Requires the Elastic {', '.join(integrations)} integration(s) writing to "
        f"{', '.join(query.extra.get('index', []))}.",
        "note": note(bundle, rule, query),
    }
    if kind != "esql":  # an ES|QL query names its indices itself; Kibana refuses ``index`` there
        doc["index"] = list(query.extra.get("index", []))
    if metadata.is_building_block(bundle.pack, rule):
        doc["building_block_type"] = "default"
    return doc


def ndjson(bundle: Bundle) -> str:
    lines = [
        json.dumps(doc, sort_keys=True, ensure_ascii=False)
        for rule, q in bundle.rules_for("elastic")
        for doc in kibana_rules(bundle, rule, q)
    ]
    return "".join(line + "\n" for line in lines)


def write_rules(bundle: Bundle, out: Path) -> Path:
    path = out / RULES_FILE
    write_text(path, ndjson(bundle))
    return path
