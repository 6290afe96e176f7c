"""The Splunk app: every rule as an Enterprise Security correlation search, ready to install.

``dist/splunk/<app>/`` holds the app and ``dist/splunk/<app>-<version>.tgz`` the same app as
a reproducible archive for Splunk's app installer and AppInspect. Searches ship disabled; each
reads its sources through the pipeline's macros (users redefine them to add their indexes)
and ends in an empty per-rule filter macro for local tuning. The app defines only objects of
its own (``T1114 - ...`` searches, ``t1114_...`` macros) and no ``[default]`` stanza, so it
changes no other app's saved searches.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sigma.pipelines.t1114.splunk import macros as source_macros
from t1114 import schema
from t1114.compiled import CompiledQuery
from t1114.errors import PackError
from t1114.loader import PackRule
from t1114.output import write_text
from t1114.package import Bundle, metadata
from t1114.package.archive import write_tgz
from t1114.targets.splunk.fields import sourcetypes

APP_ID = "DA-ESS-T1114-EmailCollection"
APP_LABEL = "T1114 Email Collection detections"
STANZA_PREFIX = "T1114 - "
ANALYTIC_STORY = "T1114 Email Collection"
# Alert tuning is a macro per rule: ``search *`` keeps every result until a user redefines it
# (an empty definition would leave a dangling pipe).
FILTER_DEFINITION = "search *"
# Searches run hourly over the hour that ended 10 minutes ago, leaving the add-ons' inputs
# time to index late events; correlations look back further by their time window.
SCHEDULE_MINUTES = 60
INGEST_LAG_MINUTES = 10
ENDPOINT_PLATFORMS = {"Windows", "Linux", "macOS"}
# Fields that name the entity a result is about, most specific first: the CIM name, then the
# add-ons' own. The risk framework scores users and systems.
USER_FIELDS = ("user", "UserId", "User", "src_user", "SubjectUserName", "TargetUserName")
SYSTEM_FIELDS = ("Computer", "dest", "dvc", "host")
CONF_COMMENT_CHARS = ";#*"


def stanza_name(rule: PackRule, variant: metadata.Variant | None = None) -> str:
    if any(c in rule.title for c in "[]\n"):
        raise PackError(
            rule.path,
            "a title used as a Splunk stanza name may not contain '[', ']' or a line break",
        )
    return f"{STANZA_PREFIX}{rule.title}{variant.suffix if variant else ''} - Rule"


def filter_macro(rule: PackRule) -> str:
    return f"t1114_{rule.name}_filter"


def search_text(rule: PackRule, variant: metadata.Variant) -> str:
    return variant.text + f" | `{filter_macro(rule)}`"


def risk_objects(bundle: Bundle, rule: PackRule, query: CompiledQuery) -> list[dict]:
    """The fields of the search's results that name a user or a system, as ES risk objects."""
    score = metadata.severity(rule).risk_score
    endpoint = metadata.platform(rule) in ENDPOINT_PLATFORMS
    if rule.is_correlation:
        # A correlation's results keep only its group-by fields.
        available = list(query.extra.get("group_by", []))
    else:
        available = sorted(schema.splunk_fields(sourcetypes(query)))
    user = next((f for f in USER_FIELDS if f in available), None)
    system = (
        next((f for f in SYSTEM_FIELDS if f in available), None) if endpoint or not user else None
    )
    objects = [(f, kind) for f, kind in ((user, "user"), (system, "system")) if f]
    if not objects and rule.is_correlation:
        objects = [(f, "other") for f in available]
    return [
        {"risk_object_field": f, "risk_object_type": kind, "risk_score": score}
        for f, kind in objects
    ]


def schedule_minute(rule: PackRule) -> int:
    """A fixed minute per rule, so the pack's searches do not all start at once."""
    return uuid.UUID(rule.id).int % 60 if _is_uuid(rule.id) else 0


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def savedsearch(
    bundle: Bundle, rule: PackRule, query: CompiledQuery, variant: metadata.Variant
) -> list[tuple[str, str]]:
    level = metadata.severity(rule)
    analytic = rule.analytic or ""
    security_domain = "endpoint" if metadata.platform(rule) in ENDPOINT_PLATFORMS else "threat"
    lookback = (
        SCHEDULE_MINUTES + INGEST_LAG_MINUTES + metadata.minutes(metadata.timespan_seconds(rule))
    )
    risk = risk_objects(bundle, rule, query)
    risk_fields = [r["risk_object_field"] for r in risk]
    building_block = metadata.is_building_block(bundle.pack, rule)
    annotations = {
        "analytic": [analytic] if analytic else [],
        "analytic_story": [ANALYTIC_STORY],
        "detection_strategy": [rule.detection_strategy] if rule.detection_strategy else [],
        "mitre_attack": metadata.technique_ids(rule),
        "mitre_attack_tactics": [t.name for t in metadata.tactics(rule)],
    }
    description = metadata.one_line(metadata.description(rule))
    keys = [
        ("description", description),
        ("search", search_text(rule, variant)),
        ("disabled", "1"),
        ("enableSched", "1"),
        ("cron_schedule", f"{schedule_minute(rule)} * * * *"),
        ("schedule_window", "auto"),
        ("dispatch.earliest_time", f"-{lookback}m@m"),
        ("dispatch.latest_time", f"-{INGEST_LAG_MINUTES}m@m"),
        ("counttype", "number of events"),
        ("relation", "greater than"),
        ("quantity", "0"),
        ("alert.track", "0"),
        ("alert.digest_mode", "1"),
        ("alert.severity", str(level.alert)),
        ("alert.suppress", "0"),
        ("action.correlationsearch.enabled", "1"),
        ("action.correlationsearch.label", stanza_name(rule, variant)),
        ("action.correlationsearch.annotations", _json(annotations)),
        (
            "action.correlationsearch.metadata",
            _json(
                {"deprecated": "0", "detection_id": variant.id_for(rule), "detection_version": "1"}
            ),
        ),
        # A rule that only feeds a correlation (Sigma ``generate: false``) raises risk, not notables.
        ("action.notable", "0" if building_block else "1"),
        ("action.notable.param.rule_title", rule.title + variant.suffix),
        ("action.notable.param.rule_description", description),
        ("action.notable.param.severity", level.notable),
        ("action.notable.param.security_domain", security_domain),
        ("action.notable.param.nes_fields", ",".join(risk_fields)),
        ("action.risk", "1" if risk else "0"),
    ]
    if risk:
        message = rule.title + " (" + ", ".join(f"{f}=${f}$" for f in risk_fields) + ")"
        keys += [
            ("action.risk.param._risk", _json(risk)),
            ("action.risk.param._risk_message", message),
            ("action.risk.param._risk_score", "0"),
            ("action.risk.param.verbose", "0"),
        ]
    return keys


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def conf_text(header: str, stanzas: list[tuple[str, list[tuple[str, str]]]]) -> str:
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    for name, keys in stanzas:
        lines += ["", f"[{name}]"]
        for key, value in keys:
            lines.append(f"{key} = {_conf_value(name, key, value)}")
    return "\n".join(lines) + "\n"


def _conf_value(stanza: str, key: str, value: str) -> str:
    """A value on one line.

    SPL reads a line break between commands as a space, and a value continued over lines
    is read differently by different .conf parsers, so multi-line values are joined.
    """
    text = " ".join(line.strip() for line in value.splitlines() if line.strip())
    if text and text[0] in CONF_COMMENT_CHARS:
        raise PackError(None, f"[{stanza}] {key}: a value may not start with {text[0]!r}")
    return text


def app_conf(bundle: Bundle) -> str:
    version = bundle.info.version
    stanzas = [
        ("install", [("is_configured", "false"), ("state", "enabled")]),
        (
            "launcher",
            [
                ("author", "T1114 pack maintainers"),
                ("description", _app_description()),
                ("version", version),
            ],
        ),
        ("package", [("id", APP_ID), ("check_for_updates", "false")]),
        ("ui", [("is_visible", "false"), ("label", APP_LABEL)]),
        ("id", [("name", APP_ID), ("version", version)]),
    ]
    return conf_text("Generated by t1114 build from pyproject.toml; do not edit.", stanzas)


def _app_description() -> str:
    return (
        "Enterprise Security correlation searches for MITRE ATT&CK T1114 Email Collection "
        "(detection strategy DET0476), compiled from the pack's Sigma rules."
    )


def savedsearches_conf(bundle: Bundle) -> str:
    stanzas = [
        (stanza_name(rule, v), savedsearch(bundle, rule, q, v))
        for rule, q in bundle.rules_for("splunk")
        for v in metadata.variants(q)
    ]
    header = (
        "Generated by t1114 build from the pack's Sigma rules; do not edit.\n"
        "Every search ships disabled: enable it in Enterprise Security's Content Management\n"
        "after pointing its source macros at your indexes (local/macros.conf)."
    )
    return conf_text(header, stanzas)


def macros_conf(bundle: Bundle) -> str:
    stanzas = []
    for name, definition in sorted(source_macros().items()):
        stanzas.append(
            (
                name,
                [
                    ("definition", definition),
                    (
                        "description",
                        "Events of one data source the T1114 searches read. Redefine it in "
                        "local/macros.conf to name your index: index=<yours> " + definition,
                    ),
                    ("iseval", "0"),
                ],
            )
        )
    for rule, _ in bundle.rules_for("splunk"):
        stanzas.append(
            (
                filter_macro(rule),
                [
                    ("definition", FILTER_DEFINITION),
                    (
                        "description",
                        f"Local tuning for '{rule.title}': redefine it in local/macros.conf to drop "
                        "known-good results, e.g. search NOT user=svc_backup.",
                    ),
                    ("iseval", "0"),
                ],
            )
        )
    return conf_text(
        "Generated by t1114 build; redefine macros in local/macros.conf, not here.", stanzas
    )


DEFAULT_META = """\
# The app's searches and macros are shared with every app, so Enterprise Security lists the
# correlation searches and users can redefine the macros; only admins may change them.
[]
access = read : [ * ], write : [ admin, sc_admin ]
export = system

[savedsearches]
access = read : [ * ], write : [ admin, sc_admin ]
export = system

[macros]
access = read : [ * ], write : [ admin, sc_admin ]
export = system
"""


def app_manifest(bundle: Bundle) -> str:
    """app.manifest (schema 2.0.0), which Splunk's packaging tools and AppInspect read."""
    manifest = {
        "schemaVersion": "2.0.0",
        "info": {
            "title": APP_LABEL,
            "id": {"group": None, "name": APP_ID, "version": bundle.info.version},
            "author": [{"name": "T1114 pack maintainers", "email": None, "company": None}],
            "releaseDate": None,
            "description": _app_description(),
            "classification": {
                "intendedAudience": "Security",
                "categories": ["Security, Fraud & Compliance"],
                "developmentStatus": "Production/Stable",
            },
            "commonInformationModels": None,
            "license": {"name": bundle.info.license, "text": None, "uri": None},
            "privacyPolicy": {"name": None, "text": None, "uri": None},
            "releaseNotes": {"name": None, "text": None, "uri": None},
        },
        "dependencies": None,
        "tasks": None,
        "inputGroups": None,
        "incompatibleApps": None,
        "platformRequirements": None,
        "supportedDeployments": ["_standalone", "_distributed", "_search_head_clustering"],
        "targetWorkloads": ["_search_heads"],
    }
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n"


def readme(bundle: Bundle) -> str:
    rows = []
    for rule, q in bundle.rules_for("splunk"):
        rows.append(
            f"| {' / '.join(stanza_name(rule, v) for v in metadata.variants(q))} | {rule.analytic or ''} | {', '.join(metadata.technique_ids(rule))} | "
            f"{rule.level} | {', '.join(f'`{m}`' for m in q.extra.get('macros', []))} | `{filter_macro(rule)}` |"
        )
    macros = "\n".join(
        f"- `{name}`: `{definition}`" for name, definition in sorted(source_macros().items())
    )
    return (
        f"""# {APP_LABEL} ({APP_ID} {bundle.info.version})

Splunk Enterprise Security correlation searches for MITRE ATT&CK T1114 Email Collection
(detection strategy DET0476), generated by `t1114 build` from the pack's Sigma rules. Do not
edit the files in `default/`: put changes in `local/`.

## Install

1. Install the add-ons whose data the searches read (Splunk Add-on for Microsoft Office 365,
   Splunk Add-on for Sysmon, Splunk Add-on for Microsoft Windows, ...).
2. Install this app on the search head that runs Enterprise Security (Apps > Manage Apps >
   Install app from file, with the `.tgz`).
3. Point the source macros at your indexes in `local/macros.conf`, for example

   ```
   [t1114_o365_management_activity]
   definition = index=o365 sourcetype="o365:management:activity"
   ```

4. Enable the searches you want in Enterprise Security's Content Management. They ship
   disabled.

## Tuning

Every search ends in its own filter macro, defined as `{FILTER_DEFINITION}`. Redefine it in
`local/macros.conf` to drop known-good activity without editing the search.

## Source macros

{macros}

## Searches

Each search raises a notable event (severity from the Sigma level) and risk on the user or
system it names; its annotations carry the ATT&CK technique, the analytic (AN1309-AN1312) and
the detection strategy DET0476.

| search | analytic | ATT&CK | level | source macros | filter macro |
|---|---|---|---|---|---|
"""
        + "\n".join(rows)
        + "\n"
    )


def write_app(bundle: Bundle, out: Path) -> Path:
    """Write ``out/<app>/`` and ``out/<app>-<version>.tgz``; returns the archive's path."""
    app = out / APP_ID
    write_text(app / "default" / "app.conf", app_conf(bundle))
    write_text(app / "default" / "savedsearches.conf", savedsearches_conf(bundle))
    write_text(app / "default" / "macros.conf", macros_conf(bundle))
    write_text(app / "metadata" / "default.meta", DEFAULT_META)
    write_text(app / "app.manifest", app_manifest(bundle))
    write_text(app / "README.md", readme(bundle))
    archive = out / f"{APP_ID}-{bundle.info.version}.tgz"
    write_tgz(app, archive)
    return archive
