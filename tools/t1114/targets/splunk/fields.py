"""Which fields the Splunk add-ons extract for the sources a search reads
(data/schemas/splunk.json)."""

from __future__ import annotations

from sigma.pipelines.t1114.splunk import SPLUNK_SOURCES
from t1114 import schema
from t1114.compiled import CompiledQuery


def sourcetypes(compiled: CompiledQuery) -> list[str]:
    """The sourcetypes (or sources) behind the macros a compiled Splunk search reads."""
    used = compiled.extra.get("macros", [])
    return [v for s in SPLUNK_SOURCES.values() if s.macro in used for v in s.selector_values]


def unknown_fields(compiled: CompiledQuery) -> list[str]:
    if not schema.has_splunk_schema():
        return ["no Splunk schema (data/schemas/splunk.json)"]
    read = sourcetypes(compiled)
    fields = schema.splunk_fields(read)
    return [
        f"field '{f}' is not extracted for sourcetypes {', '.join(read)}"
        for f in compiled.fields
        if f not in fields
    ]
