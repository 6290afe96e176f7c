"""Field schemas of the platforms' data, generated into data/schemas/ (see tools/gen_schemas.py
for Elastic; splunk.json is curated from the add-ons' documentation).

Lookups only: each target says which of them its queries must satisfy
(``Target.unknown_fields``), since a misspelt or unmapped field would make a query silently
match nothing.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import resources

from t1114.compiled import CompiledQuery

_DATA = resources.files("t1114") / "data" / "schemas"
# Elasticsearch analyses these string types into terms: there is no exact, wildcard or regex
# match on the value (EQL needs keyword-family fields), but ES|QL reads the value itself.
ANALYSED_TYPES = frozenset({"text", "match_only_text"})
# Fields Splunk gives every event, whatever its sourcetype.
SPLUNK_DEFAULT_FIELDS = frozenset(
    {"_time", "_raw", "host", "index", "source", "sourcetype", "eventtype", "tag"}
)


@cache
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


def elastic_has(field: str, fields: dict[str, str]) -> bool:
    """Whether a data stream's schema (``elastic_fields``) has the field."""
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
    return {
        f
        for f in fields
        if any(elastic_field_type(f, types) in ANALYSED_TYPES for types in schemas)
    }


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


def has_splunk_schema() -> bool:
    return bool(_load("splunk.json"))


def splunk_datamodel(name: str) -> dict | None:
    """A CIM data model's entry (``prefix``, ``fields``) in the Splunk schema."""
    return _load("splunk.json").get("datamodels", {}).get(name)


@lru_cache(maxsize=1)
def elastic_dataset_fields() -> dict[str, dict[str, str]]:
    """Data stream -> field -> mapping type, for every data stream of the Elastic schema."""
    return {
        name: ds.get("fields", {}) for name, ds in _load("elastic.json").get("datasets", {}).items()
    }
