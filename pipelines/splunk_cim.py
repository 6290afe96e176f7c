"""Splunk CIM data models: the same rules as ``tstats`` searches over accelerated data models.

Users who search with ``tstats`` get, for every rule whose log source has a CIM data model, a
second Splunk search built from the same rule: the rule's Sigma fields mapped onto the data
model's (``CommandLine`` -> ``Processes.process``) and the backend's ``data_model`` output
format, which reads the data model and the ``by`` fields from the processing state set here.
The data model replaces the source macro: its own constraint (tags set by the add-ons'
eventtypes) selects the events. The evaluation variant maps onto the bare CIM field names
that the add-ons extract on each event and puts that constraint into the query as ``tag``
conditions, so fixture tests exercise what the data model stands for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sigma.processing.conditions import ExcludeFieldCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    AddConditionTransformation,
    DetectionItemFailureTransformation,
    FieldMappingTransformation,
    SetStateTransformation,
)

from sigma.pipelines.t1114.base import LogSource, bind
from sigma.pipelines.t1114.sources import SOURCES
from sigma.pipelines.t1114.transformations import ImageNameTransformation
from sigma.pipelines.t1114.tuning import tuning_item, tuning_vars


@dataclass(frozen=True)
class CimSource:
    datamodel: str  # "<data model>.<dataset>", as tstats names it
    # The data model's constraint: the tags every event of the dataset carries.
    tags: tuple[str, ...]
    # Sigma field -> CIM field (without the dataset prefix).
    fields: dict = field(default_factory=dict)
    # The dataset has only the process name: Image|endswith '\name' maps onto it.
    image_name_field: str | None = None
    # The fields the search groups by (the alert's context).
    by: tuple[str, ...] = ()
    # The declared source (sources.SOURCES), attached by ``bind``.
    logsource: LogSource = field(default_factory=LogSource)

    @property
    def dataset(self) -> str:
        return self.datamodel.split(".", 1)[1]

    def item_id(self, what: str) -> str:
        return f"t1114_cim_{self.logsource.key}_{what}"


# Only the sources a CIM data model covers; the others ship no CIM search.
CIM_SOURCES: dict[str, CimSource] = bind(
    SOURCES,
    {
        "windows_process_creation": CimSource(
            "Endpoint.Processes",
            tags=("process", "report"),
            fields={
                "CommandLine": "process",
                "Image": "process_path",
                "OriginalFileName": "original_file_name",
                "ParentImage": "parent_process_path",
                "ParentCommandLine": "parent_process",
                "CurrentDirectory": "process_current_directory",
                "IntegrityLevel": "process_integrity_level",
                "ProcessId": "process_id",
                "User": "user",
                "Computer": "dest",
            },
            by=(
                "dest",
                "user",
                "parent_process_name",
                "process_name",
                "original_file_name",
                "process",
                "process_id",
            ),
        ),
        "windows_file_event": CimSource(
            "Endpoint.Filesystem",
            tags=("endpoint", "filesystem"),
            fields={
                "TargetFilename": "file_path",
                "ProcessId": "process_id",
                "User": "user",
                "Computer": "dest",
            },
            image_name_field="process_name",
            by=("dest", "user", "process_name", "process_id", "file_path", "action"),
        ),
    },
    complete=False,
)


def cim_source_for(logsource) -> CimSource | None:
    return next((s for s in CIM_SOURCES.values() if s.logsource.matches(logsource)), None)


def _items(source: CimSource, query: bool) -> list[ProcessingItem]:
    # Conditions belong to one processing item each, so every item gets its own.
    def condition():
        return [source.logsource.condition()]

    prefix = f"{source.dataset}." if query else ""
    known = list(source.fields) + (["Image"] if source.image_name_field else [])
    items = [
        ProcessingItem(
            identifier=source.item_id("unsupported_fields"),
            transformation=DetectionItemFailureTransformation(
                f"the CIM {source.datamodel} dataset has no field for this rule's; it maps {', '.join(known)}"
            ),
            rule_conditions=condition(),
            field_name_conditions=[ExcludeFieldCondition(fields=known)],
        ),
        ProcessingItem(
            identifier=source.item_id("fields"),
            transformation=FieldMappingTransformation(
                {k: prefix + v for k, v in source.fields.items()}
            ),
            rule_conditions=condition(),
        ),
    ]
    if source.image_name_field:
        items.append(
            ProcessingItem(
                identifier=source.item_id("image_name"),
                transformation=ImageNameTransformation("Image", prefix + source.image_name_field),
                rule_conditions=condition(),
            )
        )
    if query:
        items += [
            ProcessingItem(
                identifier=source.item_id("data_model"),
                transformation=SetStateTransformation("data_model_set", source.datamodel),
                rule_conditions=condition(),
            ),
            ProcessingItem(
                identifier=source.item_id("by_fields"),
                transformation=SetStateTransformation("fields", [prefix + f for f in source.by]),
                rule_conditions=condition(),
            ),
        ]
    else:
        items.append(
            ProcessingItem(
                identifier=source.item_id("constraint"),
                transformation=AddConditionTransformation(
                    {"tag|all": list(source.tags)}, name=f"_{source.item_id('constraint')}"
                ),
                rule_conditions=condition(),
            )
        )
    return items


def splunk_cim_pipeline(query: bool = True, tuning: dict | None = None) -> ProcessingPipeline:
    """``tuning``: the tuning lists to use instead of the defaults (see tuning.py)."""
    items: list[ProcessingItem] = [tuning_item()]
    for source in CIM_SOURCES.values():
        items += _items(source, query)
    return ProcessingPipeline(
        name="T1114 pack: Splunk CIM data models (tstats)",
        priority=20,
        items=items,
        vars=tuning_vars(tuning),
        allowed_backends=frozenset({"splunk", "sqlite"}),
    )


def t1114_splunk_cim_pipeline() -> ProcessingPipeline:
    return splunk_cim_pipeline(query=True)
