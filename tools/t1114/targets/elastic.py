from __future__ import annotations

import copy
import itertools
import re

from sigma.backends.elasticsearch import ESQLBackend, EqlBackend
from sigma.correlations import SigmaCorrelationRule, SigmaCorrelationType
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.types import SigmaNumber, SigmaRegularExpressionFlag, SigmaString, SpecialChars
from sigma.pipelines.t1114.elastic import ELASTIC_SOURCES, elastic_pipeline

from t1114.schema import analysed_fields, index_datasets
from t1114.targets.base import Target, detection_fields, logsources_of


_LUCENE_OPERATORS = set('@&~<>#"')  # the optional operators, and '"' which quotes a literal
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
    body = "".join(out)
    if not (anchored_start and anchored_end):
        body = f"({body})"  # so that a|b stays one alternative between the .* ends
    return ("" if anchored_start else ".*") + body + ("" if anchored_end else ".*")


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
        return super().convert_value_str(s, state).replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")

    @staticmethod
    def _string_literal(text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
        return f'"{escaped}"'

    def _string_match(self, cond, insensitive: bool) -> str:
        """``:``/``like~`` (or ``==``/``like`` when cased) with EQL's two wildcards, which it
        cannot escape: a value holding a literal ``*`` or ``?`` uses ``in~`` or the
        ``stringContains~``/``startsWith~``/``endsWith~`` functions instead."""
        field = self.escape_and_quote_field(cond.field)
        parts = cond.value.s
        literal = [p for p in parts if isinstance(p, str)]
        tilde = "~" if insensitive else ""
        if not any(c in self._WILDCARDS for p in literal for c in p):
            pattern = "".join(p if isinstance(p, str) else "*" if p is SpecialChars.WILDCARD_MULTI else "?" for p in parts)
            if not cond.value.contains_special():
                return f"{field} {':' if insensitive else '=='} {self._string_literal(pattern)}"
            return f"{field} {':' if insensitive else 'like'} {self._string_literal(pattern)}"
        inner = parts
        starts = bool(inner) and inner[0] is SpecialChars.WILDCARD_MULTI
        ends = bool(inner) and inner[-1] is SpecialChars.WILDCARD_MULTI
        core = inner[1 if starts else 0 : len(inner) - (1 if ends else 0)]
        if any(not isinstance(p, str) for p in core):
            raise SigmaFeatureNotSupportedByBackendError(
                "EQL cannot match a literal '*' or '?' inside a wildcard pattern"
            )
        text = self._string_literal("".join(core))
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
        raise SigmaFeatureNotSupportedByBackendError("EQL has no free-text search: keyword detections need a field")

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
    value_count_aggregation_expression = {"stats": "| stats value_count=count_distinct({field}){fields}{groupby}"}

    def convert_condition_not(self, cond, state):
        # ES|QL is three-valued: a condition on a missing field is null, and NOT null drops the
        # row. Sigma's "not filter" holds for an event without the filter's field.
        # (A function argument needs no parentheses, and each nesting level costs Elastic's
        # ES|QL parser dearly.)
        inner = self.convert_condition(cond.args[0], state)
        return f"not coalesce({inner}, false)"

    @staticmethod
    def _string_literal(text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
        return f'"{escaped}"'

    def convert_condition_field_eq_val_str(self, cond, state):
        value: SigmaString = cond.value
        field = f"to_lower({self.escape_and_quote_field(cond.field)})"
        if not value.contains_special():
            plain = "".join(part for part in value.s if isinstance(part, str))
            return f"{field}=={self._string_literal(plain.lower())}"
        pattern = []
        for part in value.s:
            if part is SpecialChars.WILDCARD_MULTI:
                pattern.append("*")
            elif part is SpecialChars.WILDCARD_SINGLE:
                pattern.append("?")
            elif isinstance(part, str):
                pattern.append("".join("\\" + c if c in "\\*?" else c for c in part.lower()))
            else:
                raise SigmaFeatureNotSupportedByBackendError(f"ES|QL cannot express the value part {part!r}")
        return f"{field} like {self._string_literal(''.join(pattern))}"

    def convert_condition_field_eq_val_re(self, cond, state):
        # RLIKE is Lucene regex syntax over the whole value and case-sensitive: translate the
        # Sigma regex, and for a case-insensitive one lower-case the field and the pattern's
        # literal letters (escapes such as \\W keep their case).
        ignore_case = SigmaRegularExpressionFlag.IGNORECASE in cond.value.flags
        try:
            pattern = lucene_regex(cond.value.escape((), "", False, False))
        except ValueError as e:
            raise SigmaFeatureNotSupportedByBackendError(f"regular expression for ES|QL: {e}") from None
        field = self.escape_and_quote_field(cond.field)
        if ignore_case:
            pattern = re.sub(r"(\\.)|([^\\])", lambda m: m.group(1) or m.group(2).lower(), pattern)
            field = f"to_lower({field})"
        return f"{field} rlike {self._string_literal(pattern)}"

    # --- index patterns ---------------------------------------------------------------------

    def preprocess_indices(self, indices):
        # A rule's state holds its list of patterns; a correlation gathers its rules' joined lists.
        patterns = {p.strip() for item in self.flatten_list_of_indices(indices) for p in str(item).split(",") if p.strip()}
        if not patterns:
            return self.state_defaults["index"]
        return self.wildcard_multi if self.wildcard_multi in patterns else ", ".join(sorted(patterns))

    # --- correlations -----------------------------------------------------------------------

    def convert_correlation_temporal_ordered_rule(self, rule, output_format=None, method="stats"):
        raise SigmaFeatureNotSupportedByBackendError(
            "an ordered correlation in ES|QL (it has no sequences); the referenced rules need ES|QL"
        )

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
            expression = f"mv_append({expression}, date_trunc({width}, @timestamp + {offset}) - {offset})"
        return f"| eval {self.window_field}={expression}"

    def _group_keys(self, rule) -> str:
        if not rule.group_by:
            return ""
        keys = ", ".join(
            f"{self.group_key_field.format(index=i)}=to_lower(to_string({self.escape_and_quote_field(f)}))"
            for i, f in enumerate(rule.group_by)
        )
        return f"| eval {keys}"

    @staticmethod
    def _rule_flag(reference) -> str:
        """The column flagging events of one referenced rule: the rule's name."""
        name = str(reference.rule.name or reference.rule.id)
        return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else "`" + name.replace("`", "``") + "`"

    def convert_correlation_typing(self, rule):
        flags = []
        for reference in rule.referenced_rules:
            condition = " or ".join(str(q) for q in reference.rule.get_conversion_result())
            flags.append(f"{self._rule_flag(reference)}=case({condition}, 1, 0)")
        return "| eval " + ", ".join(flags)

    def convert_correlation_aggregation_groupby_from_template(self, group_by, method):
        if not group_by:
            return super().convert_correlation_aggregation_groupby_from_template(group_by, method)
        keys = ", ".join(self.group_key_field.format(index=i) for i in range(len(group_by)))
        return f" by {self.window_field}, {keys}"

    def convert_correlation_aggregation_from_template(self, rule, correlation_type, method, search):
        if correlation_type == "temporal":
            seen = ", ".join(f"{flag}=max({flag})" for flag in map(self._rule_flag, rule.referenced_rules))
            fields = self.convert_correlation_aggregation_fields_from_template(
                rule.fields, rule.referenced_rules, rule.group_by, method
            )
            aggregate = f"| stats {seen}{fields}" + self.convert_correlation_aggregation_groupby_from_template(
                rule.group_by, method
            )
        else:
            aggregate = super().convert_correlation_aggregation_from_template(rule, correlation_type, method, search)
        return "\n".join(filter(None, [self._group_keys(rule), self._window(rule), aggregate]))

    def convert_correlation_condition_from_template(self, cond, referenced_rules, correlation_type, method):
        if correlation_type != "temporal":
            return super().convert_correlation_condition_from_template(cond, referenced_rules, correlation_type, method)
        # Sigma's temporal condition counts distinct rules; without one, all of them.
        op, count = (">=", len(referenced_rules)) if cond is None or cond.count is None else (
            self.correlation_condition_mapping[cond.op],
            cond.count,
        )
        flags = " + ".join(map(self._rule_flag, referenced_rules))
        return f"| eval {self.rule_count_field}={flags}\n| where {self.rule_count_field} {op} {count}"


_COUNTING = (SigmaCorrelationType.EVENT_COUNT, SigmaCorrelationType.VALUE_COUNT)


def _event_rules(rule):
    """The rule itself, or the event rules a correlation references (through nested ones)."""
    if isinstance(rule, SigmaCorrelationRule):
        return [r for ref in rule.rules for r in _event_rules(ref.rule)]
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
