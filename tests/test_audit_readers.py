"""Reading exports: every encoding and format the audit accepts, with lines kept for messages."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_helpers import BAD, TENANT
from t1114.audit.errors import AuditInputError
from t1114.audit.readers import decode, read_table

CSV = (
    '"Name","DomainName","AutoForwardEnabled"\r\n"Default","*","True"\r\n'
    '"Other","x.example","False"\r\n'
)


@pytest.mark.parametrize(
    "encoding,bom",
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-16-le", b""),
    ],
)
def test_every_encoding_decodes_to_the_same_records(tmp_path, encoding, bom):
    path = tmp_path / "remote.csv"
    path.write_bytes(
        bom
        + (
            "#TYPE Deserialized.Microsoft.Exchange.Data.Directory."
            "SystemConfiguration.DomainContentConfig\r\n" + CSV
        ).encode(encoding)
    )
    table = read_table(path)
    assert table.format == "csv"
    assert table.context["type_names"] == [
        "Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.DomainContentConfig"
    ]
    assert [(r.get("domainname"), r.get("AutoForwardEnabled"), r.line) for r in table.records] == [
        ("*", "True", 3),
        ("x.example", "False", 4),
    ]


def test_csv_without_type_line_counts_lines_from_the_header(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(CSV)
    assert [r.line for r in read_table(path).records] == [2, 3]


def test_quoted_cell_over_two_lines_keeps_the_next_rows_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('"Name","Description"\n"a","two\nlines"\n"b","one"\n')
    records = read_table(path).records
    assert [(r.get("Name"), r.line) for r in records] == [("a", 2), ("b", 4)]
    assert records[0].get("Description") == "two\nlines"


def test_broken_row_is_reported_with_its_line_and_the_rest_kept():
    table = read_table(BAD / "broken_row.csv")
    assert [r.get("Name") for r in table.records] == ["ok", "fine"]
    assert [(p.line, "4 fields where the header has 5" in p.message) for p in table.problems] == [
        (3, True)
    ]


def test_json_document_array_keeps_each_elements_line():
    table = read_table(TENANT / "remote_domains.json")
    assert table.format == "json"
    assert [(r.get("Name"), r.line) for r in table.records] == [
        ("Default", 2),
        ("Gmail example", 10),
    ]


def test_json_wrapper_gives_records_and_context():
    table = read_table(TENANT / "judy_message_rules.json")
    assert "judy%40northwind.example" in table.context["@odata.context"]
    assert [r.get("displayName") for r in table.records] == ["..", "To Dave"]
    assert table.records[0].get("actions")["delete"] is True


def test_json_lines(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(
        '{"Name": "a", "AutoForwardingMode": "On"}\n\n'
        '{"Name": "b", "AutoForwardingMode": "Off"}\n{oops\n'
    )
    table = read_table(path)
    assert table.format == "jsonl"
    assert [(r.get("Name"), r.line) for r in table.records] == [("a", 1), ("b", 3)]
    assert [p.line for p in table.problems] == [4]


def test_broken_json_names_the_line():
    with pytest.raises(AuditInputError) as e:
        read_table(BAD / "broken.json")
    assert e.value.line == 3 and str(e.value).startswith(
        str(BAD / "broken.json") + ":3: broken JSON"
    )


def test_clixml_enums_lists_nils_and_type_references():
    table = read_table(TENANT / "transport_rules.xml")
    assert table.format == "clixml"
    assert table.context["type_names"] == [
        "Deserialized.Microsoft.Exchange.MessagingPolicies.Rules.Tasks.TransportRule"
    ]
    first, second, _ = table.records
    assert (
        first.get("State") == "Enabled"
        and first.get("Mode") == "Enforce"
        and first.get("Priority") == 0
    )
    assert (
        first.get("BlindCopyTo") == ["archive-all@evil.example.net"] and first.get("CopyTo") is None
    )
    assert second.get("Mode") == "Audit" and second.get("RedirectMessageTo") == [
        "test@evil.example.net"
    ]
    assert [r.line for r in table.records] == [2, 34, 51]


def test_clixml_entity_declarations_are_refused_before_expansion():
    with pytest.raises(AuditInputError) as e:
        read_table(BAD / "entity_bomb.xml")
    assert "refusing to expand" in e.value.message and e.value.line == 2


def test_xml_that_is_not_clixml(tmp_path):
    path = tmp_path / "x.xml"
    path.write_text("<root><a/></root>")
    with pytest.raises(AuditInputError, match="not CLIXML"):
        read_table(path)


def test_undecodable_and_empty_files(tmp_path):
    with pytest.raises(AuditInputError, match="not UTF-8"):
        decode(b"\xef\xbb\xbfok\xff", tmp_path / "f")
    empty = tmp_path / "empty.csv"
    empty.write_text("  \n")
    with pytest.raises(AuditInputError, match="empty file"):
        read_table(empty)


def test_clixml_identities_read_as_their_names_and_escapes_decoded():
    (rule,) = read_table(TENANT / "inbox_rules_quinn.xml").records
    assert rule.get("MailboxOwnerId") == "Quinn Quade" and rule.get("Name") == " "
    assert rule.get("MoveToFolder") == "Quinn Quade:\\Conversation History"
    assert rule.get("ForwardTo") == ['"Q Files" [SMTP:q.files@evil.example.net]']


def test_convertto_json_identity_objects_read_as_names():
    (mailbox,) = read_table(TENANT / "mailboxes_rita.json").records
    assert mailbox.text("ForwardingAddress") == "Partner Drop"


def test_use_culture_semicolons_and_tabs(tmp_path):
    for delimiter in (";", "\t"):
        path = tmp_path / "r.csv"
        path.write_text(CSV.replace(",", delimiter).replace('"Other"', '"Other, Inc"'))
        got = [(r.get("Name"), r.get("DomainName")) for r in read_table(path).records]
        assert got == [("Default", "*"), ("Other, Inc", "x.example")]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=400),
    base=st.sampled_from(sorted(p.name for p in TENANT.iterdir())),
    cut=st.integers(min_value=0, max_value=4000),
)
def test_any_damaged_export_is_an_input_error_never_a_crash(tmp_path, data, base, cut):
    path = tmp_path / "x"
    path.write_bytes((TENANT / base).read_bytes()[:cut] + data)
    try:
        read_table(path)
    except AuditInputError as e:
        assert str(e).startswith(str(path))
