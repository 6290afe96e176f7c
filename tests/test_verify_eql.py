"""The EQL verifier: Elasticsearch's operators, field types and sequences."""

import pytest

from t1114.events import Event, flatten
from t1114.schema import elastic_dataset_fields
from t1114.verify import eql
from t1114.verify.base import Context, QuerySyntaxError, Unverifiable

CTX = Context("elastic", ("@timestamp",), field_types=elastic_dataset_fields())


def proc(line, **extra):
    doc = {
        "data_stream": {"dataset": "windows.sysmon_operational"},
        "process": {"command_line": line},
    }
    doc.update(extra)
    return doc


def run(query, *docs):
    return eql.evaluate(eql.parse(query), [Event(i, flatten(d)) for i, d in enumerate(docs)], CTX)


def test_colon_and_like_tilde_ignore_case_double_equals_and_like_do_not():
    docs = (proc("New-MailboxExportRequest"), proc("new-mailboxexportrequest"))
    assert run('any where process.command_line : "New-Mailbox*"', *docs) == {0, 1}
    assert run('any where process.command_line like~ "New-Mailbox*"', *docs) == {0, 1}
    assert run('any where process.command_line like "New-Mailbox*"', *docs) == {0}
    assert run('any where process.command_line == "New-MailboxExportRequest"', *docs) == {0}
    assert run('any where process.command_line in~ ("NEW-MAILBOXEXPORTREQUEST")', *docs) == {0, 1}


def test_wildcards_question_mark_and_literal_backslash():
    docs = (proc("C:\\Windows\\x.exe"), proc("C:Windows\\x.exe"))
    assert run('any where process.command_line : "C:\\\\Windows\\\\*"', *docs) == {0}
    assert run('any where process.command_line : "C:?Windows*"', *docs) == {0}


def test_caseless_fields_fold_case_and_text_fields_are_not_evaluated():
    docs = (proc("x", process_name="a"),)
    doc = {
        "data_stream": {"dataset": "endpoint.events.process"},
        "process": {"name": "PowerShell.EXE"},
    }
    assert run('any where process.name.caseless == "powershell.exe"', doc) == {0}
    assert run('any where process.name == "powershell.exe"', doc) == set()
    with pytest.raises(Unverifiable, match="no keyword multi-field"):
        run('any where process.command_line.text : "x"', *docs)


def test_numbers_null_cidr_and_regex():
    docs = (proc("abc", process={"command_line": "abc", "pid": 120}), proc("xyz"))
    assert run("any where process.pid >= 100", *docs) == {0}
    assert run("any where process.pid == null", *docs) == {1}
    assert run('any where process.command_line regex "a.c"', *docs) == {0}
    assert (
        run('any where process.command_line regex "b"', *docs) == set()
    )  # Lucene regex: whole value
    with pytest.raises(Unverifiable, match="Lucene"):
        run('any where process.command_line regex~ "(?i)abc"', *docs)
    ip = {"data_stream": {"dataset": "o365.audit"}, "o365": {"audit": {"ClientIP": "2001:db8::5"}}}
    assert run('any where cidrMatch(o365.audit.ClientIP, "2001:db8::/32")', ip) == {0}


def test_sequences_keep_maxspan_order_and_exact_join_keys():
    q = 'sequence by user.id with maxspan=1h [any where event.action : "a"] [any where event.action : "b"]'

    def ev(t, action, user):
        return {
            "@timestamp": t,
            "data_stream": {"dataset": "o365.audit"},
            "event": {"action": action},
            "user": {"id": user},
        }

    assert run(q, ev("2026-01-01T10:00:00Z", "a", "u"), ev("2026-01-01T10:30:00Z", "b", "u")) == {
        0,
        1,
    }
    assert (
        run(q, ev("2026-01-01T10:00:00Z", "b", "u"), ev("2026-01-01T10:30:00Z", "a", "u")) == set()
    )
    assert (
        run(q, ev("2026-01-01T10:00:00Z", "a", "u"), ev("2026-01-01T11:30:00Z", "b", "u")) == set()
    )
    # Join keys are keyword values: Elasticsearch does not fold their case (and EQL's "by"
    # takes only fields, so the query cannot lower-case them).
    assert (
        run(q, ev("2026-01-01T10:00:00Z", "a", "Alice"), ev("2026-01-01T10:30:00Z", "b", "alice"))
        == set()
    )


def test_syntax_errors():
    with pytest.raises(QuerySyntaxError):
        eql.parse('any where process.command_line : "a\\*b"')  # no such string escape in EQL
    with pytest.raises(QuerySyntaxError):
        eql.parse("any where (a == 1")
