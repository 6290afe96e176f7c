"""Linux: Sysmon for Linux events (the same ``Event.System`` / ``EventData`` JSON as Windows,
channel ``Linux-Sysmon/Operational``) and Linux audit events (their raw records,
``{"auditd_records": [...]}``).

Splunk: the Sysmon for Linux add-on (``sysmon:linux``, EventData names plus CIM fields) and the
Linux add-on (``linux:audit``: one Splunk event per audit *record*, values as written). Elastic:
the sysmon_linux integration (``sysmon_linux.log``: the Windows Sysmon pipeline over syslog;
``host.hostname`` from syslog, ``process.name`` from the syslog program name, *not* from the
image, and no ``user.*``: a Linux ``User`` has no ``DOMAIN\\`` part the pipeline splits:
test-sysmon vector), Elastic Defend (``endpoint``) and auditd_manager (one document per audit
event: the rule key in ``tags``, EXECVE arguments as ``process.args``, SYSCALL arguments as
``auditd.data.a0..``, PATH items as ``auditd.paths``, the login uid moved to
``auditd.user.audit`` by the integration's pipeline).

A Sysmon for Linux process creation is also rendered as auditd_manager records the same exec
(an ``execve`` audit rule): what the kernel's audit records hold of it. The kernel keeps no
parent image or command line, cuts the process title to 128 bytes and the command name to 15.
"""

from __future__ import annotations

from typing import Any

from sigma.pipelines.t1114.sources import LINUX_SYSMON_CHANNEL as CHANNEL
from sigma.pipelines.t1114.sources import event_log_source
from t1114 import auditd
from t1114.events import AUDITD_RECORDS, _unwrap_windows_event
from t1114.targets.renderers import defend

AUDITD_MANAGER = "auditd_manager.auditd"
# The kernel's limits on what an audit event keeps of a process (MAX_PROCTITLE_AUDIT_LEN,
# TASK_COMM_LEN less its NUL).
PROCTITLE_BYTES = 128
COMM_CHARS = 15


def _kind(raw: dict) -> str | None:
    if set(raw) == {AUDITD_RECORDS}:
        return "auditd"
    event = raw.get("Event")
    if (
        isinstance(event, dict)
        and isinstance(event.get("System"), dict)
        and event["System"].get("Channel") == CHANNEL
    ):
        return "sysmon"
    return None


def recognise(raw: dict) -> bool:
    return _kind(raw) is not None


def collectors(raw: dict) -> dict[str, tuple[str, ...]]:
    if _kind(raw) == "auditd":
        return {
            "native": ("audit_log",),
            "splunk": ("linux:audit",),
            "elastic": ("auditd_manager.auditd",),
        }
    elastic: tuple[str, ...] = ("endpoint", "sysmon_linux.log")
    if _source(_event_id(raw)) == "linux_process_creation":
        elastic += (AUDITD_MANAGER,)
    return {"native": ("evtx", "eventdata_flat"), "splunk": ("sysmon:linux",), "elastic": elastic}


def _event_id(raw: dict) -> int:
    value = raw["Event"]["System"].get("EventID")
    return int(value["#text"] if isinstance(value, dict) else value or 0)


def _source(event_id: int) -> str | None:
    """The key of the log source (sources.SOURCES) a Sysmon for Linux event belongs to."""
    return event_log_source(CHANNEL, event_id)


def render(raw: dict, target: str, collector: str) -> dict | list[dict]:
    if _kind(raw) == "auditd":
        return (
            _audit_splunk(raw[AUDITD_RECORDS])
            if target == "splunk"
            else _audit_elastic(raw[AUDITD_RECORDS])
        )
    facts = _unwrap_windows_event(raw)
    if target == "native":
        return facts
    if target == "splunk":
        return _sysmon_splunk(facts)
    if collector == AUDITD_MANAGER:
        return _auditd_exec(facts)
    return _sysmon_elastic(facts) if collector == "sysmon_linux.log" else _defend(facts)


def _name(path: str) -> str:
    return str(path).rsplit("/", 1)[-1]


def _time(facts: dict) -> str:
    return str(
        facts.get("TimeCreated_SystemTime") or str(facts.get("UtcTime", "")).replace(" ", "T") + "Z"
    )


def _data(facts: dict) -> dict:
    skip = (
        "Channel",
        "EventID",
        "Computer",
        "EventRecordID",
        "Level",
        "Task",
        "Opcode",
        "Keywords",
        "Version",
    )
    return {
        k: v
        for k, v in facts.items()
        if k not in skip
        and not k.startswith(("TimeCreated", "Provider_", "Execution_", "Security_"))
    }


# --- Sysmon for Linux -------------------------------------------------------------------------


def _sysmon_splunk(facts: dict) -> dict:
    d = _data(facts)
    host = facts.get("Computer")
    doc = {
        "_time": _time(facts),
        "host": host,
        "source": f"Syslog:{CHANNEL}",
        "sourcetype": "sysmon:linux",
        "EventCode": int(facts.get("EventID", 0)),
        "EventID": int(facts.get("EventID", 0)),
        "Computer": host,
        **d,
        "dest": host,
        "vendor_product": "Microsoft Sysmon for Linux",
    }
    if "Image" in d:
        doc["process_name"] = _name(d["Image"])
    if "ParentImage" in d:
        doc["parent_process_name"] = _name(d["ParentImage"])
    return doc


def _int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _sysmon_elastic(facts: dict) -> dict:
    d = _data(facts)
    event_id = int(facts.get("EventID", 0))
    process: dict[str, Any] = {
        "executable": d.get("Image"),
        "pid": _int(d.get("ProcessId")),
        "entity_id": d.get("ProcessGuid"),
        "name": "sysmon",
    }
    doc: dict[str, Any] = {
        "@timestamp": _time(facts),
        "data_stream": {"dataset": "sysmon_linux.log", "namespace": "default", "type": "logs"},
        "event": {"code": str(event_id), "provider": "Linux-Sysmon", "kind": "event"},
        "host": {"hostname": facts.get("Computer")},
        "log": {"syslog": {"hostname": facts.get("Computer"), "appname": "sysmon"}},
        "winlog": {
            "channel": CHANNEL,
            "event_id": str(event_id),
            "computer_name": facts.get("Computer"),
        },
    }
    if _source(event_id) == "linux_process_creation":
        doc["event"].update({"category": ["process"], "type": ["start"]})
        process.update(
            {
                "command_line": d.get("CommandLine"),
                "working_directory": d.get("CurrentDirectory"),
                "args": str(d.get("CommandLine", "")).split(),
                "parent": {
                    "executable": d.get("ParentImage"),
                    "command_line": d.get("ParentCommandLine"),
                    "pid": _int(d.get("ParentProcessId")),
                    "entity_id": d.get("ParentProcessGuid"),
                },
            }
        )
    elif _source(event_id) == "linux_file_event":
        target = str(d.get("TargetFilename", ""))
        directory, _, name = target.rpartition("/")
        doc["event"].update({"category": ["file"], "type": ["creation"]})
        doc["file"] = {"path": target, "name": name, "directory": directory}
    doc["process"] = process
    return doc


def _split(command: str) -> list[str]:
    # Sysmon joins the argument vector with spaces: the boundaries are not recoverable, so the
    # derived argv is the space-split command line (rules read CommandLine, not the argv).
    return command.split()


def _defend(facts: dict) -> dict:
    d = _data(facts)
    host = facts.get("Computer")
    event_id = int(facts.get("EventID", 0))
    doc: dict[str, Any] = {
        "@timestamp": _time(facts),
        "agent": {"type": "endpoint"},
        "host": {"name": host, "hostname": host, "os": {"type": "linux"}},
        "user": {"name": d.get("User")},
    }
    if _source(event_id) == "linux_process_creation":
        args = _split(str(d.get("CommandLine", "")))
        parent_args = _split(str(d.get("ParentCommandLine", "")))
        doc.update(defend.envelope("process", "exec", ["start"]))
        doc["process"] = {
            "executable": d.get("Image"),
            "name": _name(d.get("Image", "")),
            "args": args,
            "args_count": len(args),
            "command_line": d.get("CommandLine"),
            "working_directory": d.get("CurrentDirectory"),
            "pid": _int(d.get("ProcessId")),
            "parent": {
                "executable": d.get("ParentImage"),
                "name": _name(d.get("ParentImage", "")),
                "args": parent_args,
                "command_line": d.get("ParentCommandLine"),
                "pid": _int(d.get("ParentProcessId")),
            },
        }
    else:
        target = str(d.get("TargetFilename", ""))
        directory, _, name = target.rpartition("/")
        doc.update(defend.envelope("file", "creation", ["creation"]))
        doc["file"] = {"path": target, "name": name, "directory": directory}
        doc["process"] = {
            "executable": d.get("Image"),
            "name": _name(d.get("Image", "")),
            "pid": _int(d.get("ProcessId")),
        }
    return doc


# How Auditbeat's normalisation names an execve syscall.
_EXEC_EVENT = {"action": "executed", "category": ["process"], "type": ["start"]}


def _truncate(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _auditd_exec(facts: dict) -> dict:
    """The exec as auditd_manager indexes its SYSCALL/EXECVE/CWD/PROCTITLE records."""
    d = _data(facts)
    host = facts.get("Computer")
    image = str(d.get("Image", ""))
    args = _split(str(d.get("CommandLine", "")))
    doc: dict[str, Any] = {
        "@timestamp": _time(facts),
        "agent": {"type": "auditbeat"},
        "data_stream": {"dataset": AUDITD_MANAGER, "namespace": "default", "type": "logs"},
        # host.name is the agent's (sample event); host.hostname comes from the agent's host
        # metadata, not from the audit records.
        "host": {"name": host, "hostname": host},
        "auditd": {
            "message_type": "syscall",
            "result": "success",
            "data": {"syscall": "execve", "argc": len(args)},
            "summary": {"how": image, "object": {"type": "file", "primary": image}},
        },
        "process": {
            "executable": image,
            "name": _name(image)[:COMM_CHARS],
            "args": args,
            "args_count": len(args),
            "title": _truncate(" ".join(args), PROCTITLE_BYTES),
            "working_directory": d.get("CurrentDirectory"),
            "pid": _int(d.get("ProcessId")),
            "parent": {"pid": _int(d.get("ParentProcessId"))},
        },
        "user": {"name": d.get("User")},
    }
    doc["event"] = {
        "module": "auditd",
        "dataset": AUDITD_MANAGER,
        "outcome": "success",
        "kind": "event",
        **_EXEC_EVENT,
    }
    return doc


# --- Linux audit ------------------------------------------------------------------------------


def _audit_splunk(records: list[str]) -> list[dict]:
    """One Splunk event per record, values as written (quotes dropped, hex kept)."""
    out = []
    for line in records:
        m = auditd.RECORD.match(line.strip())
        if m is None:
            continue
        seconds = float(m["ts"])
        doc: dict[str, Any] = {
            "_time": _epoch_iso(seconds),
            "source": "/var/log/audit/audit.log",
            "sourcetype": "linux:audit",
            "type": m["type"],
            "msg": f"audit({m['ts']}:{m['serial']}):",
        }
        if m["node"]:
            doc["host"] = m["node"]
        for key, raw in auditd._PAIR.findall(m["body"].replace("\x1d", " ")):
            doc[key] = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'" else raw
        out.append(doc)
    return out


def _epoch_iso(seconds: float) -> str:
    import datetime as dt

    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, list) else value


def _audit_elastic(records: list[str]) -> dict:
    (event,) = auditd.group_records(records)
    by_type: dict[str, dict[str, list[str]]] = {}
    paths = []
    for line in records:
        parsed = auditd.parse_record(line)
        if parsed is None:
            continue
        fields = parsed[1]
        record_type = fields["type"][0]
        if record_type == "PATH":
            paths.append(
                {
                    k: v[0]
                    for k, v in fields.items()
                    if k in ("name", "nametype", "inode", "mode", "ouid", "ogid", "item", "dev")
                }
            )
        else:
            by_type.setdefault(record_type, fields)
    # The SYSCALL record carries the process and its ids; a user-space event (USER_CMD,
    # ADD_GROUP...) has none, and its own first record stands in.
    primary = by_type.get("SYSCALL") or next(iter(by_type.values()), {})
    syscall = {k: v[0] for k, v in primary.items()}
    execve = {k: v[0] for k, v in by_type.get("EXECVE", {}).items()}
    types = event["type"] if isinstance(event["type"], list) else [event["type"]]
    data: dict[str, Any] = {
        k: syscall[k] for k in ("arch", "tty", "exit", "a0", "a1", "a2", "a3") if k in syscall
    }
    if "SYSCALL" in syscall or "syscall" in syscall:
        data["syscall"] = syscall.get("SYSCALL", syscall.get("syscall"))
    if "ARCH" in syscall:
        data["arch"] = syscall["ARCH"]
    if "argc" in execve:
        data["argc"] = _int(execve["argc"])
    doc: dict[str, Any] = {
        "@timestamp": _epoch_iso(float(event["timestamp"])),
        "agent": {"type": "auditbeat"},
        "data_stream": {"dataset": "auditd_manager.auditd", "namespace": "default", "type": "logs"},
        "event": {
            "module": "auditd",
            "dataset": "auditd_manager.auditd",
            "outcome": "success" if syscall.get("success") == "yes" else "failure",
        },
        "auditd": {
            "message_type": types[0].lower(),
            "sequence": int(event["msg"].split(":")[1].rstrip(")")),
            "data": data,
        },
    }
    if data.get("syscall") in ("execve", "execveat"):
        doc["event"].update(_EXEC_EVENT)
    if "node" in event:
        doc["host"] = {"name": event["node"], "hostname": event["node"]}
    if "key" in syscall:
        doc["tags"] = [syscall["key"]]
    if "ses" in syscall:
        doc["auditd"]["session"] = syscall["ses"]
    if paths:
        doc["auditd"]["paths"] = paths
        doc["file"] = {"path": paths[-1].get("name")}
    process: dict[str, Any] = {}
    for key, target in (("exe", "executable"), ("comm", "name")):
        if key in syscall:
            process[target] = syscall[key]
    if "pid" in syscall:
        process["pid"] = int(syscall["pid"])
    if "ppid" in syscall:
        process["parent"] = {"pid": int(syscall["ppid"])}
    if "cwd" in event:
        process["working_directory"] = _one(event["cwd"])
    if "proctitle" in event:
        process["title"] = _one(event["proctitle"])
    args = [execve[f"a{i}"] for i in range(int(execve.get("argc", 0))) if f"a{i}" in execve]
    if args:
        process["args"] = args
        process["args_count"] = len(args)
    if process:
        doc["process"] = process
    user: dict[str, Any] = {}
    for low, high, path in (
        ("uid", "UID", ()),
        ("euid", "EUID", ("effective",)),
        ("gid", "GID", ("group",)),
    ):
        node = user
        for part in path:
            node = node.setdefault(part, {})
        if low in syscall:
            node["id"] = syscall[low]
        if high in syscall:
            node["name"] = syscall[high]
    if user:
        doc["user"] = user
    # The integration's pipeline moves user.audit to auditd.user.audit (test-useradd vector).
    audit_user = {
        k: syscall[key] for key, k in (("auid", "id"), ("AUID", "name")) if key in syscall
    }
    if audit_user:
        doc["auditd"]["user"] = {"audit": audit_user}
    return doc
