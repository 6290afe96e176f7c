"""Shape renderers: each family recognises its raw events and names its collectors; renderings
keep the facts the pack's rules read, whatever collector delivered the event."""

from __future__ import annotations

import pytest

from t1114.events import flatten
from t1114.targets import renderers as shapes

SYSMON_1 = {
    "Event": {
        "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
            "EventID": 1,
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Computer": "WS01.contoso.local",
            "TimeCreated": {"#attributes": {"SystemTime": "2026-11-20T09:00:00.000Z"}},
        },
        "EventData": {
            "ProcessId": 4100,
            "Image": "C:\\Windows\\System32\\robocopy.exe",
            "CommandLine": "robocopy a b *.ost",
            "User": "CONTOSO\\bob",
            "ParentImage": "C:\\Windows\\explorer.exe",
            "ParentCommandLine": "explorer.exe",
        },
    }
}
EXCHANGE = {
    "Event": {
        "System": {
            "Provider": {"#attributes": {"Name": "MSExchange CmdletLogs"}},
            "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 1},
            "Channel": "MSExchange Management",
            "Computer": "EXCH01.contoso.local",
            "TimeCreated": {"#attributes": {"SystemTime": "2026-11-20T09:00:00.000Z"}},
        },
        "EventData": {
            "Data": {
                "#text": [
                    "New-MailboxExportRequest",
                    "-Mailbox 'bob' -FilePath '\\\\srv\\c$\\x.pst'",
                    "contoso.local/Users/exadmin",
                    "S-1",
                    "S-1",
                    "Local-PowerShell",
                ]
            },
            "Binary": None,
        },
    }
}
O365 = {
    "CreationTime": "2026-11-20T10:05:00",
    "Operation": "New-InboxRule",
    "RecordType": 1,
    "UserType": 2,
    "Workload": "Exchange",
    "UserId": "alice@contoso.com",
    "ClientIP": "203.0.113.24:51234",
    "ResultStatus": "True",
    "Parameters": [{"Name": "ForwardTo", "Value": "x@evil.example"}, {"Name": "From", "Value": ""}],
    "OperationProperties": [{"Name": "RuleName", "Value": "Invoices"}],
}
REPORTS = {
    "kind": "admin#reports#activity",
    "id": {"time": "2026-11-24T12:00:00.000Z", "applicationName": "user_accounts"},
    "actor": {"callerType": "USER", "email": "bob@contoso.com"},
    "ipAddress": "203.0.113.60",
    "events": [
        {
            "type": "email_forwarding_change",
            "name": "email_forwarding_out_of_domain",
            "parameters": [
                {"name": "email_forwarding_destination_address", "value": "me@gmail.example"}
            ],
        }
    ],
}
AUDIT = {
    "auditd_records": [
        "type=SYSCALL msg=audit(1795166043.512:4410): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c items=1 "
        'ppid=24388 pid=24410 auid=1002 uid=1002 gid=1002 euid=1002 tty=pts0 ses=4 comm="cat" exe="/usr/bin/cat" '
        'key="t1114_mail_store"',
        'type=PATH msg=audit(1795166043.512:4410): item=0 name="/var/mail/alice" nametype=NORMAL',
    ]
}
ES_EXEC = {
    "event_type": 9,
    "time": "2026-11-20T14:00:00.000Z",
    "host": {"hostname": "MBP-JDOE"},
    "process": {"executable": {"path": "/bin/zsh"}, "audit_token": {"pid": 5098}},
    "event": {
        "exec": {
            "args": ["ditto", "-c", "/Users/jdoe/Library/Mail", "/tmp/m.zip"],
            "cwd": {"path": "/Users/jdoe"},
            "target": {
                "executable": {"path": "/usr/bin/ditto"},
                "audit_token": {"pid": 5101},
                "ppid": 5098,
            },
        }
    },
}

GRAPH_ACTIVITY = {
    "TimeGenerated": "2026-12-03T09:14:22.531Z",
    "Type": "MicrosoftGraphActivityLogs",
    "RequestMethod": "GET",
    "RequestUri": "https://graph.microsoft.com/v1.0/users/ceo@contoso.com/messages?$top=50",
    "ResponseStatusCode": 200,
    "IPAddress": "203.0.113.77",
    "AppId": "7f3c2a10-61d4-4b8e-9a52-3e1f0c9b8d47",
    "ServicePrincipalId": "c41e9b72-0a5d-4f38-b6e1-92d7a4c3f815",
    "UserId": "",
    "Roles": "Mail.Read User.Read.All",
    "Scopes": "",
    "SignInActivityId": "sIgNiN",
}


@pytest.mark.parametrize(
    "raw, family",
    [
        (SYSMON_1, "windows"),
        (EXCHANGE, "windows"),
        (O365, "microsoft"),
        (GRAPH_ACTIVITY, "microsoft"),
        (REPORTS, "google"),
        (AUDIT, "linux"),
        (ES_EXEC, "macos"),
    ],
)
def test_every_raw_form_has_a_family_and_a_collector_per_target(raw, family):
    assert shapes.family_of(raw).__name__.endswith(family)
    for target in shapes.TARGETS:
        names = shapes.collectors(raw, target)
        assert names, target
        for name in names:
            assert all(isinstance(d, dict) and d for d in shapes.render(raw, target, name))


def test_unknown_event_and_unknown_collector_are_errors():
    with pytest.raises(shapes.UnknownShape, match="no shape renderer recognises"):
        shapes.render({"foo": 1}, "splunk")
    with pytest.raises(shapes.UnknownShape, match="does not record this event"):
        shapes.render(O365, "elastic", "endpoint")


def test_native_default_is_the_raw_event_itself():
    assert shapes.render(SYSMON_1, "native") == [SYSMON_1]


def test_sysmon_process_start_on_every_elastic_collector():
    for collector in ("windows.sysmon_operational", "windows.forwarded", "endpoint"):
        (doc,) = shapes.render(SYSMON_1, "elastic", collector)
        flat = flatten(doc)
        assert flat["process.executable"] == "C:\\Windows\\System32\\robocopy.exe", collector
        assert flat["process.command_line"] == "robocopy a b *.ost", collector
        assert flat["process.parent.executable"] == "C:\\Windows\\explorer.exe", collector
    assert (
        flatten(shapes.render(SYSMON_1, "elastic", "endpoint")[0])["data_stream.dataset"]
        == "endpoint.events.process"
    )


def test_flat_eventdata_has_system_and_eventdata_names_side_by_side():
    (flat,) = shapes.render(SYSMON_1, "native", "eventdata_flat")
    assert flat["Channel"] == "Microsoft-Windows-Sysmon/Operational" and flat["EventID"] == 1
    assert flat["Image"].endswith("robocopy.exe") and "Event" not in flat
    assert shapes.collectors(flat, "native") == ("eventdata_flat",)
    # NXLog's im_msvistalog names the System fields its own way; they read as the EVTX names,
    # so correlations group by Computer and order by the event's time whichever wrote it.
    unwrapped = flatten(SYSMON_1)
    assert "Computer" not in flat and flat["Hostname"] == unwrapped["Computer"]
    assert flat["EventTime"] == unwrapped["TimeCreated_SystemTime"].replace("T", " ").rstrip("Z")
    read = flatten(flat)
    assert read["Computer"] == unwrapped["Computer"]
    assert read["Provider_Name"] == unwrapped["Provider_Name"]
    assert read["TimeCreated_SystemTime"] == flat["EventTime"]
    # A record written that way renders as the EVTX record does on the other targets (its time
    # without the zone NXLog does not write).
    (from_flat,), (from_evtx,) = shapes.render(flat, "splunk"), shapes.render(SYSMON_1, "splunk")
    assert from_evtx.pop("_time").rstrip("Z") == from_flat.pop("_time") and from_flat == from_evtx


def test_exchange_management_rendered_message_carries_cmdlet_and_parameters():
    (flat,) = shapes.render(EXCHANGE, "native", "rendered_message")
    assert "param1" not in flat
    assert flat["Message"].startswith(
        "Cmdlet suceeded. Cmdlet New-MailboxExportRequest, parameters -Mailbox 'bob'"
    )
    (splunk,) = shapes.render(EXCHANGE, "splunk")
    assert (
        splunk["Message"] == flat["Message"]
        and splunk["source"] == "WinEventLog:MSExchange Management"
    )
    (elastic,) = shapes.render(EXCHANGE, "elastic")
    assert elastic["winlog"]["event_data"]["param1"] == "New-MailboxExportRequest"


def test_exchange_management_structured_and_flattened_on_every_target():
    assert shapes.collectors(EXCHANGE, "splunk") == ("WinEventLog", "XmlWinEventLog")
    assert shapes.collectors(EXCHANGE, "elastic") == ("windows.forwarded", "rendered_message")
    (xml,) = shapes.render(EXCHANGE, "splunk", "XmlWinEventLog")
    # The add-on names no unnamed <Data> value: the cmdlet is in the EventData block and Message only.
    assert xml["source"] == "XmlWinEventLog:MSExchange Management" and xml["EventCode"] == 1
    assert "param1" not in xml and "New-MailboxExportRequest" not in {str(v) for v in xml.values()}
    assert xml["EventData_Xml"].startswith(
        "<Data>New-MailboxExportRequest</Data><Data>-Mailbox 'bob'"
    )
    assert "Cmdlet New-MailboxExportRequest" in xml["Message"]
    (flat,) = shapes.render(EXCHANGE, "elastic", "rendered_message")
    assert (
        "event_data" not in flat["winlog"] and flat["data_stream"]["dataset"] == "windows.forwarded"
    )
    assert flat["message"].startswith("Cmdlet suceeded. Cmdlet New-MailboxExportRequest")


def test_o365_on_splunk_and_elastic():
    (splunk,) = shapes.render(O365, "splunk")
    assert (
        splunk["ForwardTo"] == "x@evil.example" and "From" not in splunk
    )  # no empty field on Splunk
    assert splunk["Parameters{}.Name"] == ["ForwardTo", "From"]
    (elastic,) = shapes.render(O365, "elastic")
    audit = elastic["o365"]["audit"]
    assert audit["Parameters"] == {"ForwardTo": "x@evil.example", "From": ""}
    assert audit["OperationProperties"] == [{"Name": "RuleName", "Value": "Invoices"}]
    assert audit["RecordType"] == "1" and "ClientIP" not in audit
    assert (
        elastic["client"]["address"] == "203.0.113.24:51234"
        and elastic["source"]["ip"] == "203.0.113.24"
    )


def test_graph_activity_row_as_the_diagnostic_record_and_the_integration_document():
    (splunk,) = shapes.render(GRAPH_ACTIVITY, "splunk")
    assert splunk["category"] == "MicrosoftGraphActivityLogs"
    assert splunk["properties.requestUri"] == GRAPH_ACTIVITY["RequestUri"]
    assert splunk["properties.roles"] == "Mail.Read User.Read.All"
    assert "properties.userId" not in splunk and "properties.scopes" not in splunk  # nulls
    (elastic,) = shapes.render(GRAPH_ACTIVITY, "elastic")
    assert elastic["url"]["original"] == GRAPH_ACTIVITY["RequestUri"]
    assert elastic["url"]["path"] == "/v1.0/users/ceo@contoso.com/messages"
    assert elastic["http"]["request"]["method"] == "GET" and "user" not in elastic
    props = elastic["azure"]["graphactivitylogs"]["properties"]
    assert props["roles"] == ["Mail.Read", "User.Read.All"] and "scopes" not in props
    assert props["sign_in_activity_id"] == "sIgNiN" and props["service_principal_id"]
    assert shapes.render(GRAPH_ACTIVITY, "native") == [GRAPH_ACTIVITY]


def test_reports_activity_and_its_cloud_logging_entry_read_alike():
    (entry,) = shapes.render(REPORTS, "native", "cloud_logging")
    assert (
        entry["protoPayload"]["metadata"]["event"][0]["eventName"]
        == "email_forwarding_out_of_domain"
    )
    direct, via_cloud = flatten(REPORTS), flatten(entry)
    for name in (
        "id.applicationName",
        "events.name",
        "events.type",
        "actor.email",
        "ipAddress",
        "events.parameters.email_forwarding_destination_address",
    ):
        assert via_cloud[name] == direct[name], name
    assert shapes.collectors(entry, "native") == ("cloud_logging",)
    assert shapes.collectors(entry, "elastic") == ("gcp.audit",)


def test_cloud_logging_entry_on_elastic_keeps_the_envelope_only():
    """gcp.audit drops protoPayload.metadata: the method names the event, nothing holds its parameters."""
    assert shapes.collectors(REPORTS, "elastic") == ("google_workspace.user_accounts", "gcp.audit")
    (doc,) = shapes.render(REPORTS, "elastic", "gcp.audit")
    flat = flatten(doc)
    assert flat["event.action"] == "google.login.LoginService.emailForwardingOutOfDomain"
    assert (
        flat["service.name"] == "login.googleapis.com"
        and flat["client.user.email"] == "bob@contoso.com"
    )
    assert flat["source.ip"] == "203.0.113.60" and flat["data_stream.dataset"] == "gcp.audit"
    assert not [
        k for k, v in flat.items() if v == "me@gmail.example" or "email_forwarding" in str(v)
    ]
    assert (
        shapes.blind("elastic", "gcp.audit")
        and shapes.blind("elastic", "google_workspace.user_accounts") is None
    )


def test_audit_event_is_one_splunk_event_per_record_and_one_elastic_document():
    splunk = shapes.render(AUDIT, "splunk")
    assert [d["type"] for d in splunk] == ["SYSCALL", "PATH"]
    assert splunk[0]["key"] == "t1114_mail_store" and splunk[0]["syscall"] == "257"
    (doc,) = shapes.render(AUDIT, "elastic")
    assert doc["tags"] == ["t1114_mail_store"] and doc["process"]["executable"] == "/usr/bin/cat"
    assert (
        doc["auditd"]["paths"][0]["name"] == "/var/mail/alice"
        and doc["auditd"]["message_type"] == "syscall"
    )


LINUX_EXEC = {
    "Event": {
        "System": {
            "Provider": {"#attributes": {"Name": "Linux-Sysmon"}},
            "EventID": 1,
            "Channel": "Linux-Sysmon/Operational",
            "Computer": "mx01",
            "TimeCreated": {"#attributes": {"SystemTime": "2026-11-20T09:00:00.000Z"}},
        },
        "EventData": {
            "ProcessId": 4100,
            "Image": "/usr/bin/a-very-long-tool-name",
            "User": "alice",
            "CommandLine": "tar czf /tmp/m.tgz "
            + " ".join(f"/var/mail/user{n:03d}" for n in range(12)),
            "CurrentDirectory": "/home/alice",
            "ParentImage": "/bin/bash",
            "ParentProcessId": 4000,
        },
    }
}


def test_linux_exec_as_auditd_manager_records_it():
    assert shapes.collectors(LINUX_EXEC, "elastic") == (
        "endpoint",
        "sysmon_linux.log",
        "auditd_manager.auditd",
    )
    (doc,) = shapes.render(LINUX_EXEC, "elastic", "auditd_manager.auditd")
    flat = flatten(doc)
    assert doc["event"]["action"] == "executed" and doc["event"]["category"] == ["process"]
    assert (
        flat["process.args"][:3] == ["tar", "czf", "/tmp/m.tgz"]
        and flat["process.args_count"] == 15
    )
    # The kernel keeps 128 bytes of the title and 15 characters of the command name, and no parent image.
    assert flat["process.title"] == LINUX_EXEC["Event"]["EventData"]["CommandLine"][:128]
    assert flat["process.name"] == "a-very-long-too"
    assert "process.parent.executable" not in flat and flat["process.parent.pid"] == 4000
    assert flat["user.name"] == "alice" and flat["host.hostname"] == "mx01"
    file_event = {
        "Event": {**LINUX_EXEC["Event"], "System": {**LINUX_EXEC["Event"]["System"], "EventID": 11}}
    }
    assert "auditd_manager.auditd" not in shapes.collectors(file_event, "elastic")


def test_endpoint_security_exec_as_flat_taxonomy():
    (flat,) = shapes.render(ES_EXEC, "native", "sigma_taxonomy")
    assert flat == {
        "UtcTime": "2026-11-20T14:00:00.000Z",
        "Computer": "MBP-JDOE",
        "EventID": 1,
        "Image": "/usr/bin/ditto",
        "CommandLine": "ditto -c /Users/jdoe/Library/Mail /tmp/m.zip",
        "CurrentDirectory": "/Users/jdoe",
        "ProcessId": 5101,
        "ParentImage": "/bin/zsh",
    }
    (defend,) = shapes.render(ES_EXEC, "elastic", "endpoint")
    assert defend["process"]["parent"]["pid"] == 5098 and defend["host"]["hostname"] == "MBP-JDOE"
