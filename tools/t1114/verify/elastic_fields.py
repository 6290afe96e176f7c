"""How Elasticsearch compares a field, from its mapping type in the integration schema.

* ``keyword``, ``constant_keyword``, ``wildcard`` and ``flattened`` leaves hold the exact
  string: ``==``/``in``/``like``/``regex`` compare case-sensitively, EQL's ``:``, ``in~``,
  ``like~`` and ``regex~`` case-insensitively.
* ``<field>.caseless`` (Elastic Defend) is a keyword with a lower-casing normalizer: the
  stored value and the query term are both lower-cased, so every comparison ignores case.
* numeric types compare as numbers; ``ip`` compares addresses.
* ``text`` and ``match_only_text`` are analysed: exact and wildcard comparisons on them do not
  mean what they say, so a query comparing them is not evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass

from t1114.verify.base import Context, Unverifiable, elastic_field_type, fold, values

NUMERIC = frozenset({"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long"})
STRING = frozenset({"keyword", "constant_keyword", "wildcard", "flattened", "version"})
ANALYSED = frozenset({"text", "match_only_text"})


@dataclass(frozen=True)
class FieldValues:
    name: str
    kind: str  # "string", "number", "ip", "boolean", "date"
    values: tuple
    caseless: bool = False  # the field folds case itself (a .caseless multi-field)


def field_kind(ctx: Context, dataset: str | None, name: str) -> str:
    types = ctx.field_types.get(dataset or "", {})
    kind = elastic_field_type(types, name)
    if kind is None and not dataset:
        for other in ctx.field_types.values():
            kind = elastic_field_type(other, name)
            if kind is not None:
                break
    if kind in ANALYSED:
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


def lookup(ctx: Context, event_fields: dict, name: str) -> FieldValues:
    dataset = event_fields.get("data_stream.dataset")
    dataset = dataset if isinstance(dataset, str) else None
    if name.endswith(".caseless"):
        parent = name[: -len(".caseless")]
        vals = tuple(fold(str(v)) for v in values(event_fields, parent))
        return FieldValues(name, "string", vals, caseless=True)
    return FieldValues(name, field_kind(ctx, dataset, name), tuple(values(event_fields, name)))
