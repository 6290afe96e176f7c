"""Microsoft 365 and Entra ID: Office 365 Management Activity API records, Microsoft Graph
``signIn`` and ``directoryAudit`` resources, Exchange message tracking rows.

Splunk: the Microsoft Office 365 add-on (``o365:management:activity``: the record's fields,
``Parameters{}.Name``/``.Value`` multivalue pairs and a field per entry name), the Microsoft
Cloud Services add-on (``azure:monitor:aad``: the diagnostic record with Graph's names under
``properties.``), the Exchange add-on (message tracking columns; ``source`` becomes
``source_id``). Elastic: the o365 integration (``o365.audit``; Parameters and
ModifiedProperties keyed by name, OperationProperties kept as a Name/Value list: test vector
test-exchange-access-event; ClientIPAddress/ClientIP moved to ``client.*``/``source.ip``;
RecordType, LogonType, UserType as keywords) and the azure integration (``azure.signinlogs``,
snake_case properties; ``azure.graphactivitylogs``, its ingest pipeline's ECS fields).
Graph's ``directoryAudit`` reaches Elastic through the o365 integration's
Audit.AzureActiveDirectory content. Microsoft Graph activity logs are written as rows of the
Log Analytics table MicrosoftGraphActivityLogs and reach Splunk and Elastic as the Entra
diagnostic record (Event Hub) with the same values under camelCase ``properties``.
"""

from __future__ import annotations

import re
from typing import Any

from sigma.pipelines.t1114.sources import GRAPH_DIAGNOSTIC_NAMES

_O365_CODES: dict[object, str] = {
    1: "ExchangeAdmin",
    2: "ExchangeItem",
    3: "ExchangeItemGroup",
    8: "AzureActiveDirectory",
    50: "ExchangeItemAggregated",
}
# Office 365 record numbers the integration stores as keywords (strings).
_O365_KEYWORDS = ("RecordType", "LogonType", "UserType", "InternalLogonType", "Version")


def _kind(raw: dict) -> str | None:
    if "Workload" in raw and "Operation" in raw:
        return "o365"
    if "createdDateTime" in raw and "userPrincipalName" in raw:
        return "signin"
    if "activityDisplayName" in raw and "loggedByService" in raw:
        return "directory_audit"
    if "event_id" in raw and "recipient_address" in raw:
        return "message_trace"
    if "RequestUri" in raw and "RequestMethod" in raw:
        return "graph_activity"
    return None


def recognise(raw: dict) -> bool:
    return _kind(raw) is not None


def collectors(raw: dict) -> dict[str, tuple[str, ...]]:
    kind = _kind(raw)
    if kind == "o365":
        return {
            "native": ("management_api",),
            "splunk": ("o365:management:activity",),
            "elastic": ("o365.audit",),
        }
    if kind == "signin":
        return {
            "native": ("graph",),
            "splunk": ("azure:monitor:aad",),
            "elastic": ("azure.signinlogs",),
        }
    if kind == "directory_audit":
        return {"native": ("graph",), "splunk": ("azure:monitor:aad",), "elastic": ("o365.audit",)}
    if kind == "graph_activity":
        return {
            "native": ("log_analytics",),
            "splunk": ("azure:monitor:aad",),
            "elastic": ("azure.graphactivitylogs",),
        }
    return {"native": ("tracking_log",), "splunk": ("MSExchange:2013:MessageTracking",)}


def render(raw: dict, target: str, collector: str) -> dict:
    kind = _kind(raw)
    if kind is None:
        raise ValueError("not a Microsoft 365, Entra ID or Exchange tracking record")
    return _RENDER[(kind, target)](raw)


def _zulu(text: object) -> str:
    text = str(text or "")
    return text if text.endswith("Z") or re.search(r"[+-]\d\d:?\d\d$", text) else text + "Z"


def _ip(address: str) -> str:
    """An address as the integration parses it: the port of ``ip:port`` and IPv6 brackets dropped."""
    address = str(address or "").strip()
    if address.startswith("["):
        return address[1:].split("]", 1)[0]
    if address.count(":") == 1:
        return address.split(":", 1)[0]
    return address


def _pairs(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, list):
        return [
            (str(p.get("Name")), p.get("Value"))
            for p in value
            if isinstance(p, dict) and "Name" in p
        ]
    return []


# --- Office 365 Management Activity API ----------------------------------------------------


def _o365_splunk(raw: dict) -> dict:
    doc: dict[str, Any] = {
        "_time": _zulu(raw.get("CreationTime")),
        "sourcetype": "o365:management:activity",
        "source": "o365:management:activity",
    }
    lists: dict[str, list[tuple[str, Any]]] = {}
    for key, value in raw.items():
        if key in ("Parameters", "OperationProperties") and isinstance(value, list):
            lists[key] = _pairs(value)
        else:
            doc[key] = value
    for key, pairs in lists.items():
        doc[f"{key}{{}}.Name"] = [n for n, _ in pairs]
        doc[f"{key}{{}}.Value"] = [v for _, v in pairs]
    for pairs in lists.values():
        for name, value in pairs:
            # The add-on's field per entry name (none for an empty value: Splunk extracts no
            # empty field); a record field of the same name wins.
            if value not in ("", None):
                doc.setdefault(name, value)
    return doc


def _o365_elastic(raw: dict) -> dict:
    audit: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("ClientIP", "ClientIPAddress", "CreationTime"):
            continue
        if key == "Parameters" and isinstance(value, list):
            audit[key] = {n: v for n, v in _pairs(value)}
        elif key == "ModifiedProperties" and isinstance(value, list):
            audit[key] = {
                str(p.get("Name", "")).replace(".", "_"): {
                    "NewValue": p.get("NewValue"),
                    "OldValue": p.get("OldValue"),
                }
                for p in value
                if isinstance(p, dict)
            }
        elif key in _O365_KEYWORDS and isinstance(value, int):
            audit[key] = str(value)
        else:
            audit[key] = value
    status = str(raw.get("ResultStatus", "")).lower()
    doc = {
        "@timestamp": _zulu(raw.get("CreationTime")),
        "data_stream": {"dataset": "o365.audit", "namespace": "default", "type": "logs"},
        "event": {
            "action": raw.get("Operation"),
            "provider": raw.get("Workload"),
            "kind": "event",
            "code": _O365_CODES.get(raw.get("RecordType"), str(raw.get("RecordType", ""))),
            "outcome": "failure" if status in ("false", "failed", "failure") else "success",
        },
        "user": {"id": raw.get("UserId")},
        "o365": {"audit": audit},
    }
    address = raw.get("ClientIP") or raw.get("ClientIPAddress")
    if address:
        doc["client"] = {"address": address, "ip": _ip(address)}
        doc["source"] = {"ip": _ip(address)}
    return doc


# --- Microsoft Graph -----------------------------------------------------------------------


def _under_properties(raw: Any, prefix: str, out: dict) -> None:
    """Splunk's JSON extraction: dotted names, ``{}`` for each array level."""
    if isinstance(raw, dict):
        for k, v in raw.items():
            _under_properties(v, f"{prefix}.{k}", out)
    elif isinstance(raw, list):
        if all(not isinstance(v, (dict, list)) for v in raw):
            out.setdefault(f"{prefix}{{}}", []).extend(raw)
        else:
            for v in raw:
                _under_properties(v, f"{prefix}{{}}", out)
    else:
        if prefix in out:
            current = out[prefix]
            out[prefix] = (current if isinstance(current, list) else [current]) + [raw]
        else:
            out[prefix] = raw


def _signin_splunk(raw: dict) -> dict:
    doc = {
        "_time": raw["createdDateTime"],
        "sourcetype": "azure:monitor:aad",
        "source": "eventhub://aad/insights-logs-signinlogs",
        "time": raw["createdDateTime"],
        "category": "SignInLogs"
        if raw.get("isInteractive", True)
        else "NonInteractiveUserSignInLogs",
        "operationName": "Sign-in activity",
        "resultType": str((raw.get("status") or {}).get("errorCode", 0)),
        "callerIpAddress": raw.get("ipAddress"),
    }
    _under_properties(raw, "properties", doc)
    return doc


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower().replace("sign_in", "signin")


def _signin_elastic(raw: dict) -> dict:
    props = {}
    for key, value in raw.items():
        if key in ("location", "ipAddress", "createdDateTime"):
            continue
        if key == "status":
            value = {_snake(k): v for k, v in (value or {}).items() if v is not None}
        props[_snake(key)] = value
    props["created_at"] = raw.get("createdDateTime")
    code = (raw.get("status") or {}).get("errorCode", 0)
    location = raw.get("location") or {}
    geo = {
        k: v
        for k, v in (
            ("country_iso_code", location.get("countryOrRegion")),
            ("city_name", location.get("city")),
        )
        if v
    }
    return {
        "@timestamp": raw["createdDateTime"],
        "data_stream": {"dataset": "azure.signinlogs", "namespace": "default", "type": "logs"},
        "event": {
            "action": "Sign-in activity",
            "category": ["authentication"],
            "outcome": "success" if code == 0 else "failure",
        },
        "azure": {
            "signinlogs": {
                "category": "SignInLogs",
                "operation_name": "Sign-in activity",
                "result_type": str(code),
                "properties": props,
            }
        },
        "source": {"ip": raw.get("ipAddress"), **({"geo": geo} if geo else {})},
        "user": {"name": raw.get("userPrincipalName"), "id": raw.get("userId")},
    }


def _audit_splunk(raw: dict) -> dict:
    doc = {
        "_time": raw["activityDateTime"],
        "sourcetype": "azure:monitor:aad",
        "source": "eventhub://aad/insights-logs-auditlogs",
        "time": raw["activityDateTime"],
        "category": "AuditLogs",
        "operationName": raw.get("activityDisplayName"),
        "resultSignature": "None",
    }
    _under_properties(raw, "properties", doc)
    return doc


def _audit_elastic(raw: dict) -> dict:
    """The same directory audit as the unified audit log's AzureActiveDirectory record: the
    activity with a trailing period, modified properties keyed by name (dots to underscores)."""
    user = ((raw.get("initiatedBy") or {}).get("user") or {}).get("userPrincipalName")
    modified = {}
    target_ids = []
    for resource in raw.get("targetResources") or []:
        target_ids.append({"ID": resource.get("id"), "Type": 2})
        for prop in resource.get("modifiedProperties") or []:
            modified[str(prop.get("displayName", "")).replace(".", "_")] = {
                "NewValue": prop.get("newValue"),
                "OldValue": prop.get("oldValue"),
            }
    operation = f"{raw.get('activityDisplayName')}."
    result = (
        "Success" if raw.get("result") == "success" else str(raw.get("result", "")).capitalize()
    )
    return {
        "@timestamp": raw["activityDateTime"],
        "data_stream": {"dataset": "o365.audit", "namespace": "default", "type": "logs"},
        "event": {
            "action": operation,
            "provider": "AzureActiveDirectory",
            "code": "AzureActiveDirectory",
            "kind": "event",
            "outcome": "success" if result == "Success" else "failure",
        },
        "user": {"id": user},
        "o365": {
            "audit": {
                "Id": raw.get("id"),
                "Operation": operation,
                "RecordType": "8",
                "ResultStatus": result,
                "Workload": "AzureActiveDirectory",
                "UserId": user,
                "ObjectId": (target_ids[0]["ID"] if target_ids else None),
                "ModifiedProperties": modified,
                "Target": target_ids,
            }
        },
    }


# --- Exchange message tracking --------------------------------------------------------------


def _trace_splunk(raw: dict) -> dict:
    doc = {
        "_time": raw.get("date_time"),
        "sourcetype": "MSExchange:2013:MessageTracking",
        "source": "MessageTracking\\MSGTRK.LOG",
    }
    for key, value in raw.items():
        if value in ("", None):
            continue  # the add-on extracts no field from an empty column
        doc["source_id" if key == "source" else key] = value
    return doc


# --- Microsoft Graph activity logs ------------------------------------------------------------


def _graph_properties(raw: dict) -> dict:
    """The diagnostic record's properties: the columns in camelCase, empty ones as null."""
    return {
        GRAPH_DIAGNOSTIC_NAMES.get(k, k[0].lower() + k[1:]): (None if v == "" else v)
        for k, v in raw.items()
        if k not in ("TimeGenerated", "Type", "AadTenantId", "Location")
    }


def _graph_splunk(raw: dict) -> dict:
    """The Event Hub diagnostic record as the Cloud Services add-on indexes it (JSON
    extraction: properties.<name>; a JSON null extracts no field)."""
    at = _zulu(raw.get("TimeGenerated"))
    doc: dict[str, Any] = {
        "_time": at,
        "sourcetype": "azure:monitor:aad",
        "source": "eventhub://aad/insights-logs-microsoftgraphactivitylogs",
        "time": at,
        "category": "MicrosoftGraphActivityLogs",
        "operationName": "Microsoft Graph Activity",
        "resultSignature": str(raw.get("ResponseStatusCode", "")),
        "tenantId": raw.get("AadTenantId"),
        "callerIpAddress": raw.get("IPAddress"),
    }
    props = {k: v for k, v in _graph_properties(raw).items() if v is not None}
    _under_properties(props, "properties", doc)
    return {k: v for k, v in doc.items() if v is not None}


def _graph_elastic(raw: dict) -> dict:
    """The azure integration's graphactivitylogs document: requestUri split by uri_parts,
    method, status and user agent moved to ECS, userId to user.id, roles and scopes split on
    spaces, the other properties snake_cased; empty values dropped."""
    props = _graph_properties(raw)
    uri = str(props.pop("requestUri", "") or "")
    method = props.pop("requestMethod", None)
    status = props.pop("responseStatusCode", None)
    agent = props.pop("userAgent", None)
    user = props.pop("userId", None)
    address = props.pop("ipAddress", None)
    size = props.pop("responseSizeBytes", None)
    duration = props.pop("durationMs", None)
    request_id = props.pop("requestId", None)
    kept = {}
    for key, value in props.items():
        if value is None:
            continue
        if key in ("roles", "scopes", "wids"):
            value = str(value).split()
        kept[re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()] = value
    scheme, _, rest = uri.partition("://")
    domain, _, path_query = rest.partition("/")
    path, _, query = ("/" + path_query).partition("?")
    url = {"original": uri, "scheme": scheme, "domain": domain, "path": path}
    if query:
        url["query"] = query
    doc: dict[str, Any] = {
        "@timestamp": _zulu(raw.get("TimeGenerated")),
        "data_stream": {
            "dataset": "azure.graphactivitylogs",
            "namespace": "default",
            "type": "logs",
        },
        "event": {
            "action": "Microsoft Graph Activity",
            "category": ["api"],
            "kind": "event",
            "type": ["access"],
            "outcome": "success" if status is not None and int(status) < 400 else "failure",
            **({"duration": int(duration) * 1_000_000} if duration is not None else {}),
        },
        "azure": {
            "graphactivitylogs": {
                "category": "MicrosoftGraphActivityLogs",
                "operation_name": "Microsoft Graph Activity",
                "result_signature": str(status),
                "properties": kept,
            },
            "tenant_id": raw.get("AadTenantId"),
        },
        "http": {
            "request": {"method": method, "id": request_id},
            "response": {"status_code": status, "bytes": size},
        },
        "url": url,
    }
    if address:
        doc["source"] = {"ip": address}
        doc["client"] = {"ip": address}
    if agent:
        doc["user_agent"] = {"original": agent}
    if user:
        doc["user"] = {"id": user}
    return doc


_RENDER = {
    ("o365", "splunk"): _o365_splunk,
    ("o365", "elastic"): _o365_elastic,
    ("signin", "splunk"): _signin_splunk,
    ("signin", "elastic"): _signin_elastic,
    ("directory_audit", "splunk"): _audit_splunk,
    ("directory_audit", "elastic"): _audit_elastic,
    ("message_trace", "splunk"): _trace_splunk,
    ("graph_activity", "splunk"): _graph_splunk,
    ("graph_activity", "elastic"): _graph_elastic,
}
