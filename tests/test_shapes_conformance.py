"""The Elastic shape renderers against Elastic's own ingest-pipeline test vectors.

Each test renders the raw input of a vector (the event as the agent or the source wrote it)
through ``t1114.targets.renderers`` and compares the result with the document Elastic's real pipeline made
of it, on the fields the pack's rules read on that data stream: name, value, type (string or
number), array or scalar, and the quirks (which field ``process.name`` really comes from, which
fields a pipeline does not set). The vectors are reference material beside the checkout
(``$T1114_SHARED/reference/elastic-pipeline-tests``, see its SOURCES.md); nothing of them is kept
in the project, and the tests skip, saying so, where they are absent.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import SHARED
from t1114.events import flatten
from t1114.targets import renderers as shapes
from t1114.targets.renderers import google

VECTORS = SHARED / "reference" / "elastic-pipeline-tests"
_MISSING = object()


def _vector(relative: str) -> Path:
    path = VECTORS / relative
    if not path.is_file():
        pytest.skip(
            f"{path} is not present (Elastic's pipeline test vectors live beside the checkout, T1114_SHARED)"
        )
    return path


def _pairs(relative: str) -> list[tuple[dict, dict]]:
    """(input event, expected document) of a vector, in order."""
    source = _vector(relative)
    expected = json.loads(_vector(relative + "-expected.json").read_text())["expected"]
    if source.suffix == ".log":
        inputs = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
    else:
        inputs = json.loads(source.read_text())["events"]
    # Not strict: two vectors' counts differ (the login pipeline drops one record; the PowerShell
    # vector's expected file has a fifth document without an input), and the pairs are in order.
    return list(zip(inputs, expected, strict=False))


def _get(doc: dict, dotted: str):
    node = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def assert_fields(rendered: dict, expected: dict, fields: list[str]) -> None:
    """Equal on each field: present in both or in neither, same value, same JSON type."""
    problems = []
    for name in fields:
        want, got = _get(expected, name), _get(rendered, name)
        if want is _MISSING and got is _MISSING:
            continue
        if want is _MISSING or got is _MISSING or want != got or type(want) is not type(got):
            problems.append(f"{name}: Elastic {want!r}, rendered {got!r}")
    assert problems == []


def _evtx_from_winlog(event: dict) -> dict:
    """The EVTX record (Event.System / EventData) a Winlogbeat-shaped input event was read from."""
    w = event["winlog"]
    return {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": w.get("provider_name", "")}},
                "EventID": int(w["event_id"]),
                "Channel": w["channel"],
                "Computer": w["computer_name"],
                "TimeCreated": {"#attributes": {"SystemTime": w.get("time_created", "")}},
                "EventRecordID": w.get("record_id"),
            },
            "EventData": dict(w.get("event_data", {})),
        }
    }


def _evtx_from_xml(text: str) -> dict:
    """An event's XML as the evtx package renders it in JSON."""
    ns = {"e": "http://schemas.microsoft.com/win/2004/08/events/event"}
    root = ET.fromstring(text)
    system = {}
    for child in root.find("e:System", ns):
        tag = child.tag.split("}")[1]
        value = {"#attributes": dict(child.attrib)} if child.attrib else {}
        text_value = (child.text or "").strip()
        if text_value:
            value = (
                {**value, "#text": int(text_value) if text_value.isdigit() else text_value}
                if value
                else (int(text_value) if text_value.isdigit() else text_value)
            )
        system[tag] = value
    data = {d.get("Name"): d.text for d in root.find("e:EventData", ns)}
    return {"Event": {"System": system, "EventData": data}}


# --- Windows ----------------------------------------------------------------------------------

_PS_FIELDS = [
    "powershell.file.script_block_text",
    "powershell.file.script_block_id",
    "powershell.sequence",
    "powershell.total",
    "file.path",
    "host.name",
    "event.code",
    "winlog.channel",
]


@pytest.mark.parametrize(
    "vector, collector, fields",
    [
        # This pair's input and expected file come from different commits whose script texts
        # differ (SOURCES.md); the text is compared on the forwarded pair, which agrees.
        (
            "windows/powershell_operational/test-events.json",
            "windows.powershell_operational",
            [f for f in _PS_FIELDS if f != "powershell.file.script_block_text"],
        ),
        (
            "windows/forwarded/test-powershell-operational-events.json",
            "windows.forwarded",
            _PS_FIELDS,
        ),
    ],
)
def test_powershell_script_blocks(vector, collector, fields):
    blocks = [(i, e) for i, e in _pairs(vector) if i["winlog"]["event_id"] == "4104"]
    assert blocks
    for source, expected in blocks:
        (rendered,) = shapes.render(_evtx_from_winlog(source), "elastic", collector)
        assert_fields(rendered, expected, fields)


def test_security_4663_keeps_event_data_and_sets_no_process_or_user():
    """The quirk behind the mail-store rule's exclusions: 4663's ProcessName is only
    winlog.event_data.ProcessName on Elastic; process.executable and user.name are not set."""
    ((source, expected),) = _pairs("system/security/test-4663.json")
    (rendered,) = shapes.render(_evtx_from_winlog(source), "elastic", "system.security")
    fields = [
        f"winlog.event_data.{n}"
        for n in (
            "ObjectName",
            "ObjectType",
            "ObjectServer",
            "ProcessName",
            "SubjectUserName",
            "SubjectDomainName",
            "AccessMask",
            "AccessList",
        )
    ]
    assert_fields(
        rendered,
        expected,
        fields
        + [
            "event.code",
            "host.name",
            "winlog.channel",
            "process.executable",
            "process.name",
            "user.name",
            "user.domain",
        ],
    )
    assert _get(expected, "process.executable") is _MISSING  # the vector says so, not the renderer


def test_sysmon_process_fields_and_user_split():
    """Sysmon's process fields and the DOMAIN\\name split into user.domain / user.name."""
    ((source, expected),) = _pairs(
        "windows/sysmon_operational/test-image-loaded-failed-signature.json"
    )
    raw = _evtx_from_xml(source["event"]["original"])
    (rendered,) = shapes.render(raw, "elastic", "windows.sysmon_operational")
    rendered["process"]["pid"] = int(
        rendered["process"]["pid"]
    )  # XML text; the pipeline converts it
    assert_fields(
        rendered,
        expected,
        [
            "process.executable",
            "process.name",
            "process.pid",
            "user.name",
            "user.domain",
            "event.code",
            "winlog.channel",
        ],
    )


# --- Microsoft 365 ----------------------------------------------------------------------------

_O365_FIELDS = [
    "event.action",
    "event.provider",
    "event.code",
    "user.id",
    "source.ip",
    "client.address",
    "o365.audit.OperationProperties",
    "o365.audit.Parameters",
    "o365.audit.ClientIP",
    "o365.audit.ClientIPAddress",
    "o365.audit.LogonType",
    "o365.audit.RecordType",
    "o365.audit.UserType",
    "o365.audit.ResultStatus",
    "o365.audit.ExternalAccess",
    "o365.audit.OperationCount",
    "o365.audit.MailboxOwnerUPN",
    "o365.audit.ClientInfoString",
    "o365.audit.AppId",
    "o365.audit.ClientAppId",
    "o365.audit.OrganizationName",
    "o365.audit.ObjectId",
]


def test_o365_exchange_mailbox_access():
    """OperationProperties stays a Name/Value list; record numbers become keywords; the client
    address leaves o365.audit for client.* and source.ip."""
    pairs = [
        (s, e)
        for s, e in _pairs("o365/audit/test-exchange-access-event.json")
        if s["o365audit"].get("Workload") == "Exchange"
    ]
    assert len(pairs) == 2
    for source, expected in pairs:
        (rendered,) = shapes.render(source["o365audit"], "elastic", "o365.audit")
        assert_fields(rendered, expected, _O365_FIELDS)
    assert isinstance(_get(expected, "o365.audit.OperationProperties"), list)


# --- Google Workspace -------------------------------------------------------------------------

_GWS_FIELDS = [
    "event.action",
    "event.provider",
    "google_workspace.actor.type",
    "google_workspace.actor.email",
    "google_workspace.event.type",
    "google_workspace.id.application_name",
    "source.ip",
    "source.user.email",
]


def test_google_workspace_reports_activity_fields():
    """Every Reports API stream names the activity alike: the actor's address is
    source.user.email, the application event.provider."""
    pairs = _pairs("google_workspace/login/test-login.log")
    assert pairs
    for source, expected in pairs:
        (rendered,) = shapes.render(source, "elastic", "google_workspace.login")
        assert_fields(rendered, expected, _GWS_FIELDS)


def test_google_workspace_user_accounts_sample_round_trip():
    """The sample event, read back as the Reports activity it came from, renders to itself."""
    sample = json.loads(_vector("google_workspace/user_accounts/sample_event.json").read_text())
    activity = {
        "kind": sample["google_workspace"]["kind"],
        "id": {"time": sample["@timestamp"], "applicationName": sample["event"]["provider"]},
        "actor": {
            "callerType": sample["google_workspace"]["actor"]["type"],
            "email": sample["source"]["user"]["email"],
        },
        "ipAddress": sample["source"]["ip"],
        "events": [
            {"type": sample["google_workspace"]["event"]["type"], "name": sample["event"]["action"]}
        ],
    }
    (rendered,) = shapes.render(activity, "elastic", "google_workspace.user_accounts")
    assert_fields(rendered, sample, _GWS_FIELDS + ["data_stream.dataset"])


def test_google_workspace_cloud_logging_reads_back_as_the_reports_activity():
    """The Cloud Logging entry of an activity carries the same facts (a real entry's shape:
    ../shared/corpus/sekoia-intake-formats, Google Cloud Audit)."""
    path = (
        SHARED
        / "corpus"
        / "sekoia-intake-formats"
        / "Google Cloud"
        / "Google Cloud Audit"
        / "tests"
    )
    entry_file = path / "email_forwarding_out_of_domain.json"
    if not entry_file.is_file():
        pytest.skip(
            f"{entry_file} is not present (the shared corpus lives beside the checkout, T1114_SHARED)"
        )
    entry = json.loads(json.loads(entry_file.read_text())["input"]["message"])
    assert shapes.collectors(entry, "native") == ("cloud_logging",)
    fields = flatten(entry)
    assert fields["id.applicationName"] == "user_accounts"
    assert fields["events.name"] == "email_forwarding_out_of_domain"
    assert (
        fields["events.parameters.email_forwarding_destination_address"] == "test-user@google.com"
    )
    assert fields["actor.email"] == "test-user@example.com"
    # The activity's entry names its method as Google does.
    (derived,) = shapes.render(google.from_cloud_logging(entry), "native", "cloud_logging")
    assert derived["protoPayload"]["methodName"] == entry["protoPayload"]["methodName"]
    # Rendered back from the activity it carries, it is the same entry on the fields read.
    (again,) = shapes.render(google.from_cloud_logging(entry), "native", "cloud_logging")
    assert {
        k: flatten(again)[k]
        for k in fields
        if k.startswith(("events.", "actor.", "id.applicationName"))
    } == {
        k: v for k, v in fields.items() if k.startswith(("events.", "actor.", "id.applicationName"))
    }


def test_gcp_audit_keeps_no_workspace_metadata():
    """Elastic's gcp.audit pipeline vectors, where present: a document holds no protoPayload.metadata."""
    pairs = _pairs("gcp/audit/test-audit.log")
    for source, expected in pairs:
        entry = json.loads(source["message"]) if isinstance(source.get("message"), str) else source
        (rendered,) = (
            shapes.render(entry, "elastic", "gcp.audit")
            if google.is_cloud_logging(entry)
            else (None,)
        )
        assert "metadata" not in json.dumps(expected.get("gcp", {}).get("audit", {}))
        if rendered is not None:
            assert_fields(
                rendered,
                expected,
                ["event.action", "service.name", "client.user.email", "source.ip"],
            )


# --- Linux ------------------------------------------------------------------------------------


def test_sysmon_linux_names_the_process_after_syslog_and_sets_no_user():
    """sysmon_linux: process.name is the syslog program ("sysmon"), not the image; the host is
    host.hostname; a Linux User (no DOMAIN\\ part) gives no user.name."""
    pairs = _pairs("sysmon_linux/log/test-sysmon.json")
    assert pairs
    for source, expected in pairs:
        raw = _evtx_from_winlog(source)
        raw["Event"]["System"]["Channel"] = "Linux-Sysmon/Operational"
        (rendered,) = shapes.render(raw, "elastic", "sysmon_linux.log")
        rendered["process"]["pid"] = int(
            rendered["process"]["pid"]
        )  # syslog text; the pipeline converts it
        assert_fields(
            rendered,
            expected,
            [
                "process.executable",
                "process.pid",
                "process.name",
                "process.entity_id",
                "host.hostname",
                "event.code",
                "event.provider",
                "user.name",
                "winlog.channel",
            ],
        )


def test_auditd_manager_event_from_its_records():
    """One document per audit event: the first record's type, the SYSCALL record's process and ids."""
    sample = json.loads(_vector("auditd_manager/auditd/sample_event.json").read_text())
    (rendered,) = shapes.render(
        {"auditd_records": sample["auditd"]["messages"]}, "elastic", "auditd_manager.auditd"
    )
    assert_fields(
        rendered,
        sample,
        [
            "auditd.message_type",
            "process.executable",
            "process.name",
            "process.pid",
            "process.parent.pid",
            "process.title",
            "user.id",
            "user.group.id",
            "auditd.data.a0",
            "auditd.data.a1",
            "auditd.data.exit",
            "auditd.data.tty",
            "event.outcome",
        ],
    )


def test_auditd_manager_user_space_records():
    pairs = _pairs("auditd_manager/auditd/test-useradd-events.json")
    assert pairs
    for source, expected in pairs:
        records = source["event"]["original"]
        (rendered,) = shapes.render(
            {"auditd_records": records if isinstance(records, list) else [records]},
            "elastic",
            "auditd_manager.auditd",
        )
        # The login uid is auditd.user.audit: the integration's pipeline moves user.audit there.
        assert_fields(
            rendered,
            expected,
            [
                "auditd.message_type",
                "auditd.session",
                "process.executable",
                "process.pid",
                "auditd.user.audit.id",
                "user.audit",
            ],
        )
    assert any(_get(e, "auditd.user.audit.id") is not _MISSING for _, e in pairs)


def test_auditd_manager_exec_event():
    """An execve event as auditd_manager indexes it: the fields the Linux process-creation
    rules read there (the argument vector, the title standing in for the command line)."""
    pairs = [
        (s, e)
        for f in sorted(
            _vector("auditd_manager/auditd/sample_event.json").parent.glob("test-*.json")
        )
        if not f.name.endswith("-expected.json")
        and f.with_name(f.name + "-expected.json").is_file()
        for s, e in _pairs(f"auditd_manager/auditd/{f.name}")
        if _get(e, "event.action") == "executed"
    ]
    if not pairs:
        pytest.skip(
            f"no auditd_manager vector with an execve event under {VECTORS / 'auditd_manager'} "
            "(none among the vectors collected: SOURCES.md)"
        )
    for source, expected in pairs:
        records = source["event"]["original"]
        (rendered,) = shapes.render(
            {"auditd_records": records if isinstance(records, list) else records.splitlines()},
            "elastic",
            "auditd_manager.auditd",
        )
        assert_fields(
            rendered,
            expected,
            [
                "event.action",
                "event.category",
                "event.type",
                "process.executable",
                "process.args",
                "process.title",
                "process.working_directory",
                "process.pid",
                "auditd.data.syscall",
            ],
        )


# --- Elastic Defend ---------------------------------------------------------------------------


@pytest.mark.parametrize("stream", ["process", "file"])
def test_defend_renderer_uses_the_endpoint_field_names(stream):
    """Elastic Defend has no pipeline vectors: every field the renderer writes exists, with the
    same JSON type, in the endpoint package's sample event."""
    sample = json.loads(_vector(f"endpoint/{stream}/sample_event.json").read_text())
    data = {
        "RuleName": "-",
        "ProcessId": 2772,
        "Image": "C:\\Windows\\System32\\svchost.exe",
        "User": "NT AUTHORITY\\SYSTEM",
    }
    if stream == "process":
        data.update(
            CommandLine="C:\\Windows\\System32\\svchost.exe -k WerSvcGroup",
            CurrentDirectory="C:\\Windows\\system32\\",
            ParentImage="C:\\Windows\\System32\\services.exe",
            ParentCommandLine="",
        )
    else:
        data.update(TargetFilename="C:\\ProgramData\\winlogbeat\\.winlogbeat.yml.new")
    raw = {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
                "EventID": 1 if stream == "process" else 11,
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Computer": "data-viz-win-1",
                "TimeCreated": {"#attributes": {"SystemTime": "2022-04-04T18:53:08.657Z"}},
            },
            "EventData": data,
        }
    }
    (rendered,) = shapes.render(raw, "elastic", "endpoint")
    sample_fields = flatten(sample)
    problems = [f"{k}: not in the sample" for k in flatten(rendered) if k not in sample_fields]
    problems += [
        f"{k}: sample {type(sample_fields[k]).__name__}, rendered {type(v).__name__}"
        for k, v in flatten(rendered).items()
        if k in sample_fields
        and v is not None
        and type(sample_fields[k]) is not type(v)
        and not isinstance(sample_fields[k], list)
    ]
    assert problems == []
