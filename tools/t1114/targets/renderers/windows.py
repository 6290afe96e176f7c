"""Windows event logs: the EVTX record (``Event.System`` / ``Event.EventData`` JSON, as the
``evtx`` package and Zircolite write it) and what each collector makes of it.

Native: ``evtx`` (nested, as recorded) and ``eventdata_flat`` (System and EventData names side
by side in one object, as NXLog or a forwarder flattening EventData writes them); the
MSExchange Management log also as ``rendered_message`` (the forwarder keeps only the rendered
text, as a classic WinEventLog forwarder does). Splunk: the Windows and Sysmon add-ons'
``XmlWinEventLog`` extraction (EventData names as fields, the CIM fields the add-ons add) and,
for the MSExchange Management log, the classic ``WinEventLog`` rendering whose only text is
``Message``. Elastic: the Windows and System integrations' data streams, forwarded events
(``windows.forwarded``) and Elastic Defend (``endpoint``) for process and file events.
"""

from __future__ import annotations

from typing import Any

from sigma.pipelines.t1114.elastic import CHANNEL_DATASETS, ELASTIC_SOURCES, FORWARDED
from sigma.pipelines.t1114.sources import MSEXCHANGE_MANAGEMENT_CHANNEL as EXCHANGE
from sigma.pipelines.t1114.sources import POWERSHELL_CHANNEL as POWERSHELL
from sigma.pipelines.t1114.sources import SECURITY_CHANNEL as SECURITY
from sigma.pipelines.t1114.sources import SYSMON_CHANNEL as SYSMON
from sigma.pipelines.t1114.sources import event_log_source
from t1114.events import (
    NXLOG_SYSTEM_NAMES,
    UNNAMED_VALUE_PREFIX,
    _unwrap_windows_event,
    nxlog_as_evtx_names,
)
from t1114.targets.renderers import defend

_SYSTEM_KEYS = (
    "Channel",
    "EventID",
    "Computer",
    "Provider_Name",
    "TimeCreated_SystemTime",
    "EventRecordID",
)


def evtx_record(
    provider: str,
    event_id: int,
    channel: str,
    computer: str,
    system_time: str,
    data: dict,
    record_id: int | None = None,
) -> dict:
    """The raw form of a Windows event: an EVTX record as the ``evtx`` package renders it."""
    system: dict[str, Any] = {
        "Provider": {"#attributes": {"Name": provider}},
        "EventID": event_id,
        "Level": 4,
        "TimeCreated": {"#attributes": {"SystemTime": system_time}},
    }
    if record_id is not None:
        system["EventRecordID"] = record_id
    system.update({"Channel": channel, "Computer": computer})
    return {
        "Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            "System": system,
            "EventData": data,
        }
    }


def recognise(raw: dict) -> bool:
    event = raw.get("Event")
    if isinstance(event, dict) and isinstance(event.get("System"), dict):
        return str(event["System"].get("Channel", "")).startswith(
            ("Microsoft-Windows-", "Security", "MSExchange")
        )
    return isinstance(raw.get("Channel"), str) and raw["Channel"].startswith(
        ("Microsoft-Windows-", "Security", "MSExchange")
    )


def _facts(raw: dict) -> dict[str, Any]:
    if "Event" in raw:
        return _unwrap_windows_event(raw)
    flat = nxlog_as_evtx_names(raw)
    if flat is raw:
        return dict(raw)
    return {k: v for k, v in flat.items() if k not in NXLOG_SYSTEM_NAMES and k not in _NXLOG_OWN}


_NXLOG_OWN = {"SourceModuleName": "eventlog", "SourceModuleType": "im_msvistalog"}


def nxlog(facts: dict) -> dict:
    """The event as NXLog's im_msvistalog writes it as JSON: EventData names beside the System
    fields, which it names Hostname, SourceName, RecordNumber and EventTime (local time without a
    zone, here UTC), and its own module fields."""
    theirs = {ours: name for name, ours in NXLOG_SYSTEM_NAMES.items()}
    out = {theirs.get(k, k): v for k, v in facts.items()}
    if "EventTime" in out:
        out["EventTime"] = str(out["EventTime"]).replace("T", " ").rstrip("Z")
    return {**out, **_NXLOG_OWN}


def _key(facts: dict) -> tuple[str, int]:
    return facts.get("Channel", ""), int(facts.get("EventID", 0))


def _elastic_collectors(channel: str, event_id: int) -> tuple[str, ...]:
    """The channel's own data stream and forwarded events; Elastic Defend too where it records
    the event's source (process starts, file writes)."""
    own = (CHANNEL_DATASETS[channel],) if channel in CHANNEL_DATASETS else ()
    source = ELASTIC_SOURCES.get(event_log_source(channel, event_id) or "")
    defend = source is not None and any(d.startswith("endpoint.") for d in source.datasets)
    return (*own, FORWARDED) + (("endpoint",) if defend else ())


def collectors(raw: dict) -> dict[str, tuple[str, ...]]:
    facts = _facts(raw)
    channel, event_id = _key(facts)
    native = ("evtx", "eventdata_flat") if "Event" in raw else ("eventdata_flat",)
    if channel == EXCHANGE:
        return {
            "native": native + ("rendered_message",),
            "splunk": ("WinEventLog", "XmlWinEventLog"),
            "elastic": (FORWARDED, "rendered_message"),
        }
    return {
        "native": native,
        "splunk": ("XmlWinEventLog",),
        "elastic": _elastic_collectors(channel, event_id),
    }


def render(raw: dict, target: str, collector: str) -> dict:
    facts = _facts(raw)
    if target == "native":
        return _native(facts, collector)
    if target == "splunk":
        return _splunk(facts, collector)
    return _elastic(facts, collector)


# --- helpers ----------------------------------------------------------------------------------


def basename(path: str) -> str:
    return str(path).replace("/", "\\").rsplit("\\", 1)[-1]


def _split_user(user: str) -> dict:
    domain, sep, name = str(user).rpartition("\\")
    # The integrations set user.name/user.domain only from a DOMAIN\name value.
    return {"name": name, "domain": domain} if sep else {}


def _time(facts: dict) -> str:
    return str(facts.get("TimeCreated_SystemTime") or facts.get("UtcTime", "")).replace(" ", "T")


def _event_data(facts: dict) -> dict:
    return {
        k: v
        for k, v in facts.items()
        if k not in _SYSTEM_KEYS
        and not k.startswith(
            (
                "TimeCreated",
                "Provider_",
                "Execution",
                "Security_",
                "Level",
                "Task",
                "Opcode",
                "Keywords",
                "Version",
                "Correlation",
                "#",
            )
        )
    }


def exchange_message(facts: dict) -> str:
    """The rendered text of an MSExchange Management event (its message template filled in)."""
    outcome = (
        "failed" if int(facts.get("EventID", 1)) == 6 else "suceeded"
    )  # sic: the log's own spelling
    p = [facts.get(f"{UNNAMED_VALUE_PREFIX}{n}", "") for n in range(1, 7)]
    return (
        f"Cmdlet {outcome}. Cmdlet {p[0]}, parameters {p[1]}.\r\nCaller: {p[2]}\r\nClient: {p[5]}"
    )


# --- native -----------------------------------------------------------------------------------


def _native(facts: dict, collector: str) -> dict:
    if collector == "rendered_message":
        keep = {
            k: facts[k]
            for k in ("Channel", "EventID", "Computer", "Provider_Name", "TimeCreated_SystemTime")
            if k in facts
        }
        return {**keep, "Message": exchange_message(facts)}
    return nxlog(facts)  # eventdata_flat: System and EventData names side by side


# --- Splunk -----------------------------------------------------------------------------------


def _splunk(facts: dict, collector: str) -> dict:
    channel, event_id = _key(facts)
    host = str(facts.get("Computer", ""))
    base = {"_time": _time(facts), "host": host.split(".")[0]}
    if channel == EXCHANGE and collector == "XmlWinEventLog":
        # eventdata_xml_data extracts only <Data Name=...>: the log's unnamed values stay in
        # the EventData_Xml block; Message is RenderingInfo's (rendering_info_xml_data).
        values = [facts.get(f"{UNNAMED_VALUE_PREFIX}{n}") for n in range(1, 7)]
        return {
            **base,
            "source": f"XmlWinEventLog:{channel}",
            "sourcetype": "XmlWinEventLog",
            "EventCode": event_id,
            "EventID": event_id,
            "Computer": host,
            "Channel": channel,
            "Name": facts.get("Provider_Name", "MSExchange CmdletLogs"),
            "Message": _xml_text(exchange_message(facts)),
            "EventData_Xml": "".join(
                f"<Data>{_xml_text(v)}</Data>" for v in values if v is not None
            ),
        }
    if channel == EXCHANGE:
        return {
            **base,
            "source": f"WinEventLog:{channel}",
            "sourcetype": "WinEventLog",
            "LogName": channel,
            "SourceName": facts.get("Provider_Name", "MSExchange CmdletLogs"),
            "EventCode": event_id,
            "EventType": 2 if event_id == 6 else 4,
            "ComputerName": host,
            "TaskCategory": "General",
            "Message": exchange_message(facts),
        }
    data = _event_data(facts)
    doc = {
        **base,
        "source": f"XmlWinEventLog:{channel}",
        "sourcetype": "XmlWinEventLog",
        "EventCode": event_id,
        "Computer": host,
        **data,
    }
    doc.update(_splunk_cim(channel, event_id, data, host))
    return doc


def _xml_text(value: Any) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _splunk_cim(channel: str, event_id: int, d: dict, host: str) -> dict:
    """The CIM fields (and Endpoint data model tags) the Windows and Sysmon add-ons add."""
    source = event_log_source(channel, event_id)
    if source == "windows_process_creation":
        image = d.get("Image") or d.get("NewProcessName", "")
        parent = d.get("ParentImage") or d.get("ParentProcessName", "")
        cim = {
            "process": d.get("CommandLine", ""),
            "process_name": basename(image),
            "process_path": image,
            "parent_process_name": basename(parent),
            "parent_process_path": parent,
            "dest": host,
            "tag": ["process", "report"],
        }
        if "ParentCommandLine" in d:
            cim["parent_process"] = d["ParentCommandLine"]
        if "ProcessId" in d:
            cim["process_id"] = d["ProcessId"]
        if "User" in d:
            cim["user"] = d["User"]
        if d.get("OriginalFileName"):
            cim["original_file_name"] = d["OriginalFileName"]
        return cim
    if source == "windows_file_event":
        return {
            "file_path": d.get("TargetFilename"),
            "file_name": basename(d.get("TargetFilename", "")),
            "process_name": basename(d.get("Image", "")),
            "process_id": d.get("ProcessId"),
            "action": "created",
            "user": d.get("User"),
            "dest": host,
            "tag": ["endpoint", "filesystem", "change"],
        }
    if source == "windows_network_connection":
        return {
            "dest_ip": d.get("DestinationIp"),
            "dest_port": d.get("DestinationPort"),
            "process_name": basename(d.get("Image", "")),
        }
    if source == "windows_registry_set":
        return {"registry_path": d.get("TargetObject"), "registry_value_data": d.get("Details")}
    if (channel, event_id) == (SECURITY, 4663):
        return {
            "object_file_path": d.get("ObjectName"),
            "process_name": basename(d.get("ProcessName", "")),
        }
    return {}


# --- Elastic ----------------------------------------------------------------------------------


def _hex_int(value: Any) -> Any:
    try:
        return int(str(value), 16) if str(value).startswith("0x") else int(value)
    except (TypeError, ValueError):
        return value


def _dword_strings(details: str) -> list[str]:
    if str(details).startswith("DWORD (0x"):
        return [str(int(details[len("DWORD (0x") : -1], 16))]
    return [str(details)]


def _elastic(facts: dict, collector: str) -> dict:
    channel, event_id = _key(facts)
    host = str(facts.get("Computer", ""))
    d = _event_data(facts)
    dataset = {"endpoint": "", "rendered_message": FORWARDED}.get(collector, collector)
    doc: dict[str, Any] = {
        "@timestamp": _time(facts),
        "host": {"name": host},
        "data_stream": {"dataset": dataset, "namespace": "default", "type": "logs"},
    }
    if collector == "endpoint":
        return _defend(doc, channel, event_id, d, host)
    provider = facts.get("Provider_Name", "")
    doc["event"] = {"code": str(event_id), "kind": "event", "provider": provider}
    doc["winlog"] = {
        "channel": channel,
        "event_id": str(event_id),
        "computer_name": host,
        "provider_name": provider,
    }
    if dataset == FORWARDED:
        doc["host"]["os"] = {"type": "windows", "family": "windows"}
    source = event_log_source(channel, event_id)
    if channel == SYSMON:
        _sysmon(doc, source, d)
    elif source == "windows_process_creation":
        # The System integration names the process from NewProcessName and keeps EventData.
        doc["process"] = {
            "executable": d.get("NewProcessName"),
            "name": basename(d.get("NewProcessName", "")),
            "command_line": d.get("CommandLine"),
            "pid": _hex_int(d.get("NewProcessId")),
            "parent": {
                "executable": d.get("ParentProcessName"),
                "name": basename(d.get("ParentProcessName", "")),
            },
        }
        doc["event"].update(
            {"action": "created-process", "category": ["process"], "type": ["start"]}
        )
        doc["user"] = {"name": d.get("SubjectUserName"), "domain": d.get("SubjectDomainName")}
        doc["winlog"]["event_data"] = {k: str(v) for k, v in d.items()}
    elif channel == SECURITY:
        # 4663: the System integration keeps the EventData under winlog.event_data only (no
        # process.* and no user.* are set from it: test-4663 vector).
        doc["winlog"]["event_data"] = {k: str(v) for k, v in d.items()}
    elif channel == POWERSHELL:
        doc["event"].update({"category": ["process"], "type": ["info"]})
        doc["powershell"] = {
            "file": {
                "script_block_text": d.get("ScriptBlockText"),
                "script_block_id": d.get("ScriptBlockId"),
            },
            "sequence": int(d.get("MessageNumber", 1)),
            "total": int(d.get("MessageTotal", 1)),
        }
        if d.get("Path"):
            doc["file"] = {"path": d["Path"]}
    elif channel == EXCHANGE:
        doc["message"] = exchange_message(facts)
        if collector != "rendered_message":  # a forwarder flattening EventData keeps only message
            doc["winlog"]["event_data"] = {
                k: v for k, v in d.items() if k.startswith(UNNAMED_VALUE_PREFIX)
            }
    else:
        doc["winlog"]["event_data"] = d
    return doc


def _sysmon(doc: dict, source: str | None, d: dict) -> None:
    doc["event"]["module"] = "sysmon"
    proc = {
        "executable": d.get("Image"),
        "name": basename(d.get("Image", "")),
        "pid": d.get("ProcessId"),
    }
    if user := _split_user(d.get("User", "")):
        doc["user"] = user
    if source == "windows_process_creation":
        doc["event"].update({"category": ["process"], "type": ["start"]})
        proc.update(
            {
                "command_line": d.get("CommandLine"),
                "working_directory": d.get("CurrentDirectory"),
                "parent": {
                    "executable": d.get("ParentImage"),
                    "name": basename(d.get("ParentImage", "")),
                    "command_line": d.get("ParentCommandLine"),
                    "pid": d.get("ParentProcessId"),
                },
            }
        )
        if d.get("OriginalFileName"):
            proc["pe"] = {"original_file_name": d["OriginalFileName"]}
    elif source == "windows_file_event":
        target = str(d.get("TargetFilename", ""))
        directory, _, name = target.rpartition("\\")
        doc["event"].update({"category": ["file"], "type": ["creation"]})
        doc["file"] = {
            "path": target,
            "name": name,
            "directory": directory,
            "extension": name.rpartition(".")[2],
        }
    elif source == "windows_network_connection":
        doc["event"].update({"category": ["network"], "type": ["connection", "start"]})
        doc["source"] = {"ip": d.get("SourceIp"), "port": d.get("SourcePort")}
        doc["destination"] = {
            "ip": d.get("DestinationIp"),
            "port": d.get("DestinationPort"),
            "domain": d.get("DestinationHostname"),
        }
        doc["network"] = {"transport": d.get("Protocol"), "direction": "egress"}
    elif source == "windows_registry_set":
        target = str(d.get("TargetObject", ""))
        full = target.replace("HKU\\", "HKEY_USERS\\", 1).replace(
            "HKLM\\", "HKEY_LOCAL_MACHINE\\", 1
        )
        details = str(d.get("Details", ""))
        doc["event"].update({"category": ["registry"], "type": ["change"]})
        doc["registry"] = {
            "path": full,
            "value": full.rsplit("\\", 1)[-1],
            "data": {
                "strings": _dword_strings(details),
                "type": "SZ_DWORD" if details.startswith("DWORD") else "SZ",
            },
        }
    doc["process"] = proc


def _defend(doc: dict, channel: str, event_id: int, d: dict, host: str) -> dict:
    """Elastic Defend's own record of the same process start or file write."""
    doc["host"]["os"] = {"type": "windows"}
    doc["host"]["hostname"] = host.split(".")[0]
    if user := _split_user(
        d.get("User", "") or f"{d.get('SubjectDomainName', '')}\\{d.get('SubjectUserName', '')}"
    ):
        doc["user"] = user
    if event_log_source(channel, event_id) == "windows_process_creation":
        image = d.get("Image") or d.get("NewProcessName", "")
        parent = d.get("ParentImage") or d.get("ParentProcessName", "")
        proc = {
            "executable": image,
            "name": basename(image),
            "command_line": d.get("CommandLine"),
            "pid": _hex_int(d.get("ProcessId") or d.get("NewProcessId")),
            "parent": {"executable": parent, "name": basename(parent)},
        }
        if "ParentCommandLine" in d:
            proc["parent"]["command_line"] = d["ParentCommandLine"]
        if d.get("OriginalFileName"):
            proc["pe"] = {"original_file_name": d["OriginalFileName"]}
        doc["process"] = proc
        doc.update(defend.envelope("process", "start", ["start"]))
    else:
        target = str(d.get("TargetFilename", ""))
        name = basename(target)
        doc["file"] = {"path": target, "name": name, "extension": name.rpartition(".")[2]}
        doc["process"] = {
            "executable": d.get("Image"),
            "name": basename(d.get("Image", "")),
            "pid": d.get("ProcessId"),
        }
        doc.update(defend.envelope("file", "creation", ["creation"]))
    return doc
