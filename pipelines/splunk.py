"""Splunk: the add-ons' field names, with each log source behind an overridable macro.

Shipped searches start with a macro per source (for example
```t1114_o365_management_activity```) that users redefine to add their index; the macro's
default definition selects the add-on's sourcetypes (or sources). The evaluation variant of the
pipeline puts the same source selection into the query as plain conditions, so fixture tests
exercise what the macro stands for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    AddConditionTransformation,
    QueryExpressionPlaceholderTransformation,
    ValueListPlaceholderTransformation,
)

from sigma.pipelines.t1114.base import (
    SourceMapping,
    bind,
    derived_field_items,
    field_mapping_items,
    rendered_into_items,
    source_condition_item,
)
from sigma.pipelines.t1114.sources import (
    GRAPH_DIAGNOSTIC_NAMES,
    MSEXCHANGE_MANAGEMENT_CHANNEL,
    POWERSHELL_CHANNEL,
    SECURITY_CHANNEL,
    SOURCES,
    SYSMON_CHANNEL,
)
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


_SYSMON = f"XmlWinEventLog:{SYSMON_CHANNEL}"
_SYSMON_FOR_LINUX = "Splunk Add-on for Sysmon for Linux"
_JAMF_PROTECT = "Jamf Protect Add-on for Splunk (TA-JamfProtect)"


def _under_properties(key: str, exceptions: dict[str, str]) -> dict[str, str]:
    """Every taxonomy field of a source under ``properties.``, as Azure diagnostic logs nest them."""
    return {name: exceptions.get(name, f"properties.{name}") for name in SOURCES[key].fields}


def _gws_reports_source(service: str) -> SplunkSource:
    """A Reports API application as the Google Workspace add-on indexes it: one activity event
    per Splunk event, under event."""
    return SplunkSource(
        macro=f"t1114_gws_reports_{service}",
        selector_values=(f"gws:reports:{service}",),
        add_on="Splunk Add-on for Google Workspace",
        fields={"events.name": "event.name", "events.type": "event.type"},
        name_value_lists={
            "events.parameters.": ("event.parameters{}.name", "event.parameters{}.value")
        },
    )


def _sysmon(key: str, event_code: int) -> SplunkSource:
    return SplunkSource(
        macro=f"t1114_{key}",
        selector_field="source",
        selector_values=(_SYSMON,),
        add_on="Splunk Add-on for Sysmon",
        conditions={"EventCode": event_code},
    )


def _sysmon_for_linux(key: str, event_code: int) -> SplunkSource:
    return SplunkSource(
        macro=f"t1114_{key}",
        selector_values=("sysmon:linux",),
        add_on=_SYSMON_FOR_LINUX,
        conditions={"EventCode": event_code},
        fields={"EventID": "EventCode"},
    )


SPLUNK_SOURCES: dict[str, SplunkSource] = bind(
    SOURCES,
    {
        "windows_process_creation": SplunkSource(
            macro="t1114_windows_process_creation",
            selector_field="source",
            selector_values=(_SYSMON, f"XmlWinEventLog:{SECURITY_CHANNEL}"),
            add_on="Splunk Add-on for Sysmon; Splunk Add-on for Microsoft Windows",
            conditions={"EventCode": [1, 4688]},
            fields={
                "Image": ["Image", "NewProcessName"],
                "ParentImage": ["ParentImage", "ParentProcessName"],
                "EventID": "EventCode",
            },
        ),
        "windows_file_event": _sysmon("windows_file_event", 11),
        "windows_network_connection": _sysmon("windows_network_connection", 3),
        "windows_registry_set": _sysmon("windows_registry_set", 13),
        "windows_security": SplunkSource(
            macro="t1114_windows_security",
            selector_field="source",
            selector_values=(f"XmlWinEventLog:{SECURITY_CHANNEL}",),
            add_on="Splunk Add-on for Microsoft Windows",
            fields={"EventID": "EventCode"},
        ),
        "windows_ps_script": SplunkSource(
            macro="t1114_windows_powershell_script",
            selector_field="source",
            selector_values=(f"XmlWinEventLog:{POWERSHELL_CHANNEL}",),
            add_on="Splunk Add-on for Microsoft Windows",
            conditions={"EventCode": 4104},
        ),
        "windows_msexchange_management": SplunkSource(
            macro="t1114_msexchange_management",
            selector_field="source",
            # Classic (WinEventLog) or XML (XmlWinEventLog) rendering: the add-on extracts no
            # unnamed <Data> value (eventdata_xml_data needs a Name attribute), so both carry
            # the cmdlet only in Message (classic text, or RenderingInfo's rendering_info_xml_data).
            selector_values=(
                f"WinEventLog:{MSEXCHANGE_MANAGEMENT_CHANNEL}",
                f"XmlWinEventLog:{MSEXCHANGE_MANAGEMENT_CHANNEL}",
            ),
            add_on="Splunk Add-on for Microsoft Windows",
            fields={"Computer": ["ComputerName", "Computer"], "EventID": "EventCode"},
            # Both renderings set the event's host from the computer name.
            group_by_fields={"Computer": "host"},
            rendered_into={"Message": ("CmdletName", "CmdletParameters", "Caller")},
        ),
        # The add-on turns each Parameters / OperationProperties entry into a field named after
        # the entry (Identity, ForwardingSmtpAddress, MailAccessType...), which keeps every value
        # with its name; the multivalue Parameters{}.Name / Parameters{}.Value pair does not.
        "m365_exchange": SplunkSource(
            macro="t1114_o365_management_activity",
            selector_values=("o365:management:activity",),
            add_on="Splunk Add-on for Microsoft Office 365",
            conditions={"Workload": "Exchange"},
            prefixes={"Parameters.": "", "OperationProperties.": ""},
        ),
        "m365_audit": SplunkSource(
            macro="t1114_o365_management_activity",
            selector_values=("o365:management:activity",),
            add_on="Splunk Add-on for Microsoft Office 365",
            prefixes={"Parameters.": ""},
        ),
        "m365_message_trace": SplunkSource(
            macro="t1114_msexchange_message_tracking",
            selector_values=("MSExchange:2013:MessageTracking",),
            add_on="Splunk Add-on for Microsoft Exchange",
            # The log's "source" column cannot keep its name next to Splunk's own source field.
            fields={"source": "source_id"},
        ),
        # Entra ID diagnostic logs through the Event Hub input: Graph's names under properties.,
        # arrays marked with {} by Splunk's JSON extraction.
        "azure_signinlogs": SplunkSource(
            macro="t1114_azure_monitor_aad",
            selector_values=("azure:monitor:aad",),
            add_on="Splunk Add-on for Microsoft Cloud Services",
            conditions={"category": ["SignInLogs", "NonInteractiveUserSignInLogs"]},
            fields=_under_properties(
                "azure_signinlogs", {"riskEventTypes_v2": "properties.riskEventTypes_v2{}"}
            ),
        ),
        "azure_auditlogs": SplunkSource(
            macro="t1114_azure_monitor_aad",
            selector_values=("azure:monitor:aad",),
            add_on="Splunk Add-on for Microsoft Cloud Services",
            conditions={"category": "AuditLogs"},
            fields=_under_properties(
                "azure_auditlogs",
                {
                    "targetResources.modifiedProperties.newValue": (
                        "properties.targetResources{}.modifiedProperties{}.newValue"
                    ),
                },
            ),
        ),
        # The same Entra diagnostic settings and Event Hub input: the diagnostic record's
        # properties (camelCase, as Microsoft documents the Graph activity log schema).
        "azure_graphactivitylogs": SplunkSource(
            macro="t1114_azure_monitor_aad",
            selector_values=("azure:monitor:aad",),
            add_on="Splunk Add-on for Microsoft Cloud Services",
            conditions={"category": "MicrosoftGraphActivityLogs"},
            fields={
                name: f"properties.{GRAPH_DIAGNOSTIC_NAMES[name]}"
                for name in GRAPH_DIAGNOSTIC_NAMES
            },
        ),
        "google_workspace_admin": _gws_reports_source("admin"),
        "google_workspace_user_accounts": _gws_reports_source("user_accounts"),
        "google_workspace_gmail": SplunkSource(
            macro="t1114_gws_gmail",
            selector_values=("gws:gmail",),
            add_on="Splunk Add-on for Google Workspace",
            fields={"message_info.destination.address": "message_info.destination{}.address"},
        ),
        # One Splunk event per audit record: a rule's conditions must hold within one record
        # (the SYSCALL record carries key, exe, comm and the ids).
        "linux_auditd": SplunkSource(
            macro="t1114_linux_auditd",
            selector_values=("linux:audit",),
            add_on="Splunk Add-on for Linux",
        ),
        "linux_process_creation": _sysmon_for_linux("linux_process_creation", 1),
        "linux_file_event": _sysmon_for_linux("linux_file_event", 11),
        # Endpoint Security exec messages; CommandLine is the argument vector, so each
        # CommandLine condition matches within one argument.
        "macos_process_creation": SplunkSource(
            macro="t1114_macos_process_creation",
            selector_values=("jamf:protect:telemetry:v2",),
            add_on=_JAMF_PROTECT,
            conditions={"event_type": 9},
            fields={
                "Image": "event.exec.target.executable.path",
                "CommandLine": "event.exec.args{}",
                "CurrentDirectory": "event.exec.cwd.path",
                "ParentImage": "process.executable.path",
                "ProcessId": "event.exec.target.audit_token.pid",
                "Computer": "host.hostname",
            },
        ),
        # Telemetry v2 has no file events; Jamf Protect reports them as alerts of a custom
        # analytic on GPFSEvent (docs: "macOS file events in Splunk"). Image is every process
        # of the alert's chain, the writer and its ancestors.
        "macos_file_event": SplunkSource(
            macro="t1114_macos_file_event",
            selector_values=("jamf:protect:alerts",),
            add_on=_JAMF_PROTECT,
            conditions={"input.eventType": "GPFSEvent"},
            fields={
                "TargetFilename": "input.match.event.path",
                "Image": "input.related.processes{}.path",
                "ProcessId": "input.match.event.pid",
                "Computer": "input.host.hostname",
            },
        ),
    },
)


def _source_items(source: SplunkSource) -> list[ProcessingItem]:
    items = rendered_into_items(source, keep_field=False) + field_mapping_items(source)
    items += derived_field_items(source)
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
                {f"{source.selector_field}|expand": f"%{source.macro}%"},
                name=f"_{source.item_id('selector')}",
            ),
            rule_conditions=[source.logsource.condition()],
        )
    )
    return items


def splunk_pipeline(macros: bool = True, tuning: dict | None = None) -> ProcessingPipeline:
    """``macros``: source selection as macros (shipped searches) or as conditions (evaluation).
    ``tuning``: the tuning lists to use instead of the defaults (see tuning.py)."""
    items: list[ProcessingItem] = [tuning_item()]
    for source in SPLUNK_SOURCES.values():
        items += _source_items(source)
    names = sorted({s.macro for s in SPLUNK_SOURCES.values()})
    placeholder: QueryExpressionPlaceholderTransformation | ValueListPlaceholderTransformation
    if macros:
        placeholder = QueryExpressionPlaceholderTransformation(expression="`{id}`", include=names)
    else:
        placeholder = ValueListPlaceholderTransformation(include=names)
    items.append(
        ProcessingItem(identifier="t1114_splunk_source_macros", transformation=placeholder)
    )
    return ProcessingPipeline(
        name="T1114 pack: Splunk add-on field names and source macros",
        priority=20,
        items=items,
        vars={
            **tuning_vars(tuning),
            **{s.macro: list(s.selector_values) for s in SPLUNK_SOURCES.values()},
        },
        allowed_backends=frozenset({"splunk", "sqlite"}),
    )


def t1114_splunk_pipeline() -> ProcessingPipeline:
    return splunk_pipeline(macros=True)


def macros() -> dict[str, str]:
    """Macro name -> default definition, for the Splunk app's macros.conf."""
    return {s.macro: s.macro_definition() for s in SPLUNK_SOURCES.values()}
