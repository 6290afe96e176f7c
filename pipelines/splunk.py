"""Splunk: the add-ons' field names, with each log source behind an overridable macro.

Shipped searches start with a macro per source (for example
```t1114_o365_management_activity```) that users redefine to add their index; the macro's
default definition selects the add-on's sourcetypes (or sources). The evaluation variant of the pipeline puts
the same source selection into the query as plain conditions, so fixture tests exercise what the
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
from sigma.pipelines.t1114.tuning import tuning_item, tuning_vars


@dataclass(frozen=True)
class SplunkSource(SourceMapping):
    macro: str = ""
    # The field and values that select the source's events: ``sourcetype`` for most add-ons,
    # ``source`` for Windows event logs, which the Windows add-on indexes under the single
    # sourcetype XmlWinEventLog with the channel in ``source``. The values also key the
    # add-on's field list in data/schemas/splunk.json.
    selector_field: str = "sourcetype"
    selector_values: tuple[str, ...] = ()
    add_on: str = ""
    # Sigma field prefix -> (name field, value field) of a flattened Name/Value list.
    name_value_lists: dict = field(default_factory=dict)

    def macro_definition(self) -> str:
        return "(" + " OR ".join(f'{self.selector_field}="{v}"' for v in self.selector_values) + ")"


def _under_properties(key: str, exceptions: dict[str, str]) -> dict[str, str]:
    """Every taxonomy field of a source under ``properties.``, as Azure diagnostic logs nest them."""
    return {name: exceptions.get(name, f"properties.{name}") for name in SOURCES[key].fields}


def _gws_reports_source(service: str) -> SplunkSource:
    """A Reports API application as the Google Workspace add-on indexes it: one activity event
    per Splunk event, under event."""
    return SplunkSource(
        LogSource("google_workspace", service=service),
        macro=f"t1114_gws_reports_{service}",
        selector_values=(f"gws:reports:{service}",),
        add_on="Splunk Add-on for Google Workspace",
        fields={"events.name": "event.name", "events.type": "event.type"},
        name_value_lists={"events.parameters.": ("event.parameters{}.name", "event.parameters{}.value")},
    )


SPLUNK_SOURCES: dict[str, SplunkSource] = {
    "windows_process_creation": SplunkSource(
        LogSource("windows", "process_creation"),
        macro="t1114_windows_process_creation",
        selector_field="source",
        selector_values=("XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", "XmlWinEventLog:Security"),
        add_on="Splunk Add-on for Sysmon; Splunk Add-on for Microsoft Windows",
        conditions={"EventCode": [1, 4688]},
        fields={
            "Image": ["Image", "NewProcessName"],
            "ParentImage": ["ParentImage", "ParentProcessName"],
            "EventID": "EventCode",
        },
    ),
    # --- Microsoft 365 / Entra ID / Google Workspace (AN1312) ---
    # The add-on turns each Parameters / OperationProperties entry into a field named after the
    # entry (Identity, ForwardingSmtpAddress, MailAccessType...), which keeps every value with its
    # name; the multivalue Parameters{}.Name / Parameters{}.Value pair does not.
    "m365_exchange": SplunkSource(
        LogSource("m365", service="exchange"),
        macro="t1114_o365_management_activity",
        selector_values=("o365:management:activity",),
        add_on="Splunk Add-on for Microsoft Office 365",
        conditions={"Workload": "Exchange"},
        prefixes={"Parameters.": "", "OperationProperties.": ""},
    ),
    "m365_audit": SplunkSource(
        LogSource("m365", service="audit"),
        macro="t1114_o365_management_activity",
        selector_values=("o365:management:activity",),
        add_on="Splunk Add-on for Microsoft Office 365",
        prefixes={"Parameters.": ""},
    ),
    "m365_message_trace": SplunkSource(
        LogSource("m365", service="message_trace"),
        macro="t1114_msexchange_message_tracking",
        selector_values=("MSExchange:2013:MessageTracking",),
        add_on="Splunk Add-on for Microsoft Exchange",
        # The log's "source" column cannot keep its name next to Splunk's own source field.
        fields={"source": "source_id"},
    ),
    # Entra ID diagnostic logs through the Event Hub input: Graph's names under properties.,
    # arrays marked with {} by Splunk's JSON extraction.
    "azure_signinlogs": SplunkSource(
        LogSource("azure", service="signinlogs"),
        macro="t1114_azure_monitor_aad",
        selector_values=("azure:monitor:aad",),
        add_on="Splunk Add-on for Microsoft Cloud Services",
        conditions={"category": ["SignInLogs", "NonInteractiveUserSignInLogs"]},
        fields=_under_properties("azure_signinlogs", {"riskEventTypes_v2": "properties.riskEventTypes_v2{}"}),
    ),
    "azure_auditlogs": SplunkSource(
        LogSource("azure", service="auditlogs"),
        macro="t1114_azure_monitor_aad",
        selector_values=("azure:monitor:aad",),
        add_on="Splunk Add-on for Microsoft Cloud Services",
        conditions={"category": "AuditLogs"},
        fields=_under_properties(
            "azure_auditlogs",
            {
                "targetResources.modifiedProperties.newValue": "properties.targetResources{}.modifiedProperties{}.newValue",
            },
        ),
    ),
    "google_workspace_admin": _gws_reports_source("admin"),
    "google_workspace_user_accounts": _gws_reports_source("user_accounts"),
    "google_workspace_gmail": SplunkSource(
        LogSource("google_workspace", service="gmail"),
        macro="t1114_gws_gmail",
        selector_values=("gws:gmail",),
        add_on="Splunk Add-on for Google Workspace",
        fields={"message_info.destination.address": "message_info.destination{}.address"},
    ),
    # --- end Microsoft 365 / Entra ID / Google Workspace ---
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
    # The selector placeholder becomes the macro in shipped searches and the selector values
    # in evaluation; both come from this one declaration.
    items.append(
        ProcessingItem(
            identifier=source.item_id("selector"),
            transformation=AddConditionTransformation(
                {f"{source.selector_field}|expand": f"%{source.macro}%"}, name=f"_{source.item_id('selector')}"
            ),
            rule_conditions=[source.logsource.condition()],
        )
    )
    return items


def splunk_pipeline(macros: bool = True, tuning: dict | None = None) -> ProcessingPipeline:
    """``macros``: source selection as macros (shipped searches) or as conditions (evaluation).
    ``tuning``: the tuning lists to use instead of the defaults (see tuning.py)."""
    items: list[ProcessingItem] = [tuning_item()]
    for key in SOURCES:
        items += _source_items(SPLUNK_SOURCES[key], macros)
    names = sorted({s.macro for s in SPLUNK_SOURCES.values()})
    if macros:
        placeholder = QueryExpressionPlaceholderTransformation(expression="`{id}`", include=names)
    else:
        placeholder = ValueListPlaceholderTransformation(include=names)
    items.append(ProcessingItem(identifier="t1114_splunk_source_macros", transformation=placeholder))
    return ProcessingPipeline(
        name="T1114 pack: Splunk add-on field names and source macros",
        priority=20,
        items=items,
        vars={**tuning_vars(tuning), **{s.macro: list(s.selector_values) for s in SPLUNK_SOURCES.values()}},
        allowed_backends=frozenset({"splunk", "sqlite"}),
    )


def t1114_splunk_pipeline() -> ProcessingPipeline:
    return splunk_pipeline(macros=True)


def macros() -> dict[str, str]:
    """Macro name -> default definition, for the Splunk app's macros.conf."""
    return {s.macro: s.macro_definition() for s in SPLUNK_SOURCES.values()}
