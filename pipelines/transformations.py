"""pySigma transformations the stock library does not have."""

from __future__ import annotations

from dataclasses import dataclass

from sigma.conditions import ConditionAND
from sigma.exceptions import SigmaTransformationError
from sigma.processing.transformations.base import DetectionItemTransformation
from sigma.rule import SigmaDetection, SigmaDetectionItem
from sigma.types import SigmaExists, SigmaString


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
        name = field[len(self.prefix):]
        name_item = SigmaDetectionItem(self.name_field, [], [SigmaString(name)])
        values = detection_item.value
        if any(isinstance(v, SigmaExists) for v in values):
            if detection_item.negated or not all(isinstance(v, SigmaExists) and v.exists for v in values):
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
