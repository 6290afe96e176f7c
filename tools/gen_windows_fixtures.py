#!/usr/bin/env python3
"""Write fixtures/windows/*.json from the case list in tools/windows_fixture_cases.py.

Run from the repository root:  python tools/gen_windows_fixtures.py [--check]

Each case names the behaviour once (an image, a command line, a file path...) and this
module writes it as the Windows event log records it: EVTX as evtx/Zircolite JSON exports it
(Event.System / Event.EventData). The other platforms' shapes are derived from that record by
t1114.targets.renderers (tested against the vendors' pipeline test vectors); nothing here knows what the
pack's pipelines map, so the fixtures test the mappings rather than echo them. ``--check``
fails when the committed files differ from what the cases give.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from sigma.pipelines.t1114.sources import POWERSHELL_CHANNEL as PS_CHANNEL
from sigma.pipelines.t1114.sources import SECURITY_CHANNEL
from sigma.pipelines.t1114.sources import SYSMON_CHANNEL as SYSMON
from t1114.targets.renderers.windows import evtx_record

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

SOURCE_NOTE = "Written for this pack; {what} as exported by evtx tools, the Splunk add-ons and the Elastic integrations (shapes modelled on public recordings, not copied)"


def _basename(path: str) -> str:
    return path.replace("/", "\\").rsplit("\\", 1)[-1]


def _user(user: str) -> tuple[str, str]:
    domain, _, name = user.rpartition("\\")
    return domain, name


def _time(base: str, seconds: int) -> str:
    t = dt.datetime.fromisoformat(base.replace("Z", "+00:00")) + dt.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _native(provider, event_id, channel, host, when, record, data):
    return evtx_record(provider, event_id, channel, host, when, data, record_id=record)


def _utc(when: str) -> str:
    return when.replace("T", " ").rstrip("Z")


# --- one raw EVTX record per kind of event (t1114.targets.renderers.windows derives the other shapes) ---


def process(e, when, record):
    image, cmd = e["image"], e["cmd"]
    parent = e.get("parent", "C:\\Windows\\explorer.exe")
    host, user = e.get("host", "WS01.contoso.local"), e.get("user", "CONTOSO\\bob")
    domain, name = _user(user)
    pid = 4000 + record % 1000
    if e.get("via") == "security":
        return _native(
            "Microsoft-Windows-Security-Auditing",
            4688,
            SECURITY_CHANNEL,
            host,
            when,
            record,
            {
                "SubjectUserName": name,
                "SubjectDomainName": domain,
                "NewProcessId": hex(pid),
                "NewProcessName": image,
                "TokenElevationType": "%%1936",
                "CommandLine": cmd,
                "ParentProcessName": parent,
            },
        )
    data = {
        "RuleName": "-",
        "UtcTime": _utc(when),
        "ProcessGuid": f"{{6f1c2d3e-0000-4a5b-8c00-{record:012d}}}",
        "ProcessId": pid,
        "Image": image,
    }
    if e.get("ofn"):
        data["OriginalFileName"] = e["ofn"]
    data.update(
        {
            "CommandLine": cmd,
            "CurrentDirectory": "C:\\Windows\\system32\\",
            "User": user,
            "IntegrityLevel": "High",
            "ParentImage": parent,
            "ParentCommandLine": e.get("parent_cmd", parent),
        }
    )
    return _native("Microsoft-Windows-Sysmon", 1, SYSMON, host, when, record, data)


def file(e, when, record):
    host, user = e.get("host", "WS01.contoso.local"), e.get("user", "CONTOSO\\bob")
    return _native(
        "Microsoft-Windows-Sysmon",
        11,
        SYSMON,
        host,
        when,
        record,
        {
            "RuleName": "-",
            "UtcTime": _utc(when),
            "ProcessGuid": f"{{6f1c2d3e-0000-4a5b-8c00-{record:012d}}}",
            "ProcessId": 5000 + record % 1000,
            "Image": e["image"],
            "TargetFilename": e["target"],
            "CreationUtcTime": _utc(when),
            "User": user,
        },
    )


def network(e, when, record):
    host, user = e.get("host", "WS01.contoso.local"), e.get("user", "CONTOSO\\bob")
    return _native(
        "Microsoft-Windows-Sysmon",
        3,
        SYSMON,
        host,
        when,
        record,
        {
            "RuleName": "-",
            "UtcTime": _utc(when),
            "ProcessGuid": f"{{6f1c2d3e-0000-4a5b-8c00-{record:012d}}}",
            "ProcessId": 6000 + record % 1000,
            "Image": e["image"],
            "User": user,
            "Protocol": "tcp",
            "Initiated": "true",
            "SourceIsIpv6": "false",
            "SourceIp": "10.1.2.3",
            "SourcePort": 50123,
            "DestinationIsIpv6": "false",
            "DestinationIp": e.get("dip", "203.0.113.25"),
            "DestinationHostname": e.get("dhost", "mail.example.net"),
            "DestinationPort": e["port"],
        },
    )


def registry(e, when, record):
    host, user = e.get("host", "WS01.contoso.local"), e.get("user", "CONTOSO\\bob")
    return _native(
        "Microsoft-Windows-Sysmon",
        13,
        SYSMON,
        host,
        when,
        record,
        {
            "RuleName": "-",
            "EventType": "SetValue",
            "UtcTime": _utc(when),
            "ProcessGuid": f"{{6f1c2d3e-0000-4a5b-8c00-{record:012d}}}",
            "ProcessId": 7000 + record % 1000,
            "Image": e["image"],
            "TargetObject": e["target"],
            "Details": e["details"],
            "User": user,
        },
    )


def object_access(e, when, record):
    host, user = e.get("host", "WS01.contoso.local"), e.get("user", "CONTOSO\\bob")
    domain, name = _user(user)
    return _native(
        "Microsoft-Windows-Security-Auditing",
        4663,
        SECURITY_CHANNEL,
        host,
        when,
        record,
        {
            "SubjectUserSid": "S-1-5-21-1004336348-1177238915-682003330-1104",
            "SubjectUserName": name,
            "SubjectDomainName": domain,
            "SubjectLogonId": "0x3e7a41",
            "ObjectServer": "Security",
            "ObjectType": "File",
            "ObjectName": e["object"],
            "HandleId": "0x1a4",
            "AccessList": "%%4416",
            "AccessMask": "0x1",
            "ProcessId": "0x1f3c",
            "ProcessName": e["process"],
            "ResourceAttributes": "S:AI",
        },
    )


def _security(e, when, record, event_id, data):
    """A Security-log event; ``data`` is its EventData."""
    host = e.get("host", "FS01.contoso.local")
    return _native(
        "Microsoft-Windows-Security-Auditing", event_id, SECURITY_CHANNEL, host, when, record, data
    )


def share_access(e, when, record):
    domain, name = _user(e.get("user", "CONTOSO\\bob"))
    ip = e.get("ip", "10.1.2.40")
    data = {
        "SubjectUserSid": "S-1-5-21-1004336348-1177238915-682003330-1104",
        "SubjectUserName": name,
        "SubjectDomainName": domain,
        "SubjectLogonId": "0x8d2f11",
        "ObjectType": "File",
        "IpAddress": ip,
        "IpPort": "50211",
        "ShareName": e["share"],
        "ShareLocalPath": e.get("local", "\\??\\C:\\"),
        "RelativeTargetName": e["target"],
        "AccessMask": "0x120089",
        "AccessList": "%%1538 %%1541 %%4416 %%4419 %%4423",
    }
    return _security(e, when, record, 5145, data)


def logon(e, when, record):
    event_id = 4625 if e.get("failed") else 4624
    domain, name = _user(e.get("user", "CONTOSO\\bob"))
    ip, workstation = e.get("ip", "203.0.113.77"), e["workstation"]
    data = {
        "SubjectUserSid": "S-1-0-0",
        "SubjectUserName": "-",
        "SubjectDomainName": "-",
        "SubjectLogonId": "0x0",
        "TargetUserName": name,
        "TargetDomainName": domain,
        "LogonType": e.get("logon_type", "3"),
        "LogonProcessName": "NtLmSsp ",
        "AuthenticationPackageName": "NTLM",
        "WorkstationName": workstation,
        "IpAddress": ip,
        "IpPort": "0",
        "ProcessName": "-",
    }
    if event_id == 4624:
        data.update({"TargetLogonId": "0x9a1c44", "LmPackageName": "NTLM V2", "KeyLength": "128"})
    else:
        data.update({"Status": "0xc000006d", "SubStatus": "0xc000006a", "FailureReason": "%%2313"})
    return _security(e, when, record, event_id, data)


def credential_validation(e, when, record):
    """Security 4776: a domain controller validating NTLM credentials; Workstation is the name
    the client sent in its NTLM negotiation."""
    _domain, name = _user(e.get("user", "CONTOSO\\bob"))
    data = {
        "PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0",
        "TargetUserName": name,
        "Workstation": e["workstation"],
        "Status": e.get("status", "0x0"),
    }
    return _security({"host": "DC01.contoso.local", **e}, when, record, 4776, data)


def script_block(e, when, record):
    native = _native(
        "Microsoft-Windows-PowerShell",
        4104,
        PS_CHANNEL,
        e.get("host", "WS01.contoso.local"),
        when,
        record,
        {
            "MessageNumber": 1,
            "MessageTotal": 1,
            "ScriptBlockText": e["text"],
            "ScriptBlockId": f"b7a3c1d2-0000-4e5f-9a00-{record:012d}",
            "Path": e.get("path", ""),
        },
    )
    native["Event"]["System"]["Level"] = 5
    return native


def exchange_cmdlet(e, when, record):
    event_id = 6 if e.get("failed") else 1
    values = [
        e["cmdlet"],
        e["params"],
        e.get("caller", "contoso.local/Users/exadmin"),
        "S-1-5-21-1004336348-1177238915-682003330-1601",
        "S-1-5-21-1004336348-1177238915-682003330-1601",
        e.get("client", "Local-PowerShell-RemoteExchange"),
        "11828 w3wp#MSExchangePowerShellAppPool",
        "",
        "12",
        "00:00:01.2031250",
        "View Entire Forest: 'False', Default Scope: 'contoso.local'",
        "",
        "",
        "",
        "False",
        "",
        "",
        "",
        "0",
        "ServicePlan:;IsAdmin:True;",
        "en-US",
    ]
    return _native(
        "MSExchange CmdletLogs",
        {"#attributes": {"Qualifiers": 49152 if event_id == 6 else 16384}, "#text": event_id},
        "MSExchange Management",
        e.get("host", "EXCH01.contoso.local"),
        when,
        record,
        {"Data": {"#text": values}, "Binary": None},
    )


RENDERERS = {
    "process": process,
    "file": file,
    "network": network,
    "registry": registry,
    "object_access": object_access,
    "script_block": script_block,
    "exchange_cmdlet": exchange_cmdlet,
    "share_access": share_access,
    "logon": logon,
    "credential_validation": credential_validation,
}
WHAT = {
    "process": "Sysmon 1 / Security 4688 process creation",
    "file": "Sysmon 11 file creation",
    "network": "Sysmon 3 network connection",
    "registry": "Sysmon 13 registry value set",
    "object_access": "Security 4663 object access",
    "script_block": "PowerShell 4104 script block",
    "exchange_cmdlet": "MSExchange Management cmdlet event",
    "share_access": "Security 5145 network share access",
    "logon": "Security 4624/4625 logon",
    "credential_validation": "Security 4776 NTLM credential validation",
}


def render_case(case: dict, record_base: int) -> dict:
    from t1114.targets import renderers as shapes

    events = []
    for i, e in enumerate(case["events"]):
        when = _time(case.get("time", "2026-11-20T09:00:00Z"), e.get("at", 7 * i))
        fields = {k: v for k, v in e.items() if k not in ("kind", "at")}
        events.append(RENDERERS[e["kind"]](fields, when, record_base + i))
    kinds = sorted({WHAT[e["kind"]] for e in case["events"]})
    out = {
        "name": case["name"],
        "description": case["description"],
        "source": case.get("source", SOURCE_NOTE.format(what=", ".join(kinds))),
        "events": events,
    }
    for key in ("match", "no_match"):
        if case.get(key):
            out[key] = case[key]
    renamed = [i for i, e in enumerate(case["events"]) if e.get("action") == "rename"]
    if renamed:
        # Sysmon 11 records a file's creation, never a rename over it; Elastic Defend does.
        docs = [d for e in events for d in shapes.render(e, "elastic", "endpoint")]
        for i in renamed:
            docs[i]["event"].update({"action": "rename", "type": ["change"]})
        out["recorded"] = {
            "elastic": {
                "events": docs,
                "why": "Elastic Defend reports the write as a rename over "
                "the file, which Sysmon's FileCreate record cannot say",
            }
        }
    return out


def render_all() -> dict[Path, str]:
    from windows_fixture_cases import FIXTURES, VARIANTS

    # Variants added to a rule later are numbered after every other case, so adding one
    # leaves the record numbers (and files) of the other rules as they were.
    rendered: dict[str, list] = {rule: [] for rule in FIXTURES}
    record = 100000
    for rule, cases in [*FIXTURES.items(), *VARIANTS.items()]:
        for case in cases:
            rendered[rule].append(render_case(case, record))
            record += 100
    return {
        ROOT / "fixtures" / "windows" / f"{rule}.json": json.dumps(
            {"rule": rule, "cases": cases}, indent=2, ensure_ascii=False
        )
        + "\n"
        for rule, cases in rendered.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when committed fixtures differ")
    args = parser.parse_args()
    stale = []
    for path, text in render_all().items():
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        for p in stale:
            print(f"{p}: differs from tools/gen_windows_fixtures.py output", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
