"""The SPL verifier: grammar of the emitted subset and Splunk's matching semantics."""

import pytest

from t1114.events import Event, flatten
from t1114.verify import spl
from t1114.verify.base import Context, QuerySyntaxError, Unverifiable

CTX = Context("splunk", ("_time",), macros={"src": '(sourcetype="o365:management:activity")'})


def run(query, *docs):
    events = [Event(i, flatten(d)) for i, d in enumerate(docs)]
    return spl.evaluate(spl.parse(query), events, CTX)


def test_search_terms_ignore_case_and_wildcards_match():
    q = 'CommandLine="*New-MailboxExportRequest*"'
    assert run(
        q,
        {"CommandLine": "x new-mailboxexportrequest y"},
        {"CommandLine": "Get-MailboxExportRequest"},
    ) == {0}


def test_where_and_regex_are_case_sensitive():
    docs = ({"a": "Exchange"}, {"a": "exchange"})
    assert run('a=* | where a="Exchange"', *docs) == {0}
    assert run('a=* | regex a="^Ex"', *docs) == {0}
    assert run('a=* | regex a!="^Ex"', *docs) == {1}


def test_or_binds_tighter_than_implicit_and():
    # Splunk evaluates NOT, then OR, then AND: "a=1 b=1 OR c=1" is a=1 AND (b=1 OR c=1).
    q = "a=1 b=1 OR c=1"
    assert run(q, {"a": 1, "c": 1}, {"b": 1, "c": 1}, {"a": 1}) == {0}


def test_not_field_star_means_absent_and_multivalue_matches_any():
    assert run("NOT x=*", {"x": "v"}, {"y": 1}) == {1}
    assert run(
        '"P{}.Name"="ForwardTo"', {"P{}.Name": ["Name", "ForwardTo"]}, {"P{}.Name": ["Name"]}
    ) == {0}


def test_in_lists_numbers_and_escapes():
    assert run("EventCode IN (1, 4688)", {"EventCode": 4688}, {"EventCode": 11}) == {0}
    assert run("n>=100", {"n": "250"}, {"n": 99}) == {0}
    assert run(
        'p="*\\\\powershell.exe"', {"p": "C:\\x\\PowerShell.exe"}, {"p": "powershell.exe"}
    ) == {0}
    assert run('c="*a\\"b*"', {"c": 'x a"b y'}, {"c": "ab"}) == {0}


def test_cidr_values_match_addresses():
    assert run(
        'ip="10.0.0.0/8" OR ip="2001:db8::/32"',
        {"ip": "10.1.2.3"},
        {"ip": "2001:db8::1"},
        {"ip": "11.0.0.1"},
    ) == {0, 1}


def test_macros_expand_to_their_definition():
    docs = (
        {"sourcetype": "o365:management:activity", "Operation": "x"},
        {"sourcetype": "other", "Operation": "x"},
    )
    assert run("`src` Operation=x", *docs) == {0}
    with pytest.raises(Unverifiable, match="no known definition"):
        run("`unknown` Operation=x", *docs)


def test_streamstats_window_groups_exactly_and_excludes_current():
    base = "x=* | sort 0 _time | streamstats time_window=1h count as n by u | search n >= 2"
    docs = (
        {"x": 1, "u": "a", "_time": "2026-01-01T10:00:00Z"},
        {"x": 1, "u": "a", "_time": "2026-01-01T10:30:00Z"},
        {
            "x": 1,
            "u": "A",
            "_time": "2026-01-01T10:40:00Z",
        },  # another group: Splunk groups by exact value
        {"x": 1, "u": "a", "_time": "2026-01-01T12:00:00Z"},  # outside the window
    )
    assert run(base, *docs) == {1}
    ordered = (
        '| multisearch [ search x=1 | eval t="one" ] [ search x=2 | eval t="two" ]\n| sort 0 _time'
        '\n| eval s0=if(t="one", _time, null())'
        "\n| streamstats current=f time_window=1h max(s0) as p1 by u"
        '\n| eval s1=if(t="two" AND p1 >= _time - 3600, p1, null())\n| where isnotnull(s1)'
    )
    two_then_one = (
        {"x": 2, "u": "a", "_time": "2026-01-01T10:00:00Z"},
        {"x": 1, "u": "a", "_time": "2026-01-01T10:10:00Z"},
    )
    one_then_two = (
        {"x": 1, "u": "a", "_time": "2026-01-01T10:00:00Z"},
        {"x": 2, "u": "a", "_time": "2026-01-01T10:10:00Z"},
    )
    assert run(ordered, *two_then_one) == set()
    assert run(ordered, *one_then_two) == {1}


def test_syntax_errors_and_unmodelled_constructs():
    with pytest.raises(QuerySyntaxError):
        spl.parse('a="unterminated')
    with pytest.raises(QuerySyntaxError):
        spl.parse("a=1 | stats count by b")  # not a command the backend emits
    with pytest.raises(Unverifiable, match="free-text"):
        run('"just a term"', {"a": 1})
    with pytest.raises(Unverifiable, match="asterisk"):
        run('a="x\\*y"', {"a": "x*y"})


def test_replace_reduces_to_a_group_and_leaves_a_non_match_alone():
    q = 'x=* | eval y=replace(lower(x), "^(?:.*\\\\[)?smtp:(.*?)\\\\]?$", "\\1") | where y="a@b.example"'
    assert run(q, {"x": '"A" [SMTP:A@B.example]'}, {"x": "smtp:a@b.example"}, {"x": "a@c"}) == {
        0,
        1,
    }


def test_the_derived_forwarding_destination_reads_as_the_engines_do():
    from sigma.pipelines.t1114.sources import FORWARDING_DESTINATION
    from t1114.derived import derive
    from t1114.targets.splunk.backend import derived_expression

    spec = {
        "sources": [[f.split(".")[-1], p] for f, p in FORWARDING_DESTINATION.sources],
        "normalise": FORWARDING_DESTINATION.normalise,
    }
    q = f'ForwardTo=* | eval d={derived_expression(spec)} | where d="drop@evil.example"'
    values = ['"Drop" [SMTP:Drop@Evil.example]', "smtp:DROP@evil.example", "other@evil.example"]
    assert run(q, *({"ForwardTo": v} for v in values)) == {0, 1}
    assert [derive(spec, [None, v, None, None, None]) for v in values][:2] == [
        "drop@evil.example"
    ] * 2
