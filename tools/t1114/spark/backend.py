"""Sigma rules to Spark SQL boolean expressions with the semantics ``scan`` evaluates.

A pySigma backend on ``TextQueryBackend``'s plugin points: each rule (after the target's
evaluation pipeline, the one the fixture tests and ``scan`` use) becomes one Spark SQL
expression over the event table of ``t1114.spark.tables``, where every field is a column named
by its lower-cased name, holding ``ARRAY<STRING>``: the field's values as ``scan`` stores them
(``engine._cell``), split at the multivalue separator, or NULL when the event lacks it.

The semantics, matched to ``t1114.engine``'s SQLite table:

* every comparison holds when any value of the field holds (``exists``);
* text compares case-insensitively (``lower``), ``|cased`` case-sensitively;
* equality and ``|gt``-style comparisons compare numerically when both sides read as numbers,
  as the engine's collation does; ``try_cast`` keeps a non-number from failing the query
  under ANSI mode;
* ``not`` keeps an event lacking the field (``NOT coalesce(x, false)``), as Sigma says;
* regular expressions are translated to Java's syntax (``t1114.spark.regex``) or refused;
* ``|cidr`` is an IPv4 range test in Spark functions (IPv6 falls back to pySigma's prefix
  expansion, as the SQLite backend does for both);
* every field name is quoted: flat names holding dots are columns, not struct paths.

Correlation rules are not turned into text: the backend applies the pipeline to them and
``t1114.spark.correlations`` plans them from the processed rule.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import ClassVar, cast

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
)
from sigma.conversion.base import TextQueryBackend
from sigma.conversion.state import ConversionState
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.rule import SigmaRule
from sigma.types import (
    SigmaBool,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SpecialChars,
)

from t1114.engine import _NUMBER
from t1114.spark.regex import to_java

# The engine's number test (t1114.engine._NUMBER), anchored for RLIKE's find semantics.
_NUMBER_JAVA = "^" + _NUMBER.pattern + "$"
_FLAGS = {
    SigmaRegularExpressionFlag.IGNORECASE: "i",
    SigmaRegularExpressionFlag.MULTILINE: "m",
    SigmaRegularExpressionFlag.DOTALL: "s",
}
_OPERATORS = {
    SigmaCompareExpression.CompareOperators.LT: "<",
    SigmaCompareExpression.CompareOperators.LTE: "<=",
    SigmaCompareExpression.CompareOperators.GT: ">",
    SigmaCompareExpression.CompareOperators.GTE: ">=",
}


def literal(text: str) -> str:
    """A Spark SQL string literal (backslash is an escape character in Spark's literals)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def column(name: str) -> str:
    """The event table's column of a field: its lower-cased name, always quoted."""
    return "`" + name.lower().replace("`", "``") + "`"


def _is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text) is not None


def _compare(x: str, value: str) -> str:
    """-1, 0 or 1 as the engine's collation orders a value and a constant: numerically when
    both read as numbers, else by case-folded text."""
    text = f"CASE WHEN lower({x}) < lower({literal(value)}) THEN -1 WHEN lower({x}) > lower({literal(value)}) THEN 1 ELSE 0 END"
    if not _is_number(value):
        return text
    number = f"try_cast(trim({x}) AS DOUBLE)"
    numeric = f"CASE WHEN {number} < {float(value)!r} THEN -1 WHEN {number} > {float(value)!r} THEN 1 ELSE 0 END"
    return f"(CASE WHEN {x} RLIKE {literal(_NUMBER_JAVA)} THEN {numeric} ELSE {text} END)"


def _equals(x: str, value: str) -> str:
    if not _is_number(value):
        return f"lower({x}) = lower({literal(value)})"
    return (
        f"(CASE WHEN {x} RLIKE {literal(_NUMBER_JAVA)} THEN try_cast(trim({x}) AS DOUBLE) = {float(value)!r} "
        f"ELSE lower({x}) = lower({literal(value)}) END)"
    )


def _like_pattern(value: SigmaString) -> str:
    out = []
    for part in value.s:
        if isinstance(part, str):
            out.append(re.sub(r"([\\%_])", r"\\\1", part))
        elif part == SpecialChars.WILDCARD_MULTI:
            out.append("%")
        elif part == SpecialChars.WILDCARD_SINGLE:
            out.append("_")
        else:
            raise SigmaFeatureNotSupportedByBackendError(f"placeholder left in value {value}")
    return "".join(out)


def _any(field_name: str, predicate: str) -> str:
    """The predicate (over ``x``) holds for some value of the field."""
    return f"exists({column(field_name)}, x -> {predicate})"


@dataclass
class ConvertedRule:
    """One rule as the Spark path needs it."""

    rule: SigmaRule | SigmaCorrelationRule
    condition: str | None  # None for correlation rules
    fields: set[str] = field(default_factory=set)  # lower-cased column names it reads
    output: bool = True  # False for a base rule a correlation hides (generate: false)


class SparkSQLBackend(TextQueryBackend):
    """Spark SQL expressions over the event table, with ``scan``'s Sigma semantics."""

    name: ClassVar[str] = "t1114 Spark SQL"
    formats: ClassVar[dict[str, str]] = {"default": "Spark SQL boolean expressions"}
    requires_pipeline: ClassVar[bool] = False
    precedence: ClassVar[tuple[type[ConditionItem], type[ConditionItem], type[ConditionItem]]] = (
        ConditionNOT,
        ConditionAND,
        ConditionOR,
    )
    group_expression: ClassVar[str] = "({expr})"
    token_separator: str = " "
    or_token: ClassVar[str] = "OR"
    and_token: ClassVar[str] = "AND"
    not_token: ClassVar[str] = "NOT"
    eq_token: ClassVar[str] = " = "
    str_quote: ClassVar[str] = "'"
    correlation_methods: ClassVar[dict[str, str]] = {
        "default": "planned by t1114.spark.correlations"
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields_by_rule: dict[int, set[str]] = {}
        self._rule: SigmaRule | None = None

    # --- the parts every leaf shares ----------------------------------------------------------

    def _field(self, name: str) -> str:
        if self._rule is not None:
            self.fields_by_rule.setdefault(id(self._rule), set()).add(name.lower())
        return name

    def convert_rule(self, rule, output_format=None, callback=None):
        self._rule = rule
        try:
            return super().convert_rule(rule, output_format, callback)
        finally:
            self._rule = None

    def convert_correlation_rule(
        self, rule: SigmaCorrelationRule, output_format=None, method=None, callback=None
    ):
        # The pipeline maps group-by and alias fields; t1114.spark.correlations reads them.
        self.last_processing_pipeline.apply(rule)
        return []

    def finalize_query_default(self, rule, query, index, state):
        return query

    def finalize_output_default(self, queries):
        return queries

    # --- boolean structure ---------------------------------------------------------------------

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> str:
        # Sigma: "not" holds for an event without the field. exists() over a NULL column is
        # NULL, so the negation is made null-safe, as the SQLite backend's COALESCE does.
        inner = self.convert_condition(cond.args[0], state)
        return f"NOT coalesce(({inner}), false)"

    # --- leaves ---------------------------------------------------------------------------------

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state
    ) -> str:
        value = cast(SigmaString, cond.value)
        name = self._field(cond.field)
        if value.contains_special():
            return _any(name, f"lower(x) LIKE lower({literal(_like_pattern(value))}) ESCAPE '\\\\'")
        return _any(name, _equals("x", str(value)))

    def convert_condition_field_eq_val_str_case_sensitive(self, cond, state) -> str:
        value = cast(SigmaString, cond.value)
        name = self._field(cond.field)
        if value.contains_special():
            return _any(name, f"x LIKE {literal(_like_pattern(value))} ESCAPE '\\\\'")
        return _any(name, f"x = {literal(str(value))}")

    def convert_condition_field_eq_val_num(self, cond, state) -> str:
        value = cast(SigmaNumber, cond.value)
        return _any(self._field(cond.field), _equals("x", str(value)))

    def convert_condition_field_eq_val_bool(self, cond, state) -> str:
        value = cast(SigmaBool, cond.value)
        text, number = ("true", "1") if value.boolean else ("false", "0")
        return _any(self._field(cond.field), f"({_equals('x', text)} OR {_equals('x', number)})")

    def convert_condition_field_eq_val_re(self, cond, state) -> str:
        value = cast(SigmaRegularExpression, cond.value)
        flags = "".join(sorted(_FLAGS[f] for f in value.flags))
        python = (f"(?{flags})" if flags else "") + str(value.regexp)
        return _any(self._field(cond.field), f"x RLIKE {literal(to_java(python))}")

    def convert_condition_field_eq_val_cidr(self, cond, state) -> str:
        cidr = cast(SigmaCIDRExpression, cond.value)
        network = cidr.network
        if not isinstance(network, ipaddress.IPv4Network):
            return cast(str, super().convert_condition_field_eq_val_cidr(cond, state))
        octets = r"^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$"
        parts = [
            f"try_cast(regexp_extract(x, {literal(octets)}, {i}) AS BIGINT)" for i in range(1, 5)
        ]
        number = " + ".join(f"{p} * {256 ** (3 - i)}" for i, p in enumerate(parts))
        valid = " AND ".join(f"{p} <= 255" for p in parts)
        low, high = int(network.network_address), int(network.broadcast_address)
        return _any(
            self._field(cond.field),
            f"(x RLIKE {literal(octets)} AND {valid} AND ({number}) BETWEEN {low} AND {high})",
        )

    def convert_condition_field_compare_op_val(self, cond, state) -> str:
        compare = cast(SigmaCompareExpression, cond.value)
        name = self._field(cond.field)
        value = str(compare.number)
        # The engine's collation on a multivalue field: equal when any value is, otherwise
        # ordered by the first value.
        order = (
            f"(CASE WHEN {column(name)} IS NULL THEN NULL WHEN {_any(name, _equals('x', value))} THEN 0 "
            f"ELSE {_compare(f'try_element_at({column(name)}, 1)', value)} END)"
        )
        return f"({order} {_OPERATORS[compare.op]} 0)"

    def convert_condition_field_eq_field(self, cond, state) -> str:
        left, right = self._field(cond.field), self._field(cond.value.field)
        same = (
            "(CASE WHEN x RLIKE {n} AND y RLIKE {n} THEN try_cast(trim(x) AS DOUBLE) = try_cast(trim(y) AS DOUBLE) "
            "ELSE lower(x) = lower(y) END)"
        ).format(n=literal(_NUMBER_JAVA))
        return f"exists({column(left)}, x -> exists({column(right)}, y -> {same}))"

    def convert_condition_field_eq_val_null(self, cond, state) -> str:
        return f"{column(self._field(cond.field))} IS NULL"

    def convert_condition_field_eq_val_exists(self, cond, state) -> str:
        test = "IS NOT NULL" if cond.value else "IS NULL"
        return f"{column(self._field(cond.field))} {test}"

    def convert_condition_field_eq_val_timestamp_part(self, cond, state):
        raise SigmaFeatureNotSupportedByBackendError(
            "time modifiers (|minute, |hour, ...) are not supported on Spark"
        )

    def convert_condition_val(self, cond, state):
        raise SigmaFeatureNotSupportedByBackendError(
            "keywords (values without a field) are not supported on Spark"
        )


def convert(collection, pipeline) -> list[ConvertedRule]:
    """Every rule of the collection that produces output, in the collection's order."""
    backend = SparkSQLBackend(processing_pipeline=pipeline)
    backend.convert(collection)
    converted = []
    for rule in collection.rules:
        if isinstance(rule, SigmaCorrelationRule):
            converted.append(ConvertedRule(rule, None, output=rule._output))
            continue
        queries = rule.get_conversion_result()
        condition = " OR ".join(f"({q})" for q in queries) if queries else "false"
        fields = backend.fields_by_rule.get(id(rule), set())
        converted.append(ConvertedRule(rule, condition, fields, output=rule._output))
    return converted
