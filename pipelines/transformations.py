"""pySigma transformations the stock library does not have."""

from __future__ import annotations

from dataclasses import dataclass, field

from sigma.conditions import ConditionAND, ConditionOR
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaTransformationError
from sigma.processing.transformations.base import (
    DetectionItemTransformation,
    PreprocessingTransformation,
)
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import SigmaExists, SigmaString, SigmaType, SpecialChars


@dataclass
class NameValueListTransformation(DetectionItemTransformation):
    """Map ``<prefix><Name>`` fields onto a list of Name/Value pairs flattened to two
    multivalue fields, as Splunk's JSON extraction presents a list such as the Google
    Workspace add-on's ``event.parameters{}``.

    ``events.parameters.SETTING_NAME|exists: true`` becomes ``event.parameters{}.name=SETTING_NAME``;
    ``events.parameters.SETTING_NAME|contains: ROUTE`` becomes ``event.parameters{}.name=SETTING_NAME
    event.parameters{}.value=*ROUTE*``. Splunk keeps no pairing between the two multivalue
    fields, so the value may belong to another parameter of the same event; rules accept that
    looser match on Splunk rather than emit an mvzip/spath pipeline per condition. (The Office
    365 add-on needs none of this: it makes a field of each Parameters entry.)
    """

    prefix: str = ""
    name_field: str = ""
    value_field: str = ""

    def apply_detection_item(self, detection_item: SigmaDetectionItem):
        field = detection_item.field
        if not field or not field.startswith(self.prefix):
            return None
        name = field[len(self.prefix) :]
        name_item = SigmaDetectionItem(self.name_field, [], [SigmaString(name)])
        values = detection_item.value
        if any(isinstance(v, SigmaExists) for v in values):
            if detection_item.negated or not all(
                isinstance(v, SigmaExists) and v.exists for v in values
            ):
                raise SigmaTransformationError(
                    f"'{field}|exists: false' cannot be expressed on the {self.name_field} list"
                )
            return SigmaDetection([name_item], item_linking=ConditionAND)
        value_item = SigmaDetectionItem(
            self.value_field,
            list(detection_item.modifiers),
            list(values),
            value_linking=detection_item.value_linking,
            auto_modifiers=False,
        )
        return SigmaDetection([name_item, value_item], item_linking=ConditionAND)


def _plain_string(value) -> SigmaString | None:
    return value if isinstance(value, SigmaString) else None


@dataclass
class SubstringFieldTransformation(DetectionItemTransformation):
    """Map fields that a platform only renders into one free-text field onto that field, as
    substring matches.

    The Splunk add-on renders the MSExchange Management log classically: the cmdlet, its
    parameters and the caller are only in ``Message``. ``CmdletName: Set-Mailbox`` becomes
    ``Message=*Set-Mailbox*`` (and ``|endswith``/``|startswith`` values get the missing
    wildcard), so the Splunk form of such a rule is looser than the native one: the value may
    stand anywhere in the message. Regular expressions keep their pattern, which searches
    anywhere already.
    """

    fields: tuple = ()
    target: str = ""
    # Also keep the field itself (an OR of both), where some collectors name it and others
    # only render it (the native MSExchange Management log, structured or flattened).
    keep_field: bool = False

    def apply_detection_item(self, detection_item: SigmaDetectionItem):
        if detection_item.field not in self.fields:
            return None
        values = []
        for value in detection_item.value:
            s = _plain_string(value)
            if s is not None:
                if not s.startswith(SpecialChars.WILDCARD_MULTI):
                    s = SigmaString("*") + s
                if not s.endswith(SpecialChars.WILDCARD_MULTI):
                    s = s + SigmaString("*")
                value = s
            values.append(value)
        rendered = SigmaDetectionItem(
            self.target,
            list(detection_item.modifiers),
            values,
            value_linking=detection_item.value_linking,
            auto_modifiers=False,
        )
        if not self.keep_field:
            return rendered
        own = SigmaDetectionItem(
            detection_item.field,
            list(detection_item.modifiers),
            list(detection_item.value),
            value_linking=detection_item.value_linking,
            auto_modifiers=False,
        )
        return SigmaDetection([own, rendered], item_linking=ConditionOR)


@dataclass
class ImageNameTransformation(DetectionItemTransformation):
    """Map ``Image|endswith: '\\\\name.exe'`` onto a field that holds only the process name.

    Splunk's CIM Filesystem dataset carries ``process_name`` but no process path, so a rule
    that names processes by the end of their path keeps its meaning there; any other form
    (a directory prefix, a substring) cannot be expressed and fails the conversion.
    """

    source_field: str = "Image"
    target: str = "process_name"

    def apply_detection_item(self, detection_item: SigmaDetectionItem):
        if detection_item.field != self.source_field:
            return None
        names = []
        for value in detection_item.value:
            s = _plain_string(value)
            parts = tuple(s.s) if s is not None else ()
            if (
                len(parts) != 2
                or parts[0] != SpecialChars.WILDCARD_MULTI
                or not isinstance(parts[1], str)
                or not parts[1].startswith("\\")
                or "\\" in parts[1][1:]
            ):
                raise SigmaTransformationError(
                    f"'{self.source_field}' values must read '\\\\name' with |endswith to map onto {self.target}"
                )
            names.append(SigmaString(parts[1][1:]))
        values: list[SigmaType] = list(names)
        return SigmaDetectionItem(
            self.target, [], values, value_linking=detection_item.value_linking
        )


@dataclass
class RegistryDwordTransformation(DetectionItemTransformation):
    """Rewrite Sysmon's ``DWORD (0x00000001)`` registry values as the decimal text the Elastic
    Windows integration stores in ``registry.data.strings`` (``1``)."""

    field: str = "Details"

    def apply_detection_item(self, detection_item: SigmaDetectionItem):
        if detection_item.field != self.field:
            return None
        values, changed = [], False
        for value in detection_item.value:
            s = _plain_string(value)
            text = s.to_plain() if s is not None and not s.contains_special() else ""
            if text.startswith("DWORD (0x") and text.endswith(")"):
                value, changed = SigmaString(str(int(text[len("DWORD (0x") : -1], 16))), True
            values.append(value)
        if not changed:
            return None
        detection_item.value = values
        return None


# Where a processed correlation keeps the derived fields it groups by (name -> how this
# platform computes it: {"sources": [[field, pattern or None], ...], "normalise": pattern}).
DERIVED_FIELDS = "t1114_derived_fields"


def derived_fields(rule) -> dict[str, dict]:
    """The derived fields a processed correlation groups by or counts, as its platform
    computes them."""
    return dict(getattr(rule, "custom_attributes", {}).get(DERIVED_FIELDS, {}))


@dataclass
class DerivedFieldTransformation(PreprocessingTransformation):
    """Attach to a correlation the derived fields (``base.DerivedField``) it groups by or
    counts the values of, under
    the platform's names, for the backends and engines that compute them."""

    derived: dict = field(default_factory=dict)

    def apply(self, rule: SigmaRule | SigmaCorrelationRule) -> None:
        if not isinstance(rule, SigmaCorrelationRule):
            return
        fieldref = getattr(rule.condition, "fieldref", None)
        named = [
            *(rule.group_by or []),
            *([fieldref] if isinstance(fieldref, str) else fieldref or []),
        ]
        used = {name: self.derived[name] for name in named if name in self.derived}
        if used:
            rule.custom_attributes.setdefault(DERIVED_FIELDS, {}).update(used)
            super().apply(rule)
