"""SPL searches whose correlations keep Sigma's sliding time window."""

from __future__ import annotations

import re

from sigma.backends.splunk import SplunkBackend
from sigma.backends.splunk.splunk import SplunkDeferredORRegularExpression
from sigma.conditions import ConditionFieldEqualsValueExpression, ConditionNOT
from sigma.conversion.base import TextQueryBackend
from sigma.types import SigmaString

from sigma.pipelines.t1114.transformations import derived_fields

_WINDOW = "window"


def _spl_string(text: str) -> str:
    """An eval string literal: quotes and backslashes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def derived_expression(spec: dict) -> str:
    """A derived field (t1114.derived) as an eval expression: ``replace`` reads PCRE, and
    replaces nothing where its anchored pattern does not match."""
    values = [
        f"'{field}'" if pattern is None else f"replace('{field}', {_spl_string(pattern)}, \"\\1\")"
        for field, pattern in spec["sources"]
    ]
    first = values[0] if len(values) == 1 else f"coalesce({', '.join(values)})"
    return f'replace(lower({first}), {_spl_string(spec["normalise"])}, "\\1")'


class PackSplunkBackend(SplunkBackend):
    """SPL whose correlations keep Sigma's sliding time window.

    The stock backend counts within ``bin _time`` buckets, which misses events on either side
    of a bucket edge; here every correlation runs ``streamstats time_window=`` over events in
    time order, and ``temporal_ordered`` (which the stock backend lacks) chains one
    ``streamstats`` per step so that each rule's event follows the previous one's inside the
    window.

    Group-by values are compared case-insensitively, as Sigma (and the reference engine) does:
    Splunk groups ``by`` exact values, so each group field is lower-cased into
    ``t1114_key<i>`` first and the statistics group by those.
    """

    correlation_methods = {
        **SplunkBackend.correlation_methods,
        _WINDOW: "Correlation over a sliding time window (streamstats time_window), as Sigma defines it",
    }
    default_correlation_method = _WINDOW
    # pySigma annotates this as str, but backends define one template per method.
    default_correlation_query = {  # type: ignore[assignment]
        **SplunkBackend.default_correlation_query,  # type: ignore[dict-item]
        _WINDOW: "{search}\n\n{aggregate}\n\n{condition}",
    }
    event_count_aggregation_expression = {
        **SplunkBackend.event_count_aggregation_expression,
        _WINDOW: "| sort 0 _time\n| streamstats time_window={timespan} count as event_count{groupby}",
    }
    value_count_aggregation_expression = {
        **SplunkBackend.value_count_aggregation_expression,
        _WINDOW: "| sort 0 _time\n| streamstats time_window={timespan} dc({field}) as value_count{groupby}",
    }
    temporal_aggregation_expression = {
        **SplunkBackend.temporal_aggregation_expression,
        _WINDOW: "| sort 0 _time\n| streamstats time_window={timespan} dc(event_type) as event_type_count{groupby}",
    }
    groupby_expression = {**SplunkBackend.groupby_expression, _WINDOW: " by {fields}"}
    groupby_field_expression = {**SplunkBackend.groupby_field_expression, _WINDOW: "{field}"}
    group_key_field = "t1114_key{index}"
    groupby_field_expression_joiner = {
        **SplunkBackend.groupby_field_expression_joiner,
        _WINDOW: " ",
    }
    event_count_condition_expression = {
        **SplunkBackend.event_count_condition_expression,
        _WINDOW: "| search event_count {op} {count}",
    }
    value_count_condition_expression = {
        **SplunkBackend.value_count_condition_expression,
        _WINDOW: "| search value_count {op} {count}",
    }
    temporal_condition_expression = {
        **SplunkBackend.temporal_condition_expression,
        _WINDOW: "| search event_type_count {op} {count}",
    }

    @staticmethod
    def _negation_lost(cond: ConditionFieldEqualsValueExpression) -> bool:
        """Whether a piped ``| regex`` would lose a NOT above the condition: pySigma negates a
        deferred expression only when it is the NOT's own argument; inside a negated group
        (``not (A and B|re)``) the NOT reaches the group's search terms alone, and the piped
        regex would filter for B instead of for not B."""
        chain = cond.parent_chain_condition_classes()
        nots = chain.count(ConditionNOT)
        return nots > 1 or (nots == 1 and chain[0] is not ConditionNOT)

    def convert_condition_field_eq_val_re(self, cond, state):
        """A regex a NOT would not reach when piped is tested in the search itself, as the stock
        backend tests OR-ed regexes: ``| rex`` into a match field, ``| eval`` a condition
        field, and the condition field in the boolean search where the regex stood."""
        if not self._negation_lost(cond):
            return super().convert_condition_field_eq_val_re(cond, state)
        # Registered in the state as the stock backend registers an OR-ed regex (which passes no
        # detections either: a deferred expression needs only its parent condition).
        SplunkDeferredORRegularExpression(
            state, cond.field, TextQueryBackend.convert_condition_field_eq_val_re(self, cond, state)
        ).postprocess(None, cond)  # type: ignore[arg-type]
        matched = ConditionFieldEqualsValueExpression(
            SplunkDeferredORRegularExpression.get_field_condition(cond.field), SigmaString("true")
        )
        return self.convert_condition_field_eq_val_str(matched, state)

    def finish_query(self, rule, query, state):
        """OR-ed regexes become ``| rex ... | eval ... | search <condition>``; the stock backend
        hoists only leading ``field=value`` terms in front of the rex, so a search that starts
        with the source macro would start with ``| rex`` (not a generating command, which
        Splunk rejects). Move the leading macros in front instead."""
        query = super().finish_query(rule, query, state)
        marker = "\n| search "
        if isinstance(query, str) and query.lstrip("\n").startswith("| ") and marker in query:
            deferred, search = query.split(marker, 1)
            macros = re.match(r"\s*((?:`[^`]+`\s*)+)", search)
            if macros:
                query = (
                    macros.group(1).strip()
                    + "\n"
                    + deferred.lstrip("\n")
                    + marker
                    + search[macros.end() :]
                )
        return query

    def convert_correlation_aggregation_groupby_from_template(self, group_by, method):
        if method != _WINDOW or not group_by:
            return super().convert_correlation_aggregation_groupby_from_template(group_by, method)
        return " by " + " ".join(self.group_key_field.format(index=i) for i in range(len(group_by)))

    def group_keys(self, rule) -> str:
        """``| eval t1114_key0=lower('UserId'), ...`` for the group-by fields, or nothing; a
        derived field the correlation groups by or counts (t1114.derived) is computed first,
        under its own name."""
        specs = derived_fields(rule)
        if not rule.group_by and not specs:
            return ""
        computed = [f"{name}={derived_expression(specs[name])}" for name in sorted(specs)]
        keys = computed + [
            f"{self.group_key_field.format(index=i)}=lower('{field}')"
            for i, field in enumerate(rule.group_by)
        ]
        return f"| eval {', '.join(keys)}\n"

    def convert_correlation_aggregation_from_template(self, rule, correlation_type, method, search):
        aggregate = super().convert_correlation_aggregation_from_template(
            rule, correlation_type, method, search
        )
        return self.group_keys(rule) + aggregate if method == _WINDOW else aggregate

    def convert_correlation_temporal_ordered_rule(self, rule, output_format=None, method=_WINDOW):
        search = self.convert_correlation_search(rule)
        span = self.convert_timespan(rule.timespan, method)
        groupby = self.convert_correlation_aggregation_groupby_from_template(rule.group_by, method)
        names = [
            self.convert_correlation_ruleid(ref.rule.name or ref.rule.id, '"{ruleid}"')
            for ref in rule.rules
        ]
        # t1114_s<i>: for an event of rule i that completes steps 0..i, the time of the
        # latest step-0 event it can chain back to; the chain must start inside the window.
        steps = [
            *filter(None, [self.group_keys(rule).rstrip("\n")]),
            "| sort 0 _time",
            f'| eval t1114_s0=if(event_type="{names[0]}", _time, null())',
        ]
        for i in range(1, len(names)):
            steps.append(
                f"| streamstats current=f time_window={span} max(t1114_s{i - 1}) as t1114_p{i}{groupby}"
            )
            steps.append(
                f'| eval t1114_s{i}=if(event_type="{names[i]}" AND t1114_p{i} >= _time - {rule.timespan.seconds}, '
                f"t1114_p{i}, null())"
            )
        steps.append(f"| where isnotnull(t1114_s{len(names) - 1})")
        return [search + "\n\n" + "\n".join(steps)]
