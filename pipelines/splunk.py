"""Splunk: the add-ons' field names, with each log source behind an overridable macro.

Shipped searches start with a macro per source (for example
```t1114_o365_management_activity```) that users redefine to add their index; the macro's
default definition is the add-on's sourcetypes. The evaluation variant of the pipeline puts
the same sourcetypes into the query as plain conditions, so fixture tests exercise what the
macro stands for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    AddConditionTransformation,
    QueryExpressionPlaceholderTransformation,
    ValueListPlaceholderTransformation,
)

from sigma.pipelines.t1114.base import LogSource, SourceMapping, field_mapping_items, source_condition_item
from sigma.pipelines.t1114.sources import SOURCES
from sigma.pipelines.t1114.transformations import NameValueListTransformation


@dataclass(frozen=True)
class SplunkSource(SourceMapping):
    macro: str = ""
    sourcetypes: tuple[str, ...] = ()
    add_on: str = ""
    # Sigma field prefix -> (name field, value field) of a flattened Name/Value list.
    name_value_lists: dict = field(default_factory=dict)

    def macro_definition(self) -> str:
        return "(" + " OR ".join(f'sourcetype="{st}"' for st in self.sourcetypes) + ")"


SPLUNK_SOURCES: dict[str, SplunkSource] = {
    "windows_process_creation": SplunkSource(
        LogSource("windows", "process_creation"),
        macro="t1114_windows_process_creation",
        sourcetypes=("XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", "XmlWinEventLog:Security"),
        add_on="Splunk Add-on for Sysmon; Splunk Add-on for Microsoft Windows",
        conditions={"EventCode": [1, 4688]},
        fields={
            "Image": ["Image", "NewProcessName"],
            "ParentImage": ["ParentImage", "ParentProcessName"],
            "EventID": "EventCode",
        },
    ),
    "m365_exchange": SplunkSource(
        LogSource("m365", service="exchange"),
        macro="t1114_o365_management_activity",
        sourcetypes=("o365:management:activity",),
        add_on="Splunk Add-on for Microsoft Office 365",
        conditions={"Workload": "Exchange"},
        name_value_lists={
            "Parameters.": ("Parameters{}.Name", "Parameters{}.Value"),
            "OperationProperties.": ("OperationProperties{}.Name", "OperationProperties{}.Value"),
        },
    ),
}


def _source_items(source: SplunkSource, macros: bool) -> list[ProcessingItem]:
    items = field_mapping_items(source)
    for prefix, (name_field, value_field) in sorted(source.name_value_lists.items()):
        items.append(
            ProcessingItem(
                identifier=source.item_id("name_value_" + prefix.rstrip(".").lower()),
                transformation=NameValueListTransformation(prefix, name_field, value_field),
                rule_conditions=[source.logsource.condition()],
            )
        )
    items += source_condition_item(source)
    # The sourcetype placeholder becomes the macro in shipped searches and the sourcetype
    # list in evaluation; both come from this one declaration.
    items.append(
        ProcessingItem(
            identifier=source.item_id("sourcetype"),
            transformation=AddConditionTransformation(
                {"sourcetype|expand": f"%{source.macro}%"}, name=f"_{source.item_id('sourcetype')}"
            ),
            rule_conditions=[source.logsource.condition()],
        )
    )
    return items


def splunk_pipeline(macros: bool = True) -> ProcessingPipeline:
    items: list[ProcessingItem] = []
    for key in SOURCES:
        items += _source_items(SPLUNK_SOURCES[key], macros)
    if macros:
        placeholder = QueryExpressionPlaceholderTransformation(expression="`{id}`")
    else:
        placeholder = ValueListPlaceholderTransformation()
    items.append(ProcessingItem(identifier="t1114_splunk_source_macros", transformation=placeholder))
    return ProcessingPipeline(
        name="T1114 pack: Splunk add-on field names and source macros",
        priority=20,
        items=items,
        vars={s.macro: list(s.sourcetypes) for s in SPLUNK_SOURCES.values()},
        allowed_backends=frozenset({"splunk", "sqlite"}),
    )


def t1114_splunk_pipeline() -> ProcessingPipeline:
    return splunk_pipeline(macros=True)


def macros() -> dict[str, str]:
    """Macro name -> default definition, for the Splunk app's macros.conf."""
    return {s.macro: s.macro_definition() for s in SPLUNK_SOURCES.values()}
