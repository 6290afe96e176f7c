"""EQL: event rules on keyword fields and temporal correlations as sequences."""

from __future__ import annotations

import itertools

from sigma.backends.elasticsearch import EqlBackend
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.types import SigmaNumber, SigmaRegularExpressionFlag, SigmaString, SpecialChars

from t1114.targets.elastic.lucene_regex import lucene_regex, string_literal


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
    # The stock backend escapes a newline as a backslash before the raw character, which EQL's
    # strings reject; control characters are written as \n, \r, \t below instead.
    add_escaped = '\\"'
    _WILDCARDS = "*?"

    def convert_value_str(self, s, state):
        return (
            super()
            .convert_value_str(s, state)
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            .replace("\t", "\\t")
        )

    def _string_match(self, cond, insensitive: bool) -> str:
        """``:``/``like~`` (or ``==``/``like`` when cased) with EQL's two wildcards, which it
        cannot escape: a value holding a literal ``*`` or ``?`` uses ``in~`` or the
        ``stringContains~``/``startsWith~``/``endsWith~`` functions instead."""
        field = self.escape_and_quote_field(cond.field)
        parts = cond.value.s
        literal = [p for p in parts if isinstance(p, str)]
        tilde = "~" if insensitive else ""
        if not any(c in self._WILDCARDS for p in literal for c in p):
            pattern = "".join(
                p if isinstance(p, str) else "*" if p is SpecialChars.WILDCARD_MULTI else "?"
                for p in parts
            )
            if not cond.value.contains_special():
                return f"{field} {':' if insensitive else '=='} {string_literal(pattern)}"
            return f"{field} {':' if insensitive else 'like'} {string_literal(pattern)}"
        inner = parts
        starts = bool(inner) and inner[0] is SpecialChars.WILDCARD_MULTI
        ends = bool(inner) and inner[-1] is SpecialChars.WILDCARD_MULTI
        core = inner[1 if starts else 0 : len(inner) - (1 if ends else 0)]
        if any(not isinstance(p, str) for p in core):
            raise SigmaFeatureNotSupportedByBackendError(
                "EQL cannot match a literal '*' or '?' inside a wildcard pattern"
            )
        text = string_literal("".join(core))
        if starts and ends:
            return f"stringContains{tilde}({field}, {text})"
        if ends:
            return f"startsWith{tilde}({field}, {text})"
        if starts:
            return f"endsWith{tilde}({field}, {text})"
        return f"{field} in{tilde} ({text})"

    def convert_condition_field_eq_val_str(self, cond, state):
        return self._string_match(cond, insensitive=True)

    def convert_condition_field_eq_val_num(self, cond, state):
        # EQL's ":" takes strings only (``process.pid : 4`` does not parse).
        return f"{self.escape_and_quote_field(cond.field)} == {cond.value}"

    def convert_condition_val_str(self, cond, state):
        raise SigmaFeatureNotSupportedByBackendError(
            "EQL has no free-text search: keyword detections need a field"
        )

    convert_condition_val_num = convert_condition_val_str
    convert_condition_val_re = convert_condition_val_str

    def decide_convert_condition_as_in_expression(self, cond, state):
        # A list (``like~ (...)``) goes through the stock escaping; values with a literal
        # wildcard character take the per-value path above.
        for arg in cond.args:
            value = getattr(arg, "value", None)
            if isinstance(value, SigmaString) and any(
                c in self._WILDCARDS for p in value.s if isinstance(p, str) for c in p
            ):
                return False
            if isinstance(value, SigmaNumber):
                return False  # "like~ (25, 465)" does not parse: numbers go through "=="
        return super().decide_convert_condition_as_in_expression(cond, state)

    def convert_condition_field_eq_val_str_case_sensitive(self, cond, state):
        # The stock backend emits ``field == "*x*"``, and EQL's ``==`` has no wildcards.
        return self._string_match(cond, insensitive=False)

    def convert_condition_field_eq_val_re(self, cond, state):
        # EQL's regex is Lucene's: it must match the whole value and knows no (?i); its
        # "regex~" form is the case-insensitive one.
        operator = (
            "regex~" if SigmaRegularExpressionFlag.IGNORECASE in cond.value.flags else "regex"
        )
        try:
            pattern = lucene_regex(cond.value.escape((), "", False, False))
        except ValueError as e:
            raise SigmaFeatureNotSupportedByBackendError(
                f"regular expression for EQL: {e}"
            ) from None
        quoted = pattern.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.escape_and_quote_field(cond.field)} {operator} "{quoted}"'

    max_temporal_rules = 4  # 4! = 24 sequences; beyond that an any-order window needs another form

    def _maxspan(self, rule) -> str:
        span = rule.timespan
        if span.unit in ("s", "m", "h", "d"):
            return span.spec
        if span.unit == "w":
            return f"{span.count * 7}d"
        raise SigmaFeatureNotSupportedByBackendError(
            f"EQL maxspan cannot express the timespan {span.spec}"
        )

    def _join_keys(self, rule, ref) -> list[str]:
        keys = []
        for field in rule.group_by or []:
            alias = next((a for a in rule.aliases if a.alias == field), None)
            if alias is not None:
                names = (ref.reference, ref.rule.name, str(ref.rule.id))
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
                raise SigmaFeatureNotSupportedByBackendError(
                    f"rule '{ref.rule.name}' converts to {len(queries)} queries"
                )
            # Referenced rules convert to bare conditions; a sequence step needs its category.
            condition = str(queries[0])
            if not condition.startswith("any where "):
                condition = f"any where {condition}"
            step = f"  [{condition}]"
            if per_step and rule.group_by:
                step += " by " + ", ".join(self._join_keys(rule, ref))
            steps.append(step)
        return "\n".join([header, *steps])

    def convert_correlation_temporal_ordered_rule(
        self, rule, output_format=None, method="sequence"
    ):
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
