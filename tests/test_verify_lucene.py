"""The Lucene verifier (luqum): Elasticsearch query_string semantics per field type."""

import pytest

from t1114.events import Event, flatten
from t1114.schema import elastic_dataset_fields
from t1114.verify import lucene
from t1114.verify.base import Context, QuerySyntaxError, Unverifiable

CTX = Context("elastic", ("@timestamp",), field_types=elastic_dataset_fields())


def run(query, *docs):
    return lucene.evaluate(
        lucene.parse(query), [Event(i, flatten(d)) for i, d in enumerate(docs)], CTX
    )


def proc(line, **more):
    return {
        "data_stream": {"dataset": "windows.sysmon_operational"},
        "process": {"command_line": line, **more},
    }


def test_keyword_and_wildcard_fields_compare_case_sensitively():
    docs = (proc("x New-MailboxExportRequest y"), proc("x new-mailboxexportrequest y"))
    assert run("process.command_line:*New\\-MailboxExportRequest*", *docs) == {0}


def test_escapes_ranges_exists_and_boolean_operators():
    docs = (proc("a(b)", pid=5), proc("ab", pid=500))
    assert run("process.command_line:a\\(b\\)", *docs) == {0}
    assert run("process.pid:>=100", *docs) == {1}
    assert run("process.pid:[1 TO 10]", *docs) == {0}
    assert run("_exists_:process.pid AND NOT process.command_line:ab", *docs) == {0}
    assert run("process.command_line:(ab OR zz)", *docs) == {1}


def test_syntax_errors_and_default_field_terms():
    with pytest.raises(QuerySyntaxError):
        lucene.parse("process.command_line:(a OR")
    with pytest.raises(Unverifiable, match="default fields"):
        run("justaterm", proc("justaterm"))
