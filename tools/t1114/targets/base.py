"""What a target platform is to the pack.

A target knows how to turn the pack's Sigma rules into the queries users import (its
``query_pipeline`` and backends), how the engine evaluates its fixture events (its
``evaluation_pipeline`` over pySigma's SQLite backend), which fields its data has
(``unknown_fields``), how its queries are evaluated (``verification_context``), what its
events look like (``shape``, ``corpus_event``) and what it ships (``package``). Everything
else reaches a platform through these; adding one is one module (or package) in
``t1114.targets`` that defines ``TARGET``, or a ``t1114.targets`` entry point (see
``t1114.targets``).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from sigma.collection import SigmaCollection
from sigma.conversion.base import Backend
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.rule.base import SigmaRuleBase

from t1114 import derived
from t1114.compiled import CompiledQuery
from t1114.errors import PackError
from t1114.verify.base import Context

if TYPE_CHECKING:
    from t1114.package import Bundle

__all__ = ["CompiledQuery", "Target", "detection_fields", "logsources_of"]


def detection_fields(rule: SigmaRuleBase) -> set[str]:
    """Field names a (processed) rule's query refers to."""
    found: set[str] = set()
    if isinstance(rule, SigmaCorrelationRule):
        # An alias names no field of its own; the fields are those it maps to in each rule.
        aliases = {alias.alias for alias in rule.aliases}
        # A derived field names none either: the fields it is computed from.
        specs = derived.derived_fields(rule)
        found.update(f for f in rule.group_by or [] if f not in aliases and f not in specs)
        for spec in specs.values():
            found.update(derived.source_fields(spec))
        for alias in rule.aliases:
            found.update(alias.mapping.values())
        fieldref = getattr(rule.condition, "fieldref", None)  # an extended condition has none
        refs = fieldref if isinstance(fieldref, list) else [fieldref] if fieldref else []
        found.update(f for f in refs if f not in specs)
        return found

    def walk(item):
        if isinstance(item, SigmaDetection):
            for sub in item.detection_items:
                walk(sub)
        elif isinstance(item, SigmaDetectionItem) and item.field:
            found.add(item.field)

    assert isinstance(rule, SigmaRule)
    for detection in rule.detection.detections.values():
        walk(detection)
    return found


def logsources_of(rule: SigmaRuleBase) -> list:
    """The Sigma log sources a rule reads, through the rules a correlation references."""
    if isinstance(rule, SigmaCorrelationRule):
        return [ls for ref in rule.rules or [] for ls in logsources_of(ref.rule)]
    assert isinstance(rule, SigmaRule)
    return [rule.logsource]


class Target(ABC):
    name: ClassVar[str]
    shape: ClassVar[str]  # the fixture event shape this target reads
    builds: ClassVar[bool] = True  # False: evaluated and scanned, but no artifacts
    description: ClassVar[str] = ""
    timestamp_fields: ClassVar[tuple[str, ...]] = ("@timestamp",)

    @abstractmethod
    def evaluation_pipeline(self, tuning: dict | None = None) -> ProcessingPipeline:
        """The pipeline the engine applies before the SQLite backend.

        ``tuning``: the pack's tuning lists (see t1114.tuning); None keeps the defaults.
        """

    def query_pipeline(self, tuning: dict | None = None) -> ProcessingPipeline:
        return self.evaluation_pipeline(tuning)

    # The backend output format of the shipped queries (None: the backend's default).
    output_format: ClassVar[str | None] = None

    def applies_to(self, rule: SigmaRuleBase) -> bool:
        """Whether the target has a form of this rule (a variant target may cover only some
        log sources); rules it does not apply to are neither compiled nor evaluated on it."""
        return True

    def backend_for(
        self, rule: SigmaRuleBase, tuning: dict | None = None
    ) -> tuple[Backend, str, str]:
        """(backend, language, file extension) for one rule."""
        raise NotImplementedError(f"target {self.name} ships no queries")

    def compile_rule(
        self,
        collection: SigmaCollection,
        rule_id: str,
        path: str | None = None,
        tuning: dict | None = None,
    ) -> CompiledQuery | None:
        """The shipped query of one rule.

        ``collection`` holds the rule and the rules it references, freshly parsed: a backend
        converts the references first because a correlation query embeds theirs, and each
        rule may need a different backend (and so its own conversions).
        """
        rule = collection[rule_id]
        if not rule._output or not self.applies_to(rule):
            return None
        backend, language, extension = self.backend_for(rule, tuning)
        try:
            if self.output_format:
                backend.convert(collection, self.output_format)
            else:
                backend.convert(collection)
        except SigmaError as e:
            raise PackError(path, f"cannot compile for {self.name}: {e}") from None
        queries = rule.get_conversion_result()
        if not queries:
            return None
        fields = set(detection_fields(rule))
        if isinstance(rule, SigmaCorrelationRule):
            for ref in rule.rules or []:
                fields |= detection_fields(ref.rule)
        return CompiledQuery(
            rule_id=str(rule.id),
            rule_name=rule.name or str(rule.id),
            target=self.name,
            language=language,
            extension=extension,
            text="\n\n".join(str(q).strip() for q in queries) + "\n",
            fields=tuple(sorted(fields)),
            extra=self._extra(rule),
            queries=tuple(str(q).strip() for q in queries),
        )

    def _extra(self, rule: SigmaRuleBase) -> dict:
        extra = dict(self.extra_for(rule))
        if isinstance(rule, SigmaCorrelationRule):
            # The fields a correlation's results keep, as this target names them (packagers
            # make risk objects and triage notes of them).
            extra.setdefault("group_by", list(rule.group_by or []))
        return extra

    def extra_for(self, rule: SigmaRuleBase) -> dict:
        """Target-specific facts about a compiled rule (indices, macros) for packaging."""
        return {}

    def unknown_fields(self, compiled: CompiledQuery) -> list[str]:
        """Messages for fields of a compiled query that the platform's data lacks (a misspelt
        or unmapped field would make the query silently match nothing); none when the target
        has no schema to check against."""
        return []

    def verification_context(self, compiled: CompiledQuery) -> Context:
        """What evaluating the shipped query over fixture events needs to know of the platform
        (macro definitions, field types, the data streams it reads)."""
        return Context(self.name, tuple(self.timestamp_fields))

    def corpus_event(self, facts: dict, at: dt.datetime) -> dict:
        """One synthetic background event (t1114.corpus) in this target's shape: ``facts``
        says what happened (``kind``: process, network, logon, audit, and its details)."""
        raise NotImplementedError(f"target {self.name} renders no synthetic events")

    def package(self, bundle: Bundle, out: Path) -> None:  # noqa: B027 - optional: no artifacts
        """Write this target's import-ready artifacts into ``out`` (``dist/<target>/``).

        ``bundle`` holds the pack and its compiled queries; most targets delegate to a module
        of ``t1114.package``. A target without artifacts of its own writes nothing.
        """
