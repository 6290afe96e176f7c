from __future__ import annotations

import itertools

from sigma.backends.elasticsearch import ESQLBackend, EqlBackend
from sigma.correlations import SigmaCorrelationRule, SigmaCorrelationType
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.types import SigmaRegularExpressionFlag
from sigma.pipelines.t1114.elastic import ELASTIC_SOURCES, t1114_elastic_pipeline

from t1114.targets.base import Target, logsources_of


_LUCENE_OPERATORS = set("@&~<>#")
_SHORTHANDS = set("dDsSwWbBAzZ")


def lucene_regex(pattern: str) -> str:
    """A Sigma (searching, PCRE-style) regular expression as a Lucene one, which EQL uses.

    Lucene regexes match the whole value, so an unanchored pattern gets ``.*`` on that side
    and ``^``/``$`` anchors are dropped; its optional operators (``@ & ~ < > #``) are escaped
    when they stand for themselves. What Lucene cannot express (shorthand classes such as
    ``\\s``, group modifiers such as ``(?:``, anchors inside the pattern) is refused, so rules
    keep to the portable subset.
    """
    body = pattern
    anchored_start = body.startswith("^")
    if anchored_start:
        body = body[1:]
    anchored_end = body.endswith("$") and not body.endswith("\\$")
    if anchored_end:
        body = body[:-1]
    out, i, in_class = [], 0, False
    while i < len(body):
        c = body[i]
        if in_class:
            # Inside [...] only the escape and the closing bracket are special here.
            if c == "]" and not (out and out[-1] == "["):
                in_class = False
        elif c == "[":
            in_class = True
            out.append(c)
            if body[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            i += 1
            continue
        if c == "\\":
            if i + 1 >= len(body):
                raise ValueError("trailing backslash")
            nxt = body[i + 1]
            if nxt in _SHORTHANDS:
                raise ValueError(f"'\\{nxt}' has no Lucene equivalent; write a character class")
            out.append(c + nxt)
            i += 2
            continue
        if in_class:
            out.append(c)
            i += 1
            continue
        if c == "(" and body[i + 1 : i + 2] == "?":
            raise ValueError("group modifiers '(?...)' have no Lucene equivalent")
        if c in "^$":
            raise ValueError(f"anchor '{c}' inside the pattern has no Lucene equivalent")
        out.append("\\" + c if c in _LUCENE_OPERATORS else c)
        i += 1
    return ("" if anchored_start else ".*") + "".join(out) + ("" if anchored_end else ".*")


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

    def convert_condition_field_eq_val_re(self, cond, state):
        # EQL's regex is Lucene's: it must match the whole value and knows no (?i); its
        # "regex~" form is the case-insensitive one.
        operator = "regex~" if SigmaRegularExpressionFlag.IGNORECASE in cond.value.flags else "regex"
        try:
            pattern = lucene_regex(cond.value.escape((), "", False, False))
        except ValueError as e:
            raise SigmaFeatureNotSupportedByBackendError(f"regular expression for EQL: {e}") from None
        quoted = pattern.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.escape_and_quote_field(cond.field)} {operator} "{quoted}"'

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
                mapped = next((f for r, f in alias.mapping.items() if r.rule is ref.rule), field)
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

    def _distinct_rules_needed(self, rule) -> int:
        """How many of the referenced rules must match: Sigma's temporal condition counts
        distinct rules (all of them when the condition is absent)."""
        n = len(rule.rules)
        condition = rule.condition
        if condition is None or condition.count is None:
            return n
        op = condition.op.name
        needed = {"GTE": condition.count, "GT": condition.count + 1}.get(op)
        if needed is None or not 1 <= needed <= n:
            raise SigmaFeatureNotSupportedByBackendError(
                f"a temporal condition '{op.lower()} {condition.count}' over {n} rules in EQL"
            )
        return needed

    def convert_correlation_temporal_rule(self, rule, output_format=None, method="sequence"):
        if len(rule.rules) > self.max_temporal_rules:
            raise SigmaFeatureNotSupportedByBackendError(
                f"an any-order temporal correlation of more than {self.max_temporal_rules} rules"
            )
        # "k of n rules in any order" is every ordered choice of k distinct rules.
        needed = self._distinct_rules_needed(rule)
        return [self._sequence(rule, order) for order in itertools.permutations(rule.rules, needed)]


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
