"""ES|QL: rules on analysed text fields and counting correlations."""

from __future__ import annotations

import re

from sigma.backends.elasticsearch import ESQLBackend
from sigma.correlations import SigmaCorrelationType
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.types import SigmaRegularExpressionFlag, SigmaString, SpecialChars

from sigma.pipelines.t1114.transformations import derived_fields
from t1114.targets.elastic.lucene_regex import lucene_regex, string_literal


class PackEsqlBackend(ESQLBackend):
    """ES|QL that matches strings the way Sigma does, reads the rule's own data streams and
    counts correlations in overlapping windows.

    ES|QL compares strings case-sensitively and the stock backend emits ``field == "v"`` and
    ``LIKE`` as they are, so ``new-mailboxexportrequest`` slips past a rule written in mixed
    case. Here every string match lower-cases the field (``TO_LOWER``) and the value, and
    ``LIKE`` patterns escape a literal backslash, ``*`` and ``?`` (ES|QL's ``LIKE`` treats the
    backslash as its escape character, so the stock ``"C:\\\\Windows*"`` would not match a
    Windows path). Group-by keys are lower-cased too: Sigma groups case-insensitively. ``NOT``
    treats a null condition (a missing field) as false before negating, as Sigma does.

    ``FROM`` lists the index patterns the pipeline puts in its state (``index``), for a
    correlation those of every rule it references, instead of the stock ``FROM *``.

    Correlations: ES|QL has no sliding window, so each event is counted in ``window_hops``
    windows of the timespan that start every timespan/``window_hops`` (``window_start``, a
    multivalued ``STATS ... BY`` key puts the row in each of its groups). Events spanning at
    most timespan - timespan/``window_hops`` always share a window; events spanning more than
    the timespan never do; in between it depends on where the window edges fall (Sigma's
    window slides, so it always finds them). A ``temporal`` correlation flags each referenced
    rule in its own column (an event may match several) and counts the rules seen per window.
    """

    convert_or_as_in = False  # each value goes through TO_LOWER; ES|QL's IN has no such form
    group_key_field = "t1114_key{index}"
    window_field = "window_start"
    window_hops = 4
    rule_count_field = "rule_count"

    groupby_expression_nofield = {"stats": " by window_start"}
    # OR binds loosest, so the referenced rules' conditions join without parentheses.
    correlation_search_multi_rule_query_expression = "{query}"
    event_count_aggregation_expression = {"stats": "| stats event_count=count(){fields}{groupby}"}
    value_count_aggregation_expression = {
        "stats": "| stats value_count=count_distinct({field}){fields}{groupby}"
    }

    def convert_condition_not(self, cond, state):
        # ES|QL is three-valued: a condition on a missing field is null, and NOT null drops the
        # row. Sigma's "not filter" holds for an event without the filter's field.
        # (A function argument needs no parentheses, and each nesting level costs Elastic's
        # ES|QL parser dearly.)
        inner = self.convert_condition(cond.args[0], state)
        return f"not coalesce({inner}, false)"

    def convert_condition_field_eq_val_str(self, cond, state):
        value: SigmaString = cond.value
        field = f"to_lower({self.escape_and_quote_field(cond.field)})"
        if not value.contains_special():
            plain = "".join(part for part in value.s if isinstance(part, str))
            return f"{field}=={string_literal(plain.lower())}"
        pattern = []
        for part in value.s:
            if part is SpecialChars.WILDCARD_MULTI:
                pattern.append("*")
            elif part is SpecialChars.WILDCARD_SINGLE:
                pattern.append("?")
            elif isinstance(part, str):
                pattern.append("".join("\\" + c if c in "\\*?" else c for c in part.lower()))
            else:
                raise SigmaFeatureNotSupportedByBackendError(
                    f"ES|QL cannot express the value part {part!r}"
                )
        return f"{field} like {string_literal(''.join(pattern))}"

    def convert_condition_field_eq_val_re(self, cond, state):
        # RLIKE is Lucene regex syntax over the whole value and case-sensitive: translate the
        # Sigma regex, and for a case-insensitive one lower-case the field and the pattern's
        # literal letters (escapes such as \\W keep their case).
        ignore_case = SigmaRegularExpressionFlag.IGNORECASE in cond.value.flags
        try:
            pattern = lucene_regex(cond.value.escape((), "", False, False))
        except ValueError as e:
            raise SigmaFeatureNotSupportedByBackendError(
                f"regular expression for ES|QL: {e}"
            ) from None
        field = self.escape_and_quote_field(cond.field)
        if ignore_case:
            pattern = re.sub(r"(\\.)|([^\\])", lambda m: m.group(1) or m.group(2).lower(), pattern)
            field = f"to_lower({field})"
        return f"{field} rlike {string_literal(pattern)}"

    # --- index patterns ---------------------------------------------------------------------

    def preprocess_indices(self, indices):
        # A rule's state holds its list of patterns; a correlation gathers its rules' joined lists.
        patterns = {
            p.strip()
            for item in self.flatten_list_of_indices(indices)
            for p in str(item).split(",")
            if p.strip()
        }
        if not patterns:
            return self.state_defaults["index"]
        return (
            self.wildcard_multi if self.wildcard_multi in patterns else ", ".join(sorted(patterns))
        )

    # --- correlations -----------------------------------------------------------------------

    temporal_ordered_correlation_query = {"stats": "{search}\n{typing}\n{aggregate}\n{condition}"}
    first_seen_suffix = "_first"
    last_seen_suffix = "_last"

    def convert_correlation_temporal_ordered_rule(self, rule, output_format=None, method="stats"):
        # ES|QL has no sequences. For two rules "an event of the first, then one of the second,
        # in one window" is exactly "the first rule's earliest event is not after the second's
        # latest" in that window; a longer chain is not a min/max question.
        if len(rule.referenced_rules) != 2:
            raise SigmaFeatureNotSupportedByBackendError(
                "an ordered correlation of more than two rules in ES|QL (it has no sequences)"
            )
        return self.convert_correlation_rule_from_template(rule, "temporal_ordered", method)

    def convert_correlation_search_field_normalization_expression(self, aliases, rule_reference):
        if len(aliases):
            raise SigmaFeatureNotSupportedByBackendError("field aliases in an ES|QL correlation")
        return ""

    @staticmethod
    def _duration(seconds: float) -> str:
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
            if seconds >= size and seconds % size == 0:
                n = int(seconds // size)
                return f"{n} {unit}{'s' if n != 1 else ''}"
        return f"{round(seconds * 1000)} milliseconds"

    def _window(self, rule) -> str:
        """Every event in ``window_hops`` windows of the timespan, named by their start."""
        span = rule.timespan.seconds
        width = self._duration(span)
        expression = f"date_trunc({width}, @timestamp)"
        for k in range(1, self.window_hops):
            offset = self._duration(span * k / self.window_hops)
            expression = (
                f"mv_append({expression}, date_trunc({width}, @timestamp + {offset}) - {offset})"
            )
        return f"| eval {self.window_field}={expression}"

    def derived_expression(self, spec: dict) -> str:
        """A derived field (t1114.derived) as an ES|QL expression: ``REPLACE`` reads Java
        patterns and replaces nothing where its anchored pattern does not match."""
        values = [
            self.escape_and_quote_field(f)
            if pattern is None
            else f'replace({self.escape_and_quote_field(f)}, {string_literal(pattern)}, "$1")'
            for f, pattern in spec["sources"]
        ]
        first = values[0] if len(values) == 1 else f"coalesce({', '.join(values)})"
        return f'replace(to_lower({first}), {string_literal(spec["normalise"])}, "$1")'

    def _group_keys(self, rule) -> str:
        """The lower-cased group keys; a derived field the correlation groups by or counts is
        computed first, under its name."""
        specs = derived_fields(rule)
        if not rule.group_by and not specs:
            return ""
        keys = ", ".join(
            [
                f"{self.escape_and_quote_field(name)}={self.derived_expression(specs[name])}"
                for name in sorted(specs)
            ]
            + [
                f"{self.group_key_field.format(index=i)}=to_lower(to_string({self.escape_and_quote_field(f)}))"
                for i, f in enumerate(rule.group_by)
            ]
        )
        return f"| eval {keys}"

    @staticmethod
    def _rule_flag(reference) -> str:
        """The column flagging events of one referenced rule: the rule's name."""
        name = str(reference.rule.name or reference.rule.id)
        return (
            name
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)
            else "`" + name.replace("`", "``") + "`"
        )

    def _seen_at(self, reference, suffix: str) -> str:
        """The column holding when an event of one referenced rule was seen."""
        return self._rule_flag(reference).strip("`") + suffix

    def convert_correlation_typing(self, rule):
        flags = []
        for reference in rule.referenced_rules:
            condition = " or ".join(str(q) for q in reference.rule.get_conversion_result())
            flags.append(f"{self._rule_flag(reference)}=case({condition}, 1, 0)")
        typing = "| eval " + ", ".join(flags)
        if rule.type == SigmaCorrelationType.TEMPORAL_ORDERED:
            first, then = rule.referenced_rules
            typing += (
                f"\n| eval {self._seen_at(first, '_at')}=case({self._rule_flag(first)} == 1, @timestamp),"
                f" {self._seen_at(then, '_at')}=case({self._rule_flag(then)} == 1, @timestamp)"
            )
        return typing

    def convert_correlation_aggregation_groupby_from_template(self, group_by, method):
        if not group_by:
            return super().convert_correlation_aggregation_groupby_from_template(group_by, method)
        keys = ", ".join(self.group_key_field.format(index=i) for i in range(len(group_by)))
        return f" by {self.window_field}, {keys}"

    def convert_correlation_aggregation_from_template(self, rule, correlation_type, method, search):
        if correlation_type == "temporal_ordered":
            first, then = rule.referenced_rules
            fields = self.convert_correlation_aggregation_fields_from_template(
                rule.fields, rule.referenced_rules, rule.group_by, method
            )
            aggregate = (
                f"| stats {self._seen_at(first, self.first_seen_suffix)}=min({self._seen_at(first, '_at')}),"
                f" {self._seen_at(then, self.last_seen_suffix)}=max({self._seen_at(then, '_at')}){fields}"
                + self.convert_correlation_aggregation_groupby_from_template(rule.group_by, method)
            )
        elif correlation_type == "temporal":
            seen = ", ".join(
                f"{flag}=max({flag})" for flag in map(self._rule_flag, rule.referenced_rules)
            )
            fields = self.convert_correlation_aggregation_fields_from_template(
                rule.fields, rule.referenced_rules, rule.group_by, method
            )
            aggregate = (
                f"| stats {seen}{fields}"
                + self.convert_correlation_aggregation_groupby_from_template(rule.group_by, method)
            )
        else:
            aggregate = super().convert_correlation_aggregation_from_template(
                rule, correlation_type, method, search
            )
        return "\n".join(filter(None, [self._group_keys(rule), self._window(rule), aggregate]))

    def convert_correlation_condition_from_template(
        self, cond, referenced_rules, correlation_type, method
    ):
        if correlation_type == "temporal_ordered":
            first, then = referenced_rules
            return (
                f"| where {self._seen_at(first, self.first_seen_suffix)}"
                f" <= {self._seen_at(then, self.last_seen_suffix)}"
            )
        if correlation_type != "temporal":
            return super().convert_correlation_condition_from_template(
                cond, referenced_rules, correlation_type, method
            )
        # Sigma's temporal condition counts distinct rules; without one, all of them.
        op, count = (
            (">=", len(referenced_rules))
            if cond is None or cond.count is None
            else (
                self.correlation_condition_mapping[cond.op],
                cond.count,
            )
        )
        flags = " + ".join(map(self._rule_flag, referenced_rules))
        return (
            f"| eval {self.rule_count_field}={flags}\n| where {self.rule_count_field} {op} {count}"
        )
