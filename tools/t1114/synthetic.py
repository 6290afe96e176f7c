"""Synthetic background events (t1114.corpus) as their sources record them: the facts of one
event (``kind``: process, network, logon, audit) rendered as a Windows event log record or an
O365 Management Activity API record. Targets render their own shape from these
(``Target.corpus_event``)."""

from __future__ import annotations

import datetime as dt

from sigma.pipelines.t1114.sources import SECURITY_CHANNEL, SYSMON_CHANNEL
from t1114.targets.renderers.windows import evtx_record


def iso(at: dt.datetime, zone: bool = True) -> str:
    text = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}"
    return text + "Z" if zone else text


def native_event(f: dict, at: dt.datetime) -> dict:
    """The event as its source records it (Windows XML as JSON, or an audit record)."""
    if f["kind"] == "audit":
        doc = {
            "CreationTime": iso(at, zone=False)[:19],
            "Id": f["id"],
            "Operation": f["operation"],
            "OrganizationId": "b8c3f1e2-4a5d-4c6b-9e7f-0a1b2c3d4e5f",
            "RecordType": f["record_type"],
            "ResultStatus": "Succeeded",
            "UserKey": "10032001A2B3C4D5",
            "UserType": 0,
            "Version": 1,
            "Workload": f["workload"],
            "ClientIP": f["ip"],
            "ObjectId": f["user"],
            "UserId": f["user"],
        }
        if f["parameters"]:
            doc["Parameters"] = [{"Name": n, "Value": v} for n, v in f["parameters"]]
        if f["properties"]:
            doc["OperationProperties"] = [{"Name": n, "Value": v} for n, v in f["properties"]]
        return doc
    channel, provider, event_id, data = windows_event(f, at)
    return evtx_record(provider, event_id, channel, f"{f['host']}.contoso.local", iso(at), data)


def windows_event(f: dict, at: dt.datetime) -> tuple[str, str, int, dict]:
    """(channel, provider, event ID, EventData) of a Windows event's facts."""
    sysmon = (SYSMON_CHANNEL, "Microsoft-Windows-Sysmon")
    security = (SECURITY_CHANNEL, "Microsoft-Windows-Security-Auditing")
    if f["kind"] == "process" and f["security"]:
        return (
            *security,
            4688,
            {
                "NewProcessName": f["image"],
                "CommandLine": f["command"],
                "ParentProcessName": f["parent"],
                "SubjectUserName": f["user"].split("\\")[1],
                "NewProcessId": hex(f["pid"]),
            },
        )
    if f["kind"] == "process":
        return (
            *sysmon,
            1,
            {
                "UtcTime": at.strftime("%Y-%m-%d %H:%M:%S.%f")[:23],
                "ProcessId": f["pid"],
                "Image": f["image"],
                "CommandLine": f["command"],
                "ParentImage": f["parent"],
                "User": f["user"],
                "IntegrityLevel": "Medium",
            },
        )
    if f["kind"] == "network":
        return (
            *sysmon,
            3,
            {
                "Image": f["image"],
                "Protocol": "tcp",
                "DestinationIp": f["destination"],
                "DestinationPort": f["port"],
                "Initiated": "true",
            },
        )
    return (
        *security,
        4624,
        {"TargetUserName": f["user"], "LogonType": f["logon_type"], "IpAddress": f["source_ip"]},
    )
