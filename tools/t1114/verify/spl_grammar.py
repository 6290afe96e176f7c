"""A pyparsing grammar of the SPL the pack's Splunk backend emits.

It covers the ``search`` language (field comparisons, ``IN`` lists, ``NOT``/``OR``/implicit
``AND`` with Splunk's precedence — NOT, then OR, then AND — parentheses, macros, free terms)
and the commands the backend pipes into: ``search``, ``regex``, ``rex``, ``where``, ``eval``, ``sort``,
``streamstats``, ``multisearch``, ``tstats``, ``rename``, ``table``, ``fields``, ``convert``
and macro commands. ``eval``/``where``
expressions follow the eval precedence (``* / %``, ``+ - .``, comparisons, ``NOT``, ``AND``,
``OR``). Anything else is a syntax error here, so a backend change that emits a new construct
fails the build until the grammar (and the evaluator) learn it.

Parse results are plain tuples: ``("cmp", field, op, value)``, ``("in", field, [values])``,
``("and", [..])``, ``("or", [..])``, ``("not", x)``, ``("macro", name)``, ``("term", value)``;
values are ``("str", raw)`` for quoted and ``("bare", raw)`` for unquoted text.
"""

from __future__ import annotations

from functools import lru_cache

import pyparsing as pp

pp.ParserElement.enable_packrat()

_KEYWORDS = {"OR", "AND", "NOT", "IN"}
_CLAUSE_WORDS = {"by"}  # ends a tstats where clause; the backend quotes every value it emits


def _quoted(quote: str) -> pp.ParserElement:
    body = pp.Regex(quote + r"(?:\\.|[^\\" + quote + r"])*" + quote, flags=0)
    return body


@lru_cache(maxsize=1)
def grammar() -> pp.ParserElement:
    LPAR, RPAR = pp.Suppress("("), pp.Suppress(")")
    LBRACK, RBRACK = pp.Suppress("["), pp.Suppress("]")
    PIPE = pp.Suppress("|")
    OR, AND, NOT, IN = (pp.Keyword(k) for k in ("OR", "AND", "NOT", "IN"))

    dq = _quoted('"')
    sq = _quoted("'")
    name = pp.Regex(r"[A-Za-z_@][\w.{}:@-]*")
    field = dq.copy().set_parse_action(
        lambda t: ("qfield", t[0][1:-1])
    ) | name.copy().set_parse_action(lambda t: ("field", t[0]))
    bare = pp.Regex(r'[^\s()\[\]|"=<>!,`]+').add_condition(
        lambda t: t[0] not in _KEYWORDS | _CLAUSE_WORDS
    )
    value = dq.copy().set_parse_action(lambda t: ("str", t[0])) | bare.copy().add_parse_action(
        lambda t: ("bare", t[0])
    )
    op = pp.one_of("!= <= >= = < >")

    # --- search expressions ------------------------------------------------------------------
    search_expr = pp.Forward()
    comparison = (field + op + value).set_parse_action(lambda t: ("cmp", t[0], t[1], t[2]))
    in_list = (field + IN.suppress() + LPAR + pp.DelimitedList(value) + RPAR).set_parse_action(
        lambda t: ("in", t[0], list(t[1:]))
    )
    macro = pp.Regex(r"`([^`]+)`").set_parse_action(lambda t: ("macro", t[0][1:-1]))
    group = LPAR + search_expr + RPAR
    atom = (
        group
        | in_list
        | comparison
        | macro
        | value.copy().add_parse_action(lambda t: ("term", t[0]))
    )
    negated = pp.Forward()
    negated <<= (NOT.suppress() + negated).set_parse_action(lambda t: ("not", t[0])) | atom
    disjunction = (negated + pp.ZeroOrMore(OR.suppress() + negated)).set_parse_action(
        lambda t: t[0] if len(t) == 1 else ("or", list(t))
    )
    conjunction = (
        disjunction + pp.ZeroOrMore(pp.Optional(AND).suppress() + disjunction)
    ).set_parse_action(lambda t: t[0] if len(t) == 1 else ("and", list(t)))
    search_expr <<= conjunction

    # --- eval expressions --------------------------------------------------------------------
    eval_expr = pp.Forward()
    number = pp.Regex(r"\d+(?:\.\d+)?").set_parse_action(lambda t: ("num", float(t[0])))
    string = dq.copy().set_parse_action(lambda t: ("str", t[0]))
    quoted_field = sq.copy().set_parse_action(lambda t: ("field", t[0][1:-1].replace("\\'", "'")))
    call = (
        pp.Regex(r"[A-Za-z_]\w*") + LPAR + pp.Optional(pp.DelimitedList(eval_expr)) + RPAR
    ).set_parse_action(lambda t: ("call", t[0].lower(), list(t[1:])))
    ref = (
        pp.Regex(r"[A-Za-z_][\w.{}]*")
        .add_condition(lambda t: t[0] not in _KEYWORDS | {"LIKE"})
        .add_parse_action(lambda t: ("field", t[0]))
    )
    operand = call | number | string | quoted_field | ref

    def unwrap(x):
        while isinstance(x, pp.ParseResults) and len(x) == 1:
            x = x[0]
        return x

    def binary(t):
        items = [unwrap(i) for i in t[0]]
        node = items[0]
        for i in range(1, len(items), 2):
            node = ("bin", items[i], node, items[i + 1])
        return node

    eval_expr <<= pp.infix_notation(
        operand,
        [
            (pp.one_of("* / %"), 2, pp.OpAssoc.LEFT, binary),
            (pp.one_of("+ - ."), 2, pp.OpAssoc.LEFT, binary),
            (pp.one_of("== != <= >= = < >") | pp.Keyword("LIKE"), 2, pp.OpAssoc.LEFT, binary),
            (NOT, 1, pp.OpAssoc.RIGHT, lambda t: ("not", unwrap(t[0][1]))),
            (AND, 2, pp.OpAssoc.LEFT, binary),
            (pp.Keyword("OR") | pp.Keyword("XOR"), 2, pp.OpAssoc.LEFT, binary),
        ],
    )

    # --- commands ----------------------------------------------------------------------------
    command = pp.Forward()
    search_cmd = (pp.Keyword("search").suppress() + search_expr).set_parse_action(
        lambda t: ("search", t[0])
    )
    regex_cmd = (pp.Keyword("regex").suppress() + field + pp.one_of("!= =") + dq).set_parse_action(
        lambda t: ("regex", t[0], t[1], t[2])
    )
    rex_cmd = (pp.Keyword("rex").suppress() + pp.Suppress("field=") + field + dq).set_parse_action(
        lambda t: ("rex", t[0], t[1])
    )
    where_cmd = (pp.Keyword("where").suppress() + eval_expr).set_parse_action(
        lambda t: ("where", t[0])
    )
    assignment = pp.Group(field + pp.Suppress("=") + eval_expr)
    eval_cmd = (pp.Keyword("eval").suppress() + pp.DelimitedList(assignment)).set_parse_action(
        lambda t: ("eval", [(a[0], a[1]) for a in t])
    )
    sort_key = pp.Group(pp.Optional(pp.one_of("+ -"), default="+") + field)
    sort_cmd = (
        pp.Keyword("sort").suppress()
        + pp.Optional(pp.Regex(r"\d+"), default="0")
        + pp.DelimitedList(sort_key)
    ).set_parse_action(lambda t: ("sort", int(t[0]), [(k[0], k[1]) for k in t[1:]]))
    option = pp.Group(
        pp.one_of(
            "current window time_window global allnum reset_on_change reset_before reset_after",
            as_keyword=True,
        )
        + pp.Suppress("=")
        + bare
    )
    agg_func = pp.Regex(r"[A-Za-z_]\w*")
    agg = pp.Group(
        agg_func
        + pp.Optional(LPAR + pp.Optional(field, default=None) + RPAR, default=None)
        + pp.Optional(pp.Keyword("as").suppress() + field, default=None)
    ).add_condition(lambda t: t[0][0] not in ("by", "from", "where"))
    by_clause = pp.Keyword("by").suppress() + pp.OneOrMore(field + pp.Optional(pp.Suppress(",")))
    streamstats_cmd = (
        pp.Keyword("streamstats").suppress()
        + pp.Group(pp.ZeroOrMore(option))
        + pp.Group(agg + pp.ZeroOrMore(pp.Optional(pp.Suppress(",")) + agg))
        + pp.Group(pp.Optional(by_clause))
    ).set_parse_action(
        lambda t: ("streamstats", {o[0]: o[1] for o in t[0]}, [tuple(a) for a in t[1]], list(t[2]))
    )
    rename_cmd = (
        pp.Keyword("rename").suppress()
        + pp.DelimitedList(pp.Group(field + pp.Keyword("as").suppress() + field))
    ).set_parse_action(lambda t: ("rename", [(a[0], a[1]) for a in t]))
    columns_cmd = (
        pp.one_of("table fields", as_keyword=True)
        + pp.Optional(pp.one_of("+ -"))
        + pp.DelimitedList(field, delim=pp.Optional(","))
    ).set_parse_action(lambda t: ("columns", t[0]))
    subsearch = pp.Group(LBRACK + search_cmd + pp.ZeroOrMore(PIPE + command) + RBRACK)
    tstats_option = pp.Group(pp.Regex(r"[a-z_]+") + pp.Suppress("=") + (dq | bare))
    tstats_cmd = (
        pp.Keyword("tstats").suppress()
        + pp.Group(pp.ZeroOrMore(tstats_option))
        + pp.Group(agg + pp.ZeroOrMore(pp.Optional(pp.Suppress(",")) + agg))
        + pp.Keyword("from").suppress()
        + pp.Suppress("datamodel=")
        + pp.Regex(r"[\w.]+")
        + pp.Optional(pp.Keyword("where").suppress() + search_expr, default=None)
        + pp.Group(pp.Optional(by_clause))
    ).set_parse_action(
        lambda t: (
            "tstats",
            {o[0]: o[1] for o in t[0]},
            [tuple(a) for a in t[1]],
            t[2],
            t[3],
            list(t[4]),
        )
    )
    convert_cmd = (
        pp.Keyword("convert").suppress()
        + pp.ZeroOrMore(pp.Group(pp.Regex(r"[a-z_]+") + pp.Suppress("=") + (dq | bare)))
        + pp.OneOrMore(agg)
    ).set_parse_action(lambda t: ("columns", "convert"))
    macro_cmd = macro.copy().set_parse_action(lambda t: ("macro_command", t[0][1:-1]))
    multisearch_cmd = (
        pp.Keyword("multisearch").suppress() + pp.OneOrMore(subsearch)
    ).set_parse_action(lambda t: ("multisearch", [list(s) for s in t]))
    command <<= (
        multisearch_cmd
        | search_cmd
        | regex_cmd
        | rex_cmd
        | convert_cmd
        | macro_cmd
        | where_cmd
        | eval_cmd
        | sort_cmd
        | streamstats_cmd
        | rename_cmd
        | columns_cmd
    )
    initial = search_expr.copy().set_parse_action(lambda t: ("search", t[0]))
    # A query either starts with a search or pipes into a generating command (multisearch):
    # "| rex ..." first would have no events to work on, and Splunk rejects it.
    pipeline = (
        (initial | PIPE + (multisearch_cmd | tstats_cmd)) + pp.ZeroOrMore(PIPE + command)
    ).set_parse_action(lambda t: [list(t)])
    return pipeline + pp.StringEnd()


def parse_spl(text: str) -> list:
    return grammar().parse_string(text, parse_all=True)[0]


def parse_search(text: str):
    """A search expression on its own (a macro's definition)."""
    return grammar().parse_string(text, parse_all=True)[0][0][1]
