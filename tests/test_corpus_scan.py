"""`t1114 scan --target native` over real recordings the pack was not written from.

The recordings (../shared/corpus, see each folder's SOURCES.md) come as CSV exports, zipped
Log Analytics rows and parser test files. Each is turned back into the native record it was made
from, in a temporary directory, and scanned with the pack's own tuning file (config/tuning.yml):

* a Purview audit search CSV holds the Management Activity API record in its AuditData column;
* Sentinel's OfficeActivity rows (CSV or JSON lines) carry the same record under Log Analytics
  column names (OfficeWorkload, OfficeObjectId, JSON lists as text), renamed back here;
* Sentinel's AuditLogs rows are Graph directoryAudit records with capitalised names;
* Microsoft 365 Defender CloudAppEvents rows keep the audit record in RawEventData;
* Sekoia's parser tests keep the raw vendor event as a string in input.message.

The assertions name the records: which must be flagged by which rule, and that nothing else is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest

from conftest import SHARED, run_cli

CORPUS = SHARED / "corpus"

# Log Analytics OfficeActivity column -> Management Activity API field.
_OFFICE_ACTIVITY_NAMES = {
    "OfficeWorkload": "Workload",
    "OfficeObjectId": "ObjectId",
    "Client_IPAddress": "ClientIPAddress",
    "Logon_Type": "LogonType",
    "OfficeId": "Id",
}
_OFFICE_ACTIVITY_JSON = (
    "Parameters",
    "OperationProperties",
    "Item",
    "Folders",
    "ModifiedProperties",
    "ExtendedProperties",
)
_OFFICE_ACTIVITY_TIME = ("TimeGenerated [UTC]", "TimeGenerated")


def _iso(value: str) -> str:
    """Log Analytics times: ISO already, or the portal's '4/28/2021, 2:54:37.000 PM'."""
    try:
        moment = dt.datetime.strptime(value, "%m/%d/%Y, %I:%M:%S.%f %p")
    except ValueError:
        return value.rstrip("Z")
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def office_activity_to_record(row: dict) -> dict:
    record = {}
    for column, value in row.items():
        if value in ("", None) or column.endswith("_") or column in _OFFICE_ACTIVITY_TIME:
            continue
        name = _OFFICE_ACTIVITY_NAMES.get(column, column)
        if name in _OFFICE_ACTIVITY_JSON and isinstance(value, str):
            value = json.loads(value)
        record[name] = value
    for column in _OFFICE_ACTIVITY_TIME:
        if row.get(column):
            record["CreationTime"] = _iso(row[column])
    return record


def audit_logs_to_directory_audit(row: dict) -> dict:
    record = {}
    for column, value in row.items():
        if column in ("InitiatedBy", "TargetResources", "AdditionalDetails") and isinstance(
            value, str
        ):
            value = json.loads(value)
        record[column[0].lower() + column[1:]] = value
    return record


def _read_csv(path: Path) -> list[dict]:
    csv.field_size_limit(1 << 30)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _zip_lines(path: Path) -> list[dict]:
    with zipfile.ZipFile(path) as archive:
        (name,) = archive.namelist()
        text = archive.read(name).decode("utf-8-sig")
    return [json.loads(line) for line in io.StringIO(text) if line.strip()]


def _write(directory: Path, name: str, records: list[dict]) -> None:
    (directory / name).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


@pytest.fixture(scope="module")
def recordings(tmp_path_factory) -> Path:
    if not CORPUS.is_dir():
        pytest.skip(
            f"no shared corpus at {CORPUS} (set T1114_SHARED to the shared directory to run this test)"
        )
    out = tmp_path_factory.mktemp("corpus")
    purview = _read_csv(CORPUS / "huntress-ctf-2023-rogue-inbox/forensics/Rogue-Inbox/purview.csv")
    _write(out, "purview.jsonl", [json.loads(r["AuditData"]) for r in purview])
    lab = CORPUS / "azure-sentinel-training-lab/Artifacts/Telemetry"
    for name in ("office_activity", "office_activity_inbox_rule"):
        _write(
            out,
            f"{name}.jsonl",
            [office_activity_to_record(r) for r in _read_csv(lab / f"{name}.csv")],
        )
    golden = CORPUS / "otrf-security-datasets/datasets/compound/GoldenSAMLADFSMailAccess"
    _write(
        out,
        "otrf_office_activity.jsonl",
        [office_activity_to_record(r) for r in _zip_lines(golden / "OfficeActivityEvents.Zip")],
    )
    _write(
        out,
        "otrf_aad_audit.jsonl",
        [audit_logs_to_directory_audit(r) for r in _zip_lines(golden / "AADAuditEvents.Zip")],
    )
    _write(
        out,
        "otrf_m365d_raw.jsonl",
        [
            r["RawEventData"]
            for r in _zip_lines(golden / "Microsoft365DefenderEvents.Zip")
            if r.get("RawEventData")
        ],
    )
    sekoia = CORPUS / "sekoia-intake-formats"
    for test in sorted(sekoia.rglob("tests/*.json")):
        raw = json.loads(json.loads(test.read_text(encoding="utf-8"))["input"]["message"])
        if raw.get("category") == "AdvancedHunting-CloudAppEvents":
            raw = raw["properties"].get("RawEventData") or raw
        name = "sekoia_" + test.parent.parent.name.replace(" ", "_") + "_" + test.stem + ".json"
        (out / name).write_text(json.dumps(raw), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def hits(recordings) -> dict[tuple[str, int], set[str]]:
    result = run_cli("scan", "--target", "native", str(recordings))
    assert result.returncode == 0, result.stderr
    from t1114.loader import load_pack
    from t1114.project import find_project

    pack = load_pack(find_project(Path(__file__)))
    found: dict[tuple[str, int], set[str]] = {}
    for line in result.stdout.splitlines():
        hit = json.loads(line)
        found.setdefault((Path(hit["file"]).name, hit["event_index"]), set()).add(
            pack.find(hit["rule_id"]).name
        )
    return found


def _index(recordings: Path, file: str, **where) -> int:
    """Position of the one record of a converted file with the given top-level values."""
    lines = (recordings / file).read_text(encoding="utf-8").splitlines()
    found = [
        i
        for i, line in enumerate(lines)
        if all(json.loads(line).get(k) == v for k, v in where.items())
    ]
    assert len(found) == 1, (file, where, found)
    return found[0]


FORWARDING = {
    "m365_inbox_rule_forwarding",
    "m365_forwarding_external_recipient",
    "m365_forwarding_change",
}


def test_forwarding_rules_are_flagged(hits):
    # New-InboxRule with ForwardTo and RedirectTo that also deletes, marks read and moves the
    # message to the (French) Conversation History folder.
    assert hits[("sekoia_o365_inbox_rule.json", 0)] == FORWARDING | {
        "m365_hidden_forwarding_inbox_rule"
    }
    # Outlook's UpdateInboxRules: a Forward action for every message to four recipients (one
    # RuleName entry without a Value), and a narrow rule forwarding one sender's mail.
    assert hits[("sekoia_o365_operation_properties_01.json", 0)] == FORWARDING
    assert hits[("sekoia_o365_operation_properties_02.json", 0)] == FORWARDING


def test_google_workspace_forwarding_is_flagged(hits):
    # The same event from the Reports API and through Google Cloud Logging (the Cloud Audit
    # entry, read as the activity it carries): one verdict whichever delivered it.
    for recording in (
        "sekoia_google-report_test_user_accounts.json",
        "sekoia_Google_Cloud_Audit_email_forwarding_out_of_domain.json",
    ):
        assert hits[(recording, 0)] == {"gws_email_forwarding_out_of_domain"}, recording


def test_mail_read_by_applications_is_flagged(hits, recordings):
    app_read = {"m365_mail_items_accessed_by_application"}
    # Golden SAML lab: the OAuth app reads the Inbox through Microsoft Graph, seen in
    # OfficeActivity and again in Defender's CloudAppEvents.
    assert hits[("otrf_office_activity.jsonl", 0)] == app_read
    assert hits[("otrf_m365d_raw.jsonl", 0)] == app_read
    # App-only reads (UserType 5) in Sekoia's samples.
    assert hits[("sekoia_o365_clientipadress.json", 0)] == app_read
    assert hits[("sekoia_microsoft-365-defender_test_cloud_app3.json", 0)] == app_read
    # Sentinel training lab: the one MailItemsAccessed over REST (the two OWA reads are not).
    rest = _index(
        recordings,
        "office_activity.jsonl",
        Operation="MailItemsAccessed",
        ClientInfoString="Client=REST;Client=RESTSystem;;",
    )
    assert hits[("office_activity.jsonl", rest)] == app_read


def test_mail_permission_grant_is_flagged(hits, recordings):
    grant = _index(
        recordings, "otrf_aad_audit.jsonl", operationName="Add delegated permission grant"
    )
    assert hits[("otrf_aad_audit.jsonl", grant)] == {"entra_mail_access_oauth_grant"}


def test_nothing_else_is_flagged(hits, recordings):
    """Everything not named above stays quiet: the Rogue Inbox CTF tenant's 38 hiding rules
    without forwarding, Set-Mailbox and Add-MailboxPermission by NT AUTHORITY\\SYSTEM, owner
    reads in Outlook on the web, inbox rules that move or delete mail, group-mailbox calendar
    permissions, application credential changes, the justified Security Investigation access."""
    expected = {
        ("sekoia_o365_inbox_rule.json", 0),
        ("sekoia_o365_operation_properties_01.json", 0),
        ("sekoia_o365_operation_properties_02.json", 0),
        ("sekoia_google-report_test_user_accounts.json", 0),
        ("sekoia_Google_Cloud_Audit_email_forwarding_out_of_domain.json", 0),
        ("otrf_office_activity.jsonl", 0),
        ("otrf_m365d_raw.jsonl", 0),
        ("sekoia_o365_clientipadress.json", 0),
        ("sekoia_microsoft-365-defender_test_cloud_app3.json", 0),
        (
            "office_activity.jsonl",
            _index(
                recordings,
                "office_activity.jsonl",
                ClientInfoString="Client=REST;Client=RESTSystem;;",
            ),
        ),
        (
            "otrf_aad_audit.jsonl",
            _index(
                recordings, "otrf_aad_audit.jsonl", operationName="Add delegated permission grant"
            ),
        ),
    }
    assert set(hits) == expected
    assert not any(file == "purview.jsonl" for file, _ in hits)


def test_the_conversions_kept_the_records(recordings):
    """The scan saw what the recordings hold, not empty files."""
    purview = [json.loads(line) for line in (recordings / "purview.jsonl").read_text().splitlines()]
    assert sum(r["Operation"] == "New-InboxRule" for r in purview) == 38
    assert sum(r["Operation"] == "Set-Mailbox" for r in purview) == 8
    lab = [
        json.loads(line) for line in (recordings / "office_activity.jsonl").read_text().splitlines()
    ]
    assert sum(r.get("Operation") == "MailItemsAccessed" for r in lab) == 3
    assert all("Workload" in r and "CreationTime" in r for r in lab)
