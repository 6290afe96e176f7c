"""macOS: Endpoint Security messages (as ``eslogger`` writes them and Jamf Protect's telemetry
v2 forwards them, adding ``host``) and the same events as flat Sigma-taxonomy records
(``Image``, ``CommandLine``, ``ParentImage``, ``TargetFilename``...), as many agents and
converters emit them.

Splunk: Jamf Protect's add-on (``jamf:protect:telemetry:v2``, exec messages with Splunk's JSON
extraction, arrays marked ``{}``). Telemetry v2 has no file events: Jamf Protect reports them
as alerts of a custom analytic, which name the process chain the raw message does not hold,
so file-event fixtures keep their Splunk alert by hand. Elastic: Elastic Defend (``endpoint``).
"""

from __future__ import annotations

import shlex
from typing import Any

from t1114.endpoint_security import (
    ES_NOTIFY_CREATE,
    ES_NOTIFY_EXEC,
    ES_NOTIFY_RENAME,
    ES_NOTIFY_WRITE,
    is_message,
    new_path,
)
from t1114.targets.renderers import defend

# The taxonomy records' own marker of their kind: Sysmon's event numbers.
TAXONOMY_PROCESS, TAXONOMY_FILE = 1, 11


def recognise(raw: dict) -> bool:
    return is_message(raw)


def collectors(raw: dict) -> dict[str, tuple[str, ...]]:
    exec_ = raw["event_type"] == ES_NOTIFY_EXEC
    file_ = raw["event_type"] in (ES_NOTIFY_CREATE, ES_NOTIFY_RENAME, ES_NOTIFY_WRITE)
    out: dict[str, tuple[str, ...]] = {"native": ("endpoint_security", "sigma_taxonomy")}
    if exec_:
        out["splunk"] = ("jamf:protect:telemetry:v2",)
    if exec_ or file_:
        out["elastic"] = ("endpoint",)
    return out


def render(raw: dict, target: str, collector: str) -> dict:
    facts = taxonomy(raw)
    if target == "native":
        return facts
    if target == "splunk":
        return _jamf(raw)
    return _defend(raw, facts)


def _target_path(raw: dict) -> str | None:
    event = raw.get("event") or {}
    if "write" in event:
        return event["write"]["target"]["path"]
    for kind in ("create", "rename"):
        if kind in event:
            dest = event[kind].get("destination") or {}
            if "existing_file" in dest:
                return dest["existing_file"]["path"]
            new = dest.get("new_path") or {}
            if new:
                return new_path(new)
    return None


def taxonomy(raw: dict) -> dict:
    """The message as a flat Sigma-taxonomy record."""
    host = (raw.get("host") or {}).get("hostname")
    process = raw.get("process") or {}
    out: dict[str, Any] = {"UtcTime": raw.get("time")}
    if host:
        out["Computer"] = host
    if raw["event_type"] == ES_NOTIFY_EXEC:
        exec_ = raw["event"]["exec"]
        target = exec_.get("target") or {}
        out.update(
            {
                "EventID": TAXONOMY_PROCESS,
                "Image": target.get("executable", {}).get("path"),
                "CommandLine": " ".join(
                    shlex.quote(a) if " " in a else a for a in exec_.get("args") or []
                ),
                "CurrentDirectory": (exec_.get("cwd") or {}).get("path"),
                "ProcessId": (target.get("audit_token") or {}).get("pid"),
                # For an exec the message's process is the image being replaced: the parent.
                "ParentImage": (process.get("executable") or {}).get("path"),
            }
        )
    else:
        out.update(
            {
                "EventID": TAXONOMY_FILE,
                "TargetFilename": _target_path(raw),
                "Image": (process.get("executable") or {}).get("path"),
                "ProcessId": (process.get("audit_token") or {}).get("pid"),
            }
        )
    return {k: v for k, v in out.items() if v is not None}


def _jamf(raw: dict) -> dict:
    exec_ = raw["event"]["exec"]
    target = exec_.get("target") or {}
    process = raw.get("process") or {}
    doc = {
        "_time": raw.get("time"),
        "host": "jamf-protect-hec",
        "source": "JamfProtect",
        "sourcetype": "jamf:protect:telemetry:v2",
        "event_type": raw["event_type"],
        "event.exec.args{}": list(exec_.get("args") or []),
        "event.exec.cwd.path": (exec_.get("cwd") or {}).get("path"),
        "event.exec.target.executable.path": (target.get("executable") or {}).get("path"),
        "event.exec.target.audit_token.pid": (target.get("audit_token") or {}).get("pid"),
        "process.executable.path": (process.get("executable") or {}).get("path"),
        "process.audit_token.pid": (process.get("audit_token") or {}).get("pid"),
        "time": raw.get("time"),
    }
    if (raw.get("host") or {}).get("hostname"):
        doc["host.hostname"] = raw["host"]["hostname"]
    return doc


def _defend(raw: dict, facts: dict) -> dict:
    host = facts.get("Computer")
    doc: dict[str, Any] = {
        "@timestamp": raw.get("time"),
        "agent": {"type": "endpoint"},
        "host": {"name": host, "hostname": host, "os": {"type": "macos"}},
    }
    if raw["event_type"] == ES_NOTIFY_EXEC:
        args = list(raw["event"]["exec"].get("args") or [])
        doc.update(defend.envelope("process", "exec", ["start"]))
        doc["process"] = {
            "executable": facts.get("Image"),
            "name": str(facts.get("Image", "")).rsplit("/", 1)[-1],
            "args": args,
            "args_count": len(args),
            "command_line": " ".join(args),
            "working_directory": facts.get("CurrentDirectory"),
            "pid": facts.get("ProcessId"),
            "parent": {
                "executable": facts.get("ParentImage"),
                "name": str(facts.get("ParentImage", "")).rsplit("/", 1)[-1],
                "pid": (raw["event"]["exec"].get("target") or {}).get("ppid"),
            },
        }
    else:
        path = str(facts.get("TargetFilename", ""))
        directory, _, name = path.rpartition("/")
        action = {
            ES_NOTIFY_CREATE: "creation",
            ES_NOTIFY_RENAME: "rename",
            ES_NOTIFY_WRITE: "modification",
        }[raw["event_type"]]
        doc.update(
            defend.envelope("file", action, ["change" if action != "creation" else "creation"])
        )
        doc["file"] = {"path": path, "name": name, "directory": directory}
        doc["process"] = {
            "executable": facts.get("Image"),
            "name": str(facts.get("Image", "")).rsplit("/", 1)[-1],
            "pid": facts.get("ProcessId"),
        }
    return doc
