"""Building blocks shared by the platform pipelines.

The log sources are declared once (``sources.SOURCES``). Each platform module declares, per
source key, a ``SourceMapping``: which events of the platform belong to the source and what the
Sigma fields are called there; ``bind`` attaches the declared source to each mapping. The
builders below turn that table into ordinary pySigma processing items, so the pipelines stay
plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TypeVar

from sigma.processing.conditions import IsSigmaCorrelationRuleCondition, LogsourceCondition
from sigma.processing.pipeline import ProcessingItem
from sigma.processing.transformations import (
    AddConditionTransformation,
    FieldMappingTransformation,
    FieldPrefixMappingTransformation,
)

from sigma.pipelines.t1114.transformations import (
    DerivedFieldTransformation,
    SubstringFieldTransformation,
)


@dataclass(frozen=True)
class DerivedField:
    """A field no record holds, which a correlation may group by: the first of ``sources``
    an event has (a source with a pattern reduced to that pattern's group 1 where it matches),
    lower-cased, then reduced to ``normalise``'s group 1 where that matches.

    The patterns are anchored (``^...$``) and written in the regex subset that PCRE (Splunk's
    ``replace``), Java (ES|QL's ``REPLACE``, Spark's ``regexp_replace``) and Python (the
    pack's engines) read alike; each target module says once how it computes the field
    (``t1114.derived`` for the pack's own engines)."""

    name: str
    sources: tuple[tuple[str, str | None], ...]
    normalise: str

    def on_platform(self, mapping: SourceMapping) -> dict:
        """The field as a platform computes it: its sources under the platform's names."""
        return {
            "sources": [[mapping.platform_field(f), pattern] for f, pattern in self.sources],
            "normalise": self.normalise,
        }


@dataclass(frozen=True)
class LogSource:
    product: str | None = None
    category: str | None = None
    service: str | None = None
    # The Sigma field names rules may use on this source (the pack's taxonomy; SigmaHQ's
    # field-name validators check rules against it).
    fields: tuple[str, ...] = field(default=(), compare=False)
    # Fields computed from others (a correlation's normalised group key), by name.
    derived: tuple[DerivedField, ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        return "_".join(p for p in (self.product, self.category, self.service) if p)

    def matches(self, logsource) -> bool:
        """Whether a rule's ``SigmaLogSource`` is this source."""
        return (self.product, self.category, self.service) == (
            logsource.product,
            logsource.category,
            logsource.service,
        )

    def condition(self) -> LogsourceCondition:
        return LogsourceCondition(
            product=self.product, category=self.category, service=self.service
        )


@dataclass(frozen=True)
class SourceMapping:
    """One Sigma log source on one platform."""

    # The declared source (sources.SOURCES), attached by ``bind``; a platform never restates it.
    logsource: LogSource = field(default_factory=LogSource)
    # Field conditions every event of the source meets on this platform (AND of fields, a
    # list is an OR of values), e.g. {"EventCode": [1, 4688]}; a list of such mappings is an
    # OR of them, for a source that arrives in differently shaped streams (Sysmon event 1 or
    # an Elastic Defend process start).
    conditions: dict | list = field(default_factory=dict)
    # Sigma field name -> platform field name (a list means "any of these fields").
    fields: dict = field(default_factory=dict)
    # Sigma field prefix -> platform prefix, for open-ended field families (O365 Parameters.*).
    prefixes: dict = field(default_factory=dict)
    # Free-text field -> the Sigma fields some collectors only render into it (the MSExchange
    # Management log's rendered message): matched there as substrings.
    rendered_into: dict = field(default_factory=dict)
    # Sigma field -> the one platform field a correlation groups by, for a field that ``fields``
    # maps to several (one per collector): a key per mapped name would leave every event
    # with a missing key, so no group would ever form.
    group_by_fields: dict = field(default_factory=dict)

    def item_id(self, what: str) -> str:
        return f"t1114_{self.logsource.key}_{what}"

    def platform_field(self, name: str) -> str:
        """The one platform field a Sigma field of this source is read from."""
        mapped = self.fields.get(name)
        if isinstance(mapped, list):
            raise ValueError(f"{name} maps to several fields on this platform")
        if mapped is not None:
            return mapped
        for prefix, target in sorted(self.prefixes.items(), key=lambda p: -len(p[0])):
            if name.startswith(prefix):
                return target + name[len(prefix) :]
        return name


M = TypeVar("M")  # a frozen dataclass with a ``logsource`` field


def bind(
    sources: dict[str, LogSource], mappings: dict[str, M], complete: bool = True
) -> dict[str, M]:
    """A platform's mappings keyed by source key, each given the source declared under its key
    (in the declaration's order). A key that names no declared source is a bug in the module,
    and so is a declared source a ``complete`` platform leaves unmapped: adding a source asks
    every platform how it sees it."""
    unknown = sorted(set(mappings) - set(sources))
    if unknown:
        raise KeyError(f"mappings for undeclared log sources: {', '.join(unknown)}")
    missing = sorted(set(sources) - set(mappings)) if complete else []
    if missing:
        raise KeyError(f"no mapping for the log sources {', '.join(missing)}")
    return {
        key: replace(mappings[key], logsource=source)  # type: ignore[type-var]
        for key, source in sources.items()
        if key in mappings
    }


def rendered_into_items(source: SourceMapping, keep_field: bool) -> list[ProcessingItem]:
    """``rendered_into`` as substring matches on the free-text field; ``keep_field``: also on
    the field itself (an OR of both), where some collectors name it and others only render it.
    They go before the field mappings, which then map the kept field."""
    return [
        ProcessingItem(
            identifier=source.item_id("rendered_into_" + target.lower()),
            transformation=SubstringFieldTransformation(
                tuple(fields), target, keep_field=keep_field
            ),
            rule_conditions=[source.logsource.condition()],
        )
        for target, fields in sorted(source.rendered_into.items())
    ]


def field_mapping_items(source: SourceMapping) -> list[ProcessingItem]:
    items = []
    if source.group_by_fields:
        items.append(
            ProcessingItem(
                identifier=source.item_id("group_by_fields"),
                transformation=FieldMappingTransformation(dict(source.group_by_fields)),
                rule_conditions=[source.logsource.condition(), IsSigmaCorrelationRuleCondition()],
                rule_condition_linking=all,
            )
        )
    if source.fields:
        items.append(
            ProcessingItem(
                identifier=source.item_id("fields"),
                transformation=FieldMappingTransformation(dict(source.fields)),
                rule_conditions=[source.logsource.condition()],
            )
        )
    if source.prefixes:
        items.append(
            ProcessingItem(
                identifier=source.item_id("field_prefixes"),
                transformation=FieldPrefixMappingTransformation(dict(source.prefixes)),
                rule_conditions=[source.logsource.condition()],
            )
        )
    return items


def derived_field_items(source: SourceMapping) -> list[ProcessingItem]:
    """The source's derived fields as this platform computes them, attached to the correlations
    that group by them (backends and engines read them there)."""
    if not source.logsource.derived:
        return []
    return [
        ProcessingItem(
            identifier=source.item_id("derived_fields"),
            transformation=DerivedFieldTransformation(
                {d.name: d.on_platform(source) for d in source.logsource.derived}
            ),
            rule_conditions=[source.logsource.condition(), IsSigmaCorrelationRuleCondition()],
            rule_condition_linking=all,
        )
    ]


def source_condition_item(
    source: SourceMapping, conditions: dict | list | None = None
) -> list[ProcessingItem]:
    conditions = source.conditions if conditions is None else conditions
    if not conditions:
        return []
    # AddConditionTransformation hands its conditions to SigmaDetection.from_definition, which
    # reads a list of mappings as their OR.
    conditions = [dict(c) for c in conditions] if isinstance(conditions, list) else dict(conditions)
    return [
        ProcessingItem(
            identifier=source.item_id("source"),
            transformation=AddConditionTransformation(
                conditions,  # type: ignore[arg-type]  # a list is an OR of mappings (above)
                name=f"_{source.item_id('source')}",
            ),
            rule_conditions=[source.logsource.condition()],
        )
    ]
