from __future__ import annotations

import itertools

from sigma.backends.elasticsearch import ESQLBackend, EqlBackend
from sigma.correlations import SigmaCorrelationRule, SigmaCorrelationType
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.pipelines.t1114.elastic import ELASTIC_SOURCES, elastic_pipeline

from t1114.targets.base import Target, logsources_of


class PackEqlBackend(EqlBackend):
    """EQL with field existence and correlations that keep Sigma's time window.

    The stock backend refuses ``|exists`` (EQL's ``!= null`` is it), emits ``temporal`` as a
    ``sample`` with no time window (and Kibana rules cannot run samples), and appends
    ``with runs=`` to ``temporal_ordered`` sequences. Here ``temporal_ordered`` is one
    ``sequence ... with maxspan``, and ``temporal`` (any order) is one such sequence per order
    of its rules, each a separate query.
    """

    field_exists_expression = "{field} != null"
    field_not_exists_expression = "{field} == null"
    max_temporal_rules = 4  # 4! = 24 sequences; beyond that an any-order window needs another form

    def _maxspan(self, rule) -> str:
        span = rule.timespan
        if span.unit in ("s", "m", "h", "d"):
            return span.spec
        if span.unit == "w":
            return f"{span.count * 7}d"
        raise SigmaFeatureNotSupportedByBackendError(f"EQL maxspan cannot express the timespan {span.spec}")

    def _join_keys(self, rule, ref) -> list[str]:
        keys = []
        for field in rule.group_by or []:
            alias = next((a for a in rule.aliases if a.alias == field), None)
            if alias is not None:
                # Alias references are not resolved by pySigma; match them by name or id.
                names = {ref.reference, ref.rule.name, str(ref.rule.id)}
                mapped = next((f for r, f in alias.mapping.items() if r.reference in names), field)
                keys.append(self.escape_and_quote_field(mapped))
            else:
                keys.append(self.escape_and_quote_field(field))
        return keys

    def _sequence(self, rule, order) -> str:
        per_step = bool(rule.aliases)
        header = "sequence"
        if rule.group_by and not per_step:
            header += " by " + ", ".join(self.escape_and_quote_field(f) for f in rule.group_by)
        header += f" with maxspan={self._maxspan(rule)}"
        steps = []
        for ref in order:
            queries = ref.rule.get_conversion_result()
            if len(queries) != 1:
                raise SigmaFeatureNotSupportedByBackendError(f"rule '{ref.rule.name}' converts to {len(queries)} queries")
            # Referenced rules convert to bare conditions; a sequence step needs its category.
            condition = str(queries[0])
            if not condition.startswith("any where "):
                condition = f"any where {condition}"
            step = f"  [{condition}]"
            if per_step and rule.group_by:
                step += " by " + ", ".join(self._join_keys(rule, ref))
            steps.append(step)
        return "\n".join([header, *steps])

    def convert_correlation_temporal_ordered_rule(self, rule, output_format=None, method="sequence"):
        return [self._sequence(rule, rule.rules)]

    def convert_correlation_temporal_rule(self, rule, output_format=None, method="sequence"):
        if len(rule.rules) > self.max_temporal_rules:
            raise SigmaFeatureNotSupportedByBackendError(
                f"an any-order temporal correlation of more than {self.max_temporal_rules} rules"
            )
        return [self._sequence(rule, order) for order in itertools.permutations(rule.rules)]


class ElasticTarget(Target):
    name = "elastic"
    shape = "elastic"
    description = "EQL (event and temporal rules) and ES|QL (count rules) over ECS and integration fields"
    timestamp_fields = ("@timestamp",)

    def evaluation_pipeline(self, tuning=None):
        return elastic_pipeline(tuning)

    def unsupported(self, rule):
        for ls in logsources_of(rule):
            for source in ELASTIC_SOURCES.values():
                if source.unavailable and source.logsource.matches(ls):
                    return source.unavailable
        return None

    def backend_for(self, rule, tuning=None):
        # EQL's ":" and "like~" compare case-insensitively, as Sigma does; counting
        # correlations need ES|QL's STATS.
        if isinstance(rule, SigmaCorrelationRule) and rule.type in (
            SigmaCorrelationType.EVENT_COUNT,
            SigmaCorrelationType.VALUE_COUNT,
        ):
            return ESQLBackend(processing_pipeline=self.query_pipeline(tuning)), "esql", "esql"
        return PackEqlBackend(processing_pipeline=self.query_pipeline(tuning)), "eql", "eql"

    def extra_for(self, rule):
        indices, integrations = set(), set()
        for ls in logsources_of(rule):
            for source in ELASTIC_SOURCES.values():
                if source.logsource.matches(ls):
                    indices.update(source.index_patterns)
                    integrations.update(source.integrations)
        return {"index": sorted(indices), "integrations": sorted(integrations)}


TARGET = ElasticTarget()
