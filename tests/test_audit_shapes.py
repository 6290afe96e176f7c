"""Every export is named from its columns, whatever the file is called."""

from __future__ import annotations

import shutil

import pytest

from audit_helpers import BAD, TENANT
from t1114.audit.errors import AuditInputError
from t1114.audit.readers import read_table
from t1114.audit.shapes import recognise

KINDS = {
    "accepted_domains.csv": "exchange.accepted_domain",
    "app_role_assignments.json": "graph.app_role_assignment",
    "folder_permissions.csv": "exchange.mailbox_folder_permission",
    "gam_filters.csv": "gam.filters",
    "gam_forwards.csv": "gam.forwards",
    "inbox_rules.csv": "exchange.inbox_rule",
    "inbox_rules_quinn.xml": "exchange.inbox_rule",
    "judy_message_rules.json": "graph.message_rule",
    "kim_auto_forwarding.json": "gmail.auto_forwarding",
    "kim_forwarding_addresses.json": "gmail.forwarding_address",
    "liam_filters.json": "gmail.filter",
    "mailbox_permissions.csv": "exchange.mailbox_permission",
    "mailboxes.csv": "exchange.mailbox",
    "mailboxes_rita.json": "exchange.mailbox",
    "outbound_policies.jsonl": "exchange.outbound_spam_policy",
    "outbound_rules.csv": "exchange.outbound_spam_rule",
    "recipient_permissions.json": "exchange.recipient_permission",
    "recipients.json": "exchange.recipient",
    "remote_domains.json": "exchange.remote_domain",
    "role_assignments.csv": "exchange.management_role_assignment",
    "transport_rules.xml": "exchange.transport_rule",
}


def test_every_fixture_export_is_listed():
    assert sorted(p.name for p in TENANT.iterdir()) == sorted(KINDS)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_shape_comes_from_content_not_name(tmp_path, name):
    renamed = tmp_path / "export.txt"
    shutil.copy(TENANT / name, renamed)
    assert recognise(read_table(renamed)).kind == KINDS[name]


def test_unknown_shape_names_the_columns():
    with pytest.raises(AuditInputError) as e:
        recognise(read_table(BAD / "unknown_shape.csv"))
    assert "unknown export shape (columns: Department, DisplayName, Office)" in e.value.message


def test_missing_column_names_the_export_and_the_column():
    with pytest.raises(AuditInputError) as e:
        recognise(read_table(BAD / "missing_column.csv"))
    assert e.value.message == "looks like Get-InboxRule output but has no column Name"
