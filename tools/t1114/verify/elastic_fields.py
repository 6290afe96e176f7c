"""How Elasticsearch compares a field, from its mapping type in the integration schema.

* ``keyword``, ``constant_keyword``, ``wildcard`` and ``flattened`` leaves hold the exact
  string: ``==``/``in``/``like``/``regex`` compare case-sensitively, EQL's ``:``, ``in~``,
  ``like~`` and ``regex~`` case-insensitively.
* ``<field>.caseless`` (Elastic Defend) is a keyword with a lower-casing normalizer: the
  stored value and the query term are both lower-cased, so every comparison ignores case.
* numeric types compare as numbers; ``ip`` compares addresses.
* ``text`` and ``match_only_text`` are analysed: the index holds terms, not the value. EQL's
  comparisons need keyword-family fields, so an EQL query comparing them is not evaluated.
  ES|QL reads such a field's value itself (from a keyword sub-field or ``_source``; "text
  fields behave like keyword fields" in the ES|QL limitations), so ES|QL evaluates them as
  strings (``text_values=True``).
"""

from __future__ import annotations

from dataclasses import dataclass

from t1114.schema import ANALYSED_TYPES, elastic_field_type
from t1114.verify.base import Context, Unverifiable, fold, values

NUMERIC = frozenset(
    {
        "long",
        "integer",
        "short",
        "byte",
        "double",
        "float",
        "half_float",
        "scaled_float",
        "unsigned_long",
    }
)
STRING = frozenset({"keyword", "constant_keyword", "wildcard", "flattened", "version"})


@dataclass(frozen=True)
class FieldValues:
    name: str
    kind: str  # "string", "number", "ip", "boolean", "date"
    values: tuple
    caseless: bool = False  # the field folds case itself (a .caseless multi-field)


def field_kind(ctx: Context, dataset: str | None, name: str, text_values: bool = False) -> str:
    """How a field compares: "string", "number", "ip", "boolean" or "date". ``text_values``: the
    language reads a text field's value (ES|QL) rather than refusing it (EQL)."""
    types = ctx.field_types.get(dataset or "", {})
    kind = elastic_field_type(name, types)
    if kind is None and not dataset:
        for other in ctx.field_types.values():
            kind = elastic_field_type(name, other)
            if kind is not None:
                break
    if kind in ANALYSED_TYPES and text_values:
        return "string"
    if kind in ANALYSED_TYPES:
        raise Unverifiable(
            f"field '{name}' is {kind} with no keyword multi-field: Elasticsearch has no exact or wildcard "
            "match on it (it reports 'No keyword/multi-field defined exact matches'), so the query is likely "
            "to fail there; not evaluated"
        )
    if kind in NUMERIC:
        return "number"
    if kind in ("ip", "boolean", "date"):
        return kind
    if kind in ("object", "nested", "geo_point"):
        raise Unverifiable(f"field '{name}' is of type {kind}")
    return "string"  # keyword family, or unmapped (integrations map strings to keyword)


def lookup(ctx: Context, event_fields: dict, name: str, text_values: bool = False) -> FieldValues:
    dataset = event_fields.get("data_stream.dataset")
    dataset = dataset if isinstance(dataset, str) else None
    if name.endswith(".caseless"):
        parent = name[: -len(".caseless")]
        vals = tuple(fold(str(v)) for v in values(event_fields, parent))
        return FieldValues(name, "string", vals, caseless=True)
    return FieldValues(
        name, field_kind(ctx, dataset, name, text_values), tuple(values(event_fields, name))
    )
