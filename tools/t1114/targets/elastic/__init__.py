"""Elastic: one target, two query languages, split as pySigma's Elasticsearch backend splits
them (one module per language): EQL for event and temporal rules on keyword fields
(``eql``), ES|QL for rules on analysed text fields and counting correlations (``esql``); the
regex translation both use is ``lucene_regex``, the Kibana rules file ``package``.
"""

from __future__ import annotations

import copy
import datetime as dt

from sigma.correlations import SigmaCorrelationRule, SigmaCorrelationType

from sigma.pipelines.t1114.elastic import ELASTIC_SOURCES, elastic_pipeline
from t1114 import schema
from t1114.compiled import CompiledQuery
from t1114.schema import analysed_fields, index_datasets
from t1114.synthetic import native_event
from t1114.targets import renderers as shapes
from t1114.targets.base import Target, detection_fields, logsources_of
from t1114.targets.elastic.eql import PackEqlBackend
from t1114.targets.elastic.esql import PackEsqlBackend
from t1114.targets.elastic.lucene_regex import lucene_regex
from t1114.targets.elastic.package import write_rules
from t1114.verify.base import Context

__all__ = ["TARGET", "ElasticTarget", "PackEqlBackend", "PackEsqlBackend", "lucene_regex"]


def corpus_event(f: dict, at: dt.datetime) -> dict:
    """A synthetic event as the integrations index it (t1114.corpus): its source's record, rendered
    by t1114.targets.renderers with the usual collector."""
    return shapes.render(native_event(f, at), "elastic")[0]


_COUNTING = (SigmaCorrelationType.EVENT_COUNT, SigmaCorrelationType.VALUE_COUNT)


def _event_rules(rule):
    """The rule itself, or the event rules a correlation references (through nested ones)."""
    if isinstance(rule, SigmaCorrelationRule):
        return [r for ref in rule.rules or [] for r in _event_rules(ref.rule)]
    return [rule]


class ElasticTarget(Target):
    name = "elastic"
    shape = "elastic"
    description = (
        "EQL (event and temporal rules on keyword fields) and ES|QL (rules on text fields, counting "
        "correlations) over ECS and integration fields"
    )
    timestamp_fields = ("@timestamp",)

    def evaluation_pipeline(self, tuning=None):
        return elastic_pipeline(tuning)

    def applies_to(self, rule):
        """Not to rules on a log source no Elastic integration of the pack records."""
        return not any(
            source.unavailable and source.logsource.matches(ls)
            for ls in logsources_of(rule)
            for source in ELASTIC_SOURCES.values()
        )

    def backend_for(self, rule, tuning=None):
        # EQL's ":" and "like~" compare case-insensitively, as Sigma does, and its sequences
        # keep a sliding window; ES|QL counts (STATS) and reads text fields' values.
        if self.needs_esql(rule, tuning):
            return PackEsqlBackend(processing_pipeline=self.query_pipeline(tuning)), "esql", "esql"
        return PackEqlBackend(processing_pipeline=self.query_pipeline(tuning)), "eql", "eql"

    def needs_esql(self, rule, tuning=None) -> bool:
        """Counting correlations, and every rule (or correlation of rules) that compares a field
        Elasticsearch maps as analysed text: EQL's operators need keyword-family fields, while
        ES|QL evaluates LIKE/RLIKE on a text field's value."""
        if isinstance(rule, SigmaCorrelationRule) and rule.type in _COUNTING:
            return True
        return bool(self.text_fields(rule, tuning))

    def text_fields(self, rule, tuning=None) -> set[str]:
        """The analysed text fields a rule compares once mapped: a copy of each event rule goes
        through the query pipeline, as conversion would take it, and the fields it then names
        are looked up in the schema of the data streams the pipeline pins it to."""
        found: set[str] = set()
        for event_rule in _event_rules(copy.deepcopy(rule)):
            pipeline = self.query_pipeline(tuning)
            pipeline.apply(event_rule)
            datasets = index_datasets(pipeline.state.get("index", []))
            found |= analysed_fields(datasets, detection_fields(event_rule))
        return found

    def extra_for(self, rule):
        indices: set[str] = set()
        integrations: set[str] = set()
        for ls in logsources_of(rule):
            for source in ELASTIC_SOURCES.values():
                if source.logsource.matches(ls):
                    indices.update(source.index_patterns)
                    integrations.update(source.integrations)
        return {"index": sorted(indices), "integrations": sorted(integrations)}

    def unknown_fields(self, compiled):
        datasets = schema.elastic_datasets(compiled)
        fields = schema.elastic_fields(datasets)
        if not fields:
            return [f"no Elastic schema for data streams {datasets}"]
        return [
            f"field '{f}' is not in the schema of {', '.join(datasets)}"
            for f in compiled.fields
            if not schema.elastic_has(f, fields)
        ]

    def verification_context(self, compiled: CompiledQuery) -> Context:
        # A rule searches only its index patterns; field types decide how values compare.
        datasets = tuple(schema.elastic_datasets(compiled))
        return Context(
            self.name,
            tuple(self.timestamp_fields),
            field_types=schema.elastic_dataset_fields(),
            datasets=datasets,
        )

    def corpus_event(self, facts, at):
        return corpus_event(facts, at)

    def package(self, bundle, out):
        write_rules(bundle, out)


TARGET = ElasticTarget()
