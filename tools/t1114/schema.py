"""Field schemas of the target platforms, generated into data/schemas/ (see tools/gen_schemas.py
for Elastic; splunk.json is curated from the add-ons' documentation).

A compiled query may only use fields its platform's data actually has: a misspelt or
unmapped field would make the query silently match nothing.
"""

from __future__ import annotations

import fnmatch
import json
from functools import lru_cache
from importlib import resources
from typing import Iterable

from t1114.targets.base import CompiledQuery

_DATA = resources.files("t1114") / "data" / "schemas"
# Elasticsearch analyses these string types into terms: there is no exact, wildcard or regex
# match on the value (EQL needs keyword-family fields), but ES|QL reads the value itself.
ANALYSED_TYPES = frozenset({"text", "match_only_text"})
# Fields Splunk gives every event, whatever its sourcetype.
SPLUNK_DEFAULT_FIELDS = frozenset({"_time", "_raw", "host", "index", "source", "sourcetype", "eventtype", "tag"})


@lru_cache(maxsize=None)
def _load(name: str) -> dict:
    resource = _DATA / name
    if not resource.is_file():
        return {}
    return json.loads(resource.read_text(encoding="utf-8"))


def elastic_fields(datasets: Iterable[str]) -> dict[str, str]:
    known = _load("elastic.json").get("datasets", {})
    fields: dict[str, str] = {}
    for ds in datasets:
        fields.update(known.get(ds, {}).get("fields", {}))
    return fields


def _elastic_has(field: str, fields: dict[str, str]) -> bool:
    return elastic_field_type(field, fields) is not None


def elastic_field_type(field: str, fields: dict[str, str]) -> str | None:
    """A field's mapping type in a data stream's schema; None when the stream lacks it."""
    if field in fields:
        return fields[field]
    # A dynamic template (``o365.audit.Parameters.*``) gives its matches its type; sub-keys of
    # object/flattened fields exist without being declared one by one, and their values are
    # indexed as keywords (dynamic string mapping, flattened leaves).
    for pattern, kind in fields.items():
        if "*" in pattern and fnmatch.fnmatchcase(field, pattern):
            return kind if kind not in ("object", "flattened") else "keyword"
    parts = field.split(".")
    for i in range(len(parts) - 1, 0, -1):
        if fields.get(".".join(parts[:i])) in ("object", "flattened"):
            return "keyword"
    return None


def index_datasets(index_patterns: Iterable[str]) -> list[str]:
    """The data streams (datasets) of ``logs-<dataset>-*`` index patterns."""
    return [p[len("logs-") : -len("-*")] for p in index_patterns]


def elastic_datasets(compiled: CompiledQuery) -> list[str]:
    """The data streams a compiled Elastic query reads, from its index patterns."""
    return index_datasets(compiled.extra.get("index", []))


def analysed_fields(datasets: Iterable[str], fields: Iterable[str]) -> set[str]:
    """The fields mapped as analysed text (``ANALYSED_TYPES``) in any of the data streams."""
    schemas = [elastic_fields([ds]) for ds in datasets]
    return {f for f in fields if any(elastic_field_type(f, types) in ANALYSED_TYPES for types in schemas)}


def elastic_packages() -> dict[str, str]:
    """Integration package -> the version its field definitions were generated from."""
    return dict(_load("elastic.json").get("packages", {}))


def splunk_fields(sourcetypes: Iterable[str]) -> set[str]:
    known = _load("splunk.json").get("sourcetypes", {})
    fields = set(SPLUNK_DEFAULT_FIELDS)
    for st in sourcetypes:
        fields.update(known.get(st, {}).get("fields", []))
    return fields


def field_type(datasets: Iterable[str], field: str) -> str | None:
    return elastic_field_type(field, elastic_fields(datasets))


def splunk_sourcetypes(compiled: CompiledQuery) -> list[str]:
    """The sourcetypes (or sources) behind the macros a compiled Splunk search reads."""
    from sigma.pipelines.t1114.splunk import SPLUNK_SOURCES

    macros = compiled.extra.get("macros", [])
    return [v for s in SPLUNK_SOURCES.values() if s.macro in macros for v in s.selector_values]


def unknown_fields(target: str, compiled: CompiledQuery) -> list[str]:
    """Messages for fields of a compiled query that the target's schema lacks."""
    if target == "elastic":
        datasets = elastic_datasets(compiled)
        fields = elastic_fields(datasets)
        if not fields:
            return [f"no Elastic schema for data streams {datasets}"]
        return [
            f"field '{f}' is not in the schema of {', '.join(datasets)}"
            for f in compiled.fields
            if not _elastic_has(f, fields)
        ]
    if target == "splunk_cim":
        datamodel = compiled.extra.get("datamodel", "")
        entry = _load("splunk.json").get("datamodels", {}).get(datamodel)
        if not entry:
            return [f"no Splunk CIM schema for data model {datamodel!r}"]
        known = {f"{entry['prefix']}.{f}" for f in entry["fields"]}
        return [f"field '{f}' is not in the CIM data model {datamodel}" for f in compiled.fields if f not in known]
    if target == "splunk":
        sourcetypes = splunk_sourcetypes(compiled)
        if not _load("splunk.json"):
            return ["no Splunk schema (data/schemas/splunk.json)"]
        fields = splunk_fields(sourcetypes)
        return [
            f"field '{f}' is not extracted for sourcetypes {', '.join(sourcetypes)}"
            for f in compiled.fields
            if f not in fields
        ]
    return []
