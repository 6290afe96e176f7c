"""Building blocks shared by the platform pipelines.

Each platform module declares, per Sigma log source, a ``SourceMapping``: which events of the
platform belong to the source and what the Sigma fields are called there. The builders below
turn that table into ordinary pySigma processing items, so the pipelines stay plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem
from sigma.processing.transformations import (
    AddConditionTransformation,
    FieldMappingTransformation,
    FieldPrefixMappingTransformation,
)


@dataclass(frozen=True)
class LogSource:
    product: str | None = None
    category: str | None = None
    service: str | None = None
    # The Sigma field names rules may use on this source (the pack's taxonomy; SigmaHQ's
    # field-name validators check rules against it).
    fields: tuple[str, ...] = field(default=(), compare=False)

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
        return LogsourceCondition(product=self.product, category=self.category, service=self.service)


@dataclass(frozen=True)
class SourceMapping:
    """One Sigma log source on one platform."""

    logsource: LogSource
    # Field conditions every event of the source meets on this platform (AND of fields, a
    # list is an OR of values), e.g. {"EventCode": [1, 4688]}; a list of such mappings is an
    # OR of them, for a source that arrives in differently shaped streams (Sysmon event 1 or
    # an Elastic Defend process start).
    conditions: dict | list = field(default_factory=dict)
    # Sigma field name -> platform field name (a list means "any of these fields").
    fields: dict = field(default_factory=dict)
    # Sigma field prefix -> platform prefix, for open-ended field families (O365 Parameters.*).
    prefixes: dict = field(default_factory=dict)

    def item_id(self, what: str) -> str:
        return f"t1114_{self.logsource.key}_{what}"


def field_mapping_items(source: SourceMapping) -> list[ProcessingItem]:
    items = []
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


def source_condition_item(source: SourceMapping, conditions: dict | list | None = None) -> list[ProcessingItem]:
    conditions = source.conditions if conditions is None else conditions
    if not conditions:
        return []
    # AddConditionTransformation hands its conditions to SigmaDetection.from_definition, which
    # reads a list of mappings as their OR.
    conditions = [dict(c) for c in conditions] if isinstance(conditions, list) else dict(conditions)
    return [
        ProcessingItem(
            identifier=source.item_id("source"),
            transformation=AddConditionTransformation(conditions, name=f"_{source.item_id('source')}"),
            rule_conditions=[source.logsource.condition()],
        )
    ]
