#!/usr/bin/env python3
"""Write fixtures/windows/*.json from the case list in tools/windows_fixture_cases.py.

Run from the repository root:  python tools/gen_windows_fixtures.py [--check]

Each case names the behaviour once (an image, a command line, a file path...) and this
module renders it as each platform records it: the Windows event as evtx/Zircolite JSON
exports it (Event.System / Event.EventData), the event as the Splunk add-ons extract it
(raw EventData names plus the CIM fields and tags they add), and the document as the Elastic
integrations store it (ECS, winlog.*, Elastic Defend). The shapes follow the vendors' field
references and public recordings; nothing here is copied from a recording, and nothing
here knows what the pack's pipelines map, so the fixtures test the mappings rather than
echo them. ``--check`` fails when the committed files differ from what the cases give.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

SYSMON = "Microsoft-Windows-Sysmon/Operational"
PS_CHANNEL = "Microsoft-Windows-PowerShell/Operational"
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
    return {
        "Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            "System": {
                "Provider": {"#attributes": {"Name": provider}},
                "EventID": event_id,
                "Level": 4,
                "TimeCreated": {"#attributes": {"SystemTime": when}},
                "EventRecordID": record,
                "Channel": channel,
                "Computer": host,
            },
            "EventData": data,
        }
    }


def _utc(when: str) -> str:
    return when.replace("T", " ").rstrip("Z")


# --- one renderer per kind of event: (native, splunk, elastic) --------------------------


def process(e, when, record):
    image, cmd = e["image"], e["cmd"]
    parent = e.get("parent", "C:\\Windows\\explorer.exe")
    pcmd = e.get("parent_cmd", parent)
    ofn = e.get("ofn")
    host, user = e.get("host", "WS01.contoso.local"), e.get("user", "CONTOSO\\bob")
    domain, name = _user(user)
    pid = 4000 + record % 1000
    via = e.get("via", "sysmon")
    if via == "security":
        native = _native("Microsoft-Windows-Security-Auditing", 4688, "Security", host, when, record, {
            "SubjectUserName": name, "SubjectDomainName": domain, "NewProcessId": hex(pid),
            "NewProcessName": image, "TokenElevationType": "%%1936", "CommandLine": cmd,
            "ParentProcessName": parent})
        splunk_raw = {"source": "XmlWinEventLog:Security", "EventCode": 4688, "NewProcessName": image,
                      "ParentProcessName": parent, "CommandLine": cmd, "SubjectUserName": name}
    else:
        data = {"RuleName": "-", "UtcTime": _utc(when), "ProcessGuid": f"{{6f1c2d3e-0000-4a5b-8c00-{record:012d}}}",
                "ProcessId": pid, "Image": image}
        if ofn:
            data["OriginalFileName"] = ofn
        data.update({"CommandLine": cmd, "CurrentDirectory": "C:\\Windows\\system32\\", "User": user,
                     "IntegrityLevel": "High", "ParentImage": parent, "ParentCommandLine": pcmd})
        native = _native("Microsoft-Windows-Sysmon", 1, SYSMON, host, when, record, data)
        splunk_raw = {"source": "XmlWinEventLog:" + SYSMON, "EventCode": 1, "Image": image, "CommandLine": cmd,
                      "ParentImage": parent, "ParentCommandLine": pcmd, "User": user, "ProcessId": pid}
        if ofn:
            splunk_raw["OriginalFileName"] = ofn
    splunk = {"_time": when, "host": host.split(".")[0], "sourcetype": "XmlWinEventLog", "Computer": host, **splunk_raw,
              # CIM fields the add-ons extract, and the tags of the Endpoint.Processes data model.
              "process": cmd, "process_name": _basename(image), "process_path": image, "process_id": pid,
              "parent_process": pcmd, "parent_process_name": _basename(parent), "parent_process_path": parent,
              "user": user, "dest": host, "tag": ["process", "report"]}
    if ofn and via != "security":
        splunk["original_file_name"] = ofn
    proc = {"executable": image, "name": _basename(image), "command_line": cmd, "pid": pid,
            "parent": {"executable": parent, "name": _basename(parent), "command_line": pcmd}}
    if ofn and via != "security":
        proc["pe"] = {"original_file_name": ofn}
    elastic = {"@timestamp": when, "host": {"name": host, "os": {"type": "windows"}},
               "process": proc, "user": {"name": name, "domain": domain}}
    if via == "defend":
        elastic.update({"data_stream": {"dataset": "endpoint.events.process", "namespace": "default", "type": "logs"},
                        "event": {"action": "start", "type": ["start"], "category": ["process"], "kind": "event",
                                  "module": "endpoint", "dataset": "endpoint.events.process"}})
    elif via == "security":
        elastic.update({"data_stream": {"dataset": "system.security", "namespace": "default", "type": "logs"},
                        "event": {"code": "4688", "action": "created-process", "category": ["process"], "type": ["start"],
                                  "provider": "Microsoft-Windows-Security-Auditing", "module": "system"},
                        "winlog": {"channel": "Security", "event_id": "4688", "computer_name": host}})
    else:
        ds = "windows.forwarded" if via == "forwarded" else "windows.sysmon_operational"
        elastic.update({"data_stream": {"dataset": ds, "namespace": "default", "type": "logs"},
                        "event": {"code": "1", "category": ["process"], "type": ["start"], "kind": "event",
                                  "provider": "Microsoft-Windows-Sysmon", "module": "sysmon"},
                        "winlog": {"channel": SYSMON, "event_id": "1", "computer_name": host}})
    return native, splunk, elastic


def file(e, when, record):
    image, target = e["image"], e["target"]
    host, user = e.get("host", "WS01.contoso.local"), e.get("user", "CONTOSO\\bob")
    domain, name = _user(user)
    pid = 5000 + record % 1000
    native = _native("Microsoft-Windows-Sysmon", 11, SYSMON, host, when, record, {
        "RuleName": "-", "UtcTime": _utc(when), "ProcessGuid": f"{{6f1c2d3e-0000-4a5b-8c00-{record:012d}}}",
        "ProcessId": pid, "Image": image, "TargetFilename": target, "CreationUtcTime": _utc(when), "User": user})
    splunk = {"_time": when, "host": host.split(".")[0], "source": "XmlWinEventLog:" + SYSMON, "sourcetype": "XmlWinEventLog",
              "EventCode": 11, "Computer": host, "Image": image, "TargetFilename": target, "ProcessId": pid, "User": user,
              "file_path": target, "file_name": _basename(target), "process_name": _basename(image), "process_id": pid,
              "action": "created", "user": user, "dest": host, "tag": ["endpoint", "filesystem", "change"]}
    directory, _, fname = target.rpartition("\\")
    f = {"path": target, "name": fname, "directory": directory, "extension": fname.rpartition(".")[2]}
    elastic = {"@timestamp": when, "host": {"name": host, "os": {"type": "windows"}}, "file": f,
               "process": {"executable": image, "name": _basename(image), "pid": pid}, "user": {"name": name, "domain": domain}}
    if e.get("via") == "defend":
        action = e.get("action", "creation")
        elastic.update({"data_stream": {"dataset": "endpoint.events.file", "namespace": "default", "type": "logs"},
                        "event": {"action": action, "type": ["change" if action == "rename" else "creation"],
                                  "category": ["file"], "kind": "event", "module": "endpoint"}})
    else:
        elastic.update({"data_stream": {"dataset": "windows.sysmon_operational", "namespace": "default", "type": "logs"},
                        "event": {"code": "11", "category": ["file"], "type": ["creation"], "kind": "event",
                                  "provider": "Microsoft-Windows-Sysmon", "module": "sysmon"},
                        "winlog": {"channel": SYSMON, "event_id": "11", "computer_name": host}})
    return native, splunk, elastic


def network(e, when, record):
    image, port = e["image"], e["port"]
    host, user = e.get("host", "WS01.contoso.local"), e.get("user", "CONTOSO\\bob")
    domain, name = _user(user)
    dip, dhost = e.get("dip", "203.0.113.25"), e.get("dhost", "mail.example.net")
    pid = 6000 + record % 1000
    native = _native("Microsoft-Windows-Sysmon", 3, SYSMON, host, when, record, {
        "RuleName": "-", "UtcTime": _utc(when), "ProcessGuid": f"{{6f1c2d3e-0000-4a5b-8c00-{record:012d}}}",
        "ProcessId": pid, "Image": image, "User": user, "Protocol": "tcp", "Initiated": "true",
        "SourceIsIpv6": "false", "SourceIp": "10.1.2.3", "SourcePort": 50123, "DestinationIsIpv6": "false",
        "DestinationIp": dip, "DestinationHostname": dhost, "DestinationPort": port})
    splunk = {"_time": when, "host": host.split(".")[0], "source": "XmlWinEventLog:" + SYSMON, "sourcetype": "XmlWinEventLog",
              "EventCode": 3, "Computer": host, "Image": image, "User": user, "Protocol": "tcp", "Initiated": "true",
              "SourceIp": "10.1.2.3", "SourcePort": 50123, "DestinationIp": dip, "DestinationHostname": dhost,
              "DestinationPort": port, "dest_ip": dip, "dest_port": port, "process_name": _basename(image)}
    elastic = {"@timestamp": when, "host": {"name": host},
               "data_stream": {"dataset": "windows.sysmon_operational", "namespace": "default", "type": "logs"},
               "event": {"code": "3", "category": ["network"], "type": ["connection", "start"], "kind": "event",
                         "provider": "Microsoft-Windows-Sysmon", "module": "sysmon"},
               "winlog": {"channel": SYSMON, "event_id": "3", "computer_name": host},
               "process": {"executable": image, "name": _basename(image), "pid": pid},
               "source": {"ip": "10.1.2.3", "port": 50123}, "destination": {"ip": dip, "port": port, "domain": dhost},
               "network": {"transport": "tcp", "direction": "egress"}, "user": {"name": name, "domain": domain}}
    return native, splunk, elastic


def _dword_strings(details: str) -> list[str]:
    if details.startswith("DWORD (0x"):
        return [str(int(details[len("DWORD (0x") : -1], 16))]
    return [details]


def registry(e, when, record):
    image, target, details = e["image"], e["target"], e["details"]
    host, user = e.get("host", "WS01.contoso.local"), e.get("user", "CONTOSO\\bob")
    domain, name = _user(user)
    pid = 7000 + record % 1000
    native = _native("Microsoft-Windows-Sysmon", 13, SYSMON, host, when, record, {
        "RuleName": "-", "EventType": "SetValue", "UtcTime": _utc(when),
        "ProcessGuid": f"{{6f1c2d3e-0000-4a5b-8c00-{record:012d}}}", "ProcessId": pid, "Image": image,
        "TargetObject": target, "Details": details, "User": user})
    splunk = {"_time": when, "host": host.split(".")[0], "source": "XmlWinEventLog:" + SYSMON, "sourcetype": "XmlWinEventLog",
              "EventCode": 13, "Computer": host, "EventType": "SetValue", "Image": image, "TargetObject": target,
              "Details": details, "User": user, "registry_path": target, "registry_value_data": details}
    full = target.replace("HKU\\", "HKEY_USERS\\", 1).replace("HKLM\\", "HKEY_LOCAL_MACHINE\\", 1)
    elastic = {"@timestamp": when, "host": {"name": host},
               "data_stream": {"dataset": "windows.sysmon_operational", "namespace": "default", "type": "logs"},
               "event": {"code": "13", "category": ["registry"], "type": ["change"], "kind": "event",
                         "provider": "Microsoft-Windows-Sysmon", "module": "sysmon"},
               "winlog": {"channel": SYSMON, "event_id": "13", "computer_name": host},
               "process": {"executable": image, "name": _basename(image), "pid": pid},
               "registry": {"path": full, "value": full.rsplit("\\", 1)[1],
                            "data": {"strings": _dword_strings(details), "type": "SZ_DWORD" if details.startswith("DWORD") else "SZ"}},
               "user": {"name": name, "domain": domain}}
    return native, splunk, elastic


def object_access(e, when, record):
    process_name, obj = e["process"], e["object"]
    host, user = e.get("host", "WS01.contoso.local"), e.get("user", "CONTOSO\\bob")
    domain, name = _user(user)
    data = {"SubjectUserSid": "S-1-5-21-1004336348-1177238915-682003330-1104", "SubjectUserName": name,
            "SubjectDomainName": domain, "SubjectLogonId": "0x3e7a41", "ObjectServer": "Security", "ObjectType": "File",
            "ObjectName": obj, "HandleId": "0x1a4", "AccessList": "%%4416", "AccessMask": "0x1", "ProcessId": "0x1f3c",
            "ProcessName": process_name, "ResourceAttributes": "S:AI"}
    native = _native("Microsoft-Windows-Security-Auditing", 4663, "Security", host, when, record, data)
    splunk = {"_time": when, "host": host.split(".")[0], "source": "XmlWinEventLog:Security", "sourcetype": "XmlWinEventLog",
              "EventCode": 4663, "Computer": host, "SubjectUserName": name, "SubjectDomainName": domain,
              "ObjectServer": "Security", "ObjectType": "File", "ObjectName": obj, "AccessList": "%%4416",
              "AccessMask": "0x1", "ProcessName": process_name, "object_file_path": obj, "process_name": _basename(process_name)}
    elastic = {"@timestamp": when, "host": {"name": host},
               "data_stream": {"dataset": e.get("dataset", "system.security"), "namespace": "default", "type": "logs"},
               "event": {"code": "4663", "action": "object-access", "category": ["file"], "kind": "event",
                         "provider": "Microsoft-Windows-Security-Auditing", "module": "system"},
               "winlog": {"channel": "Security", "event_id": "4663", "computer_name": host,
                          "event_data": {"ObjectServer": "Security", "ObjectType": "File", "ObjectName": obj,
                                         "AccessList": "%%4416", "AccessMask": "0x1", "ProcessName": process_name}},
               "process": {"executable": process_name, "name": _basename(process_name), "pid": 7996},
               "user": {"name": name, "domain": domain}}
    return native, splunk, elastic


def script_block(e, when, record):
    text, host = e["text"], e.get("host", "WS01.contoso.local")
    path = e.get("path", "")
    sbid = f"b7a3c1d2-0000-4e5f-9a00-{record:012d}"
    native = _native("Microsoft-Windows-PowerShell", 4104, PS_CHANNEL, host, when, record, {
        "MessageNumber": 1, "MessageTotal": 1, "ScriptBlockText": text, "ScriptBlockId": sbid, "Path": path})
    native["Event"]["System"]["Level"] = 5
    splunk = {"_time": when, "host": host.split(".")[0], "source": "XmlWinEventLog:" + PS_CHANNEL, "sourcetype": "XmlWinEventLog",
              "EventCode": 4104, "Computer": host, "MessageNumber": 1, "MessageTotal": 1, "ScriptBlockText": text,
              "ScriptBlockId": sbid, "Path": path}
    ds = e.get("dataset", "windows.powershell_operational")
    elastic = {"@timestamp": when, "host": {"name": host},
               "data_stream": {"dataset": ds, "namespace": "default", "type": "logs"},
               "event": {"code": "4104", "category": ["process"], "type": ["info"], "kind": "event",
                         "provider": "Microsoft-Windows-PowerShell", "module": "powershell"},
               "winlog": {"channel": PS_CHANNEL, "event_id": "4104", "computer_name": host},
               "powershell": {"file": {"script_block_text": text, "script_block_id": sbid}, "sequence": 1, "total": 1}}
    if path:
        elastic["file"] = {"path": path}
    return native, splunk, elastic


def exchange_cmdlet(e, when, record):
    cmdlet, params = e["cmdlet"], e["params"]
    host = e.get("host", "EXCH01.contoso.local")
    caller = e.get("caller", "contoso.local/Users/exadmin")
    event_id = 6 if e.get("failed") else 1
    client = e.get("client", "Local-PowerShell-RemoteExchange")
    values = [cmdlet, params, caller, "S-1-5-21-1004336348-1177238915-682003330-1601",
              "S-1-5-21-1004336348-1177238915-682003330-1601", client, "11828 w3wp#MSExchangePowerShellAppPool",
              "", "12", "00:00:01.2031250", "View Entire Forest: 'False', Default Scope: 'contoso.local'",
              "", "", "", "False", "", "", "", "0", "ServicePlan:;IsAdmin:True;", "en-US"]
    native = _native("MSExchange CmdletLogs", {"#attributes": {"Qualifiers": 49152 if event_id == 6 else 16384}, "#text": event_id},
                     "MSExchange Management", host, when, record, {"Data": {"#text": values}, "Binary": None})
    outcome = "failed" if event_id == 6 else "suceeded"
    message = f"Cmdlet {outcome}. Cmdlet {cmdlet}, parameters {params}.\r\nCaller: {caller}\r\nClient: {client}"
    splunk = {"_time": when, "host": host.split(".")[0], "source": "WinEventLog:MSExchange Management", "sourcetype": "WinEventLog",
              "LogName": "MSExchange Management", "SourceName": "MSExchange CmdletLogs", "EventCode": event_id,
              "EventType": 4 if event_id == 1 else 2, "ComputerName": host, "TaskCategory": "General", "Message": message}
    elastic = {"@timestamp": when, "host": {"name": host}, "message": message,
               "data_stream": {"dataset": "windows.forwarded", "namespace": "default", "type": "logs"},
               "event": {"code": str(event_id), "kind": "event", "provider": "MSExchange CmdletLogs", "module": "windows"},
               "winlog": {"channel": "MSExchange Management", "provider_name": "MSExchange CmdletLogs",
                          "event_id": str(event_id), "computer_name": host,
                          "event_data": {f"param{i}": v for i, v in enumerate(values[:8], 1)}}}
    return native, splunk, elastic


RENDERERS = {"process": process, "file": file, "network": network, "registry": registry,
             "object_access": object_access, "script_block": script_block, "exchange_cmdlet": exchange_cmdlet}
WHAT = {"process": "Sysmon 1 / Security 4688 process creation", "file": "Sysmon 11 file creation",
        "network": "Sysmon 3 network connection", "registry": "Sysmon 13 registry value set",
        "object_access": "Security 4663 object access", "script_block": "PowerShell 4104 script block",
        "exchange_cmdlet": "MSExchange Management cmdlet event"}


def render_case(case: dict, record_base: int) -> dict:
    shapes = {"native": [], "splunk": [], "elastic": []}
    for i, e in enumerate(case["events"]):
        kind = e["kind"]
        when = _time(case.get("time", "2026-11-20T09:00:00Z"), e.get("at", 7 * i))
        fields = {k: v for k, v in e.items() if k not in ("kind", "at")}
        for shape, doc in zip(shapes, RENDERERS[kind](fields, when, record_base + i), strict=False):
            shapes[shape].append(doc)
    kinds = sorted({WHAT[e["kind"]] for e in case["events"]})
    out = {"name": case["name"], "description": case["description"],
           "source": case.get("source", SOURCE_NOTE.format(what=", ".join(kinds))), "events": shapes}
    for key in ("match", "no_match"):
        if case.get(key):
            out[key] = case[key]
    return out


def render_all() -> dict[Path, str]:
    from windows_fixture_cases import FIXTURES

    files = {}
    record = 100000
    for rule, cases in FIXTURES.items():
        rendered = []
        for case in cases:
            rendered.append(render_case(case, record))
            record += 100
        payload = {"rule": rule, "cases": rendered}
        files[ROOT / "fixtures" / "windows" / f"{rule}.json"] = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    return files


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
