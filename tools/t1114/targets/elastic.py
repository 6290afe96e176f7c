from __future__ import annotations

from sigma.backends.elasticsearch import ESQLBackend, EqlBackend
from sigma.correlations import SigmaCorrelationRule, SigmaCorrelationType
from sigma.pipelines.t1114.elastic import ELASTIC_SOURCES, t1114_elastic_pipeline

from t1114.targets.base import Target, logsources_of


class PackEqlBackend(EqlBackend):
    """EQL with field existence, which the stock backend refuses; EQL's ``!= null`` is it."""

    field_exists_expression = "{field} != null"
    field_not_exists_expression = "{field} == null"


class ElasticTarget(Target):
    name = "elastic"
    shape = "elastic"
    description = "EQL (event and temporal rules) and ES|QL (count rules) over ECS and integration fields"
    timestamp_fields = ("@timestamp",)

    def evaluation_pipeline(self):
        return t1114_elastic_pipeline()

    def backend_for(self, rule):
        # EQL's ":" and "like~" compare case-insensitively, as Sigma does; counting
        # correlations need ES|QL's STATS.
        if isinstance(rule, SigmaCorrelationRule) and rule.type in (
            SigmaCorrelationType.EVENT_COUNT,
            SigmaCorrelationType.VALUE_COUNT,
        ):
            return ESQLBackend(processing_pipeline=self.query_pipeline()), "esql", "esql"
        return PackEqlBackend(processing_pipeline=self.query_pipeline()), "eql", "eql"

    def extra_for(self, rule):
        indices, integrations = set(), set()
        for ls in logsources_of(rule):
            for source in ELASTIC_SOURCES.values():
                if source.logsource.matches(ls):
                    indices.update(source.index_patterns)
                    integrations.update(source.integrations)
        return {"index": sorted(indices), "integrations": sorted(integrations)}

    def package(self, bundle, out):
        from t1114.package.elastic import write_rules

        write_rules(bundle, out)


TARGET = ElasticTarget()
