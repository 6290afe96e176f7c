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
    if field in fields:
        return True
    # Sub-keys of object/flattened fields exist without being declared one by one.
    parts = field.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        if fields.get(prefix) in ("object", "flattened") or f"{prefix}.*" in fields:
            return True
    return False


def splunk_fields(sourcetypes: Iterable[str]) -> set[str]:
    known = _load("splunk.json").get("sourcetypes", {})
    fields = set(SPLUNK_DEFAULT_FIELDS)
    for st in sourcetypes:
        fields.update(known.get(st, {}).get("fields", []))
    return fields


def field_type(datasets: Iterable[str], field: str) -> str | None:
    return elastic_fields(datasets).get(field)


def elastic_field_type(types: dict, name: str) -> str | None:
    """An Elastic field's mapping type in one data stream's schema: exact name, then a dynamic
    template pattern (``o365.audit.Parameters.*``), then a parent declared ``object`` or
    ``flattened`` (their leaves are keywords)."""
    if name in types:
        return types[name]
    for pattern, kind in types.items():
        if "*" in pattern and fnmatch.fnmatchcase(name, pattern):
            return kind if kind not in ("object", "flattened") else "keyword"
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        if types.get(".".join(parts[:i])) in ("object", "flattened"):
            return "keyword"
    return None


def elastic_datasets(index_patterns: Iterable[str]) -> list[str]:
    """The data streams (datasets) of ``logs-<dataset>-*`` index patterns."""
    return [p[len("logs-") : -len("-*")] for p in index_patterns]


def analysed_fields(datasets: Iterable[str], fields: Iterable[str]) -> set[str]:
    """The fields mapped as analysed text in any of the data streams."""
    known = _load("elastic.json").get("datasets", {})
    schemas = [known.get(ds, {}).get("fields", {}) for ds in datasets]
    return {f for f in fields if any(elastic_field_type(types, f) in ANALYSED_TYPES for types in schemas)}


def unknown_fields(target: str, compiled: CompiledQuery) -> list[str]:
    """Messages for fields of a compiled query that the target's schema lacks."""
    if target == "elastic":
        datasets = elastic_datasets(compiled.extra.get("index", []))
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
        from sigma.pipelines.t1114.splunk import SPLUNK_SOURCES

        sourcetypes = [
            v for s in SPLUNK_SOURCES.values() if s.macro in compiled.extra.get("macros", []) for v in s.selector_values
        ]
        if not _load("splunk.json"):
            return ["no Splunk schema (data/schemas/splunk.json)"]
        fields = splunk_fields(sourcetypes)
        return [
            f"field '{f}' is not extracted for sourcetypes {', '.join(sourcetypes)}"
            for f in compiled.fields
            if f not in fields
        ]
    return []
