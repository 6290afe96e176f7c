"""Google Workspace: Admin SDK Reports API activities, the same activities as Google Cloud
Logging entries (Cloud Audit ``protoPayload`` with ``metadata.event[]``), and Gmail log rows.

Splunk: the Google Workspace add-on (``gws:reports:<application>``: one Splunk event per
activity event, under ``event.``; ``gws:gmail`` for Gmail logs). Elastic: the google_workspace
integration (one document per activity event: ``event.action`` the event name,
``event.provider`` the application, ``google_workspace.actor.type``,
``google_workspace.event.type``, the actor's address as ``source.user.email`` and the
parameters as ``google_workspace.<application>.*``: test-login vector and the user_accounts
sample event) and, for the Cloud Logging entry of an activity, the gcp integration's audit
data stream (``gcp.audit``), whose pipeline keeps the Cloud Audit envelope (``methodName`` as
``event.action``, ``serviceName`` as ``service.name``, the principal as ``client.user.email``,
``callerIp`` as ``source.ip``) and drops ``protoPayload.metadata``: the Workspace event's name,
type and parameters are not indexed there. Native: the Reports API activity (``reports_api``)
or its Cloud Logging entry (``cloud_logging``); ``from_cloud_logging`` reads the latter back as
the former.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from t1114.events import ACTIVITY_PROTO

_ACTIVITY_TYPE = f"type.googleapis.com/{ACTIVITY_PROTO}"
GCP_AUDIT = "gcp.audit"
_SERVICE = {
    "admin": "admin.googleapis.com",
    "user_accounts": "login.googleapis.com",
    "login": "login.googleapis.com",
}
# Reports API event types of the user_accounts application; Cloud Logging files them, with
# login events, under login.googleapis.com.
_USER_ACCOUNTS_TYPES = {
    "2sv_change",
    "email_forwarding_change",
    "password_change",
    "recovery_info_change",
    "titanium_change",
    "account_warning_change",
}
# Admin parameters and the google_workspace.admin.* fields the integration gives them.
_ADMIN_PARAMETERS = {
    "SETTING_NAME": "setting.name",
    "ORG_UNIT_NAME": "org_unit.name",
    "NEW_VALUE": "new_value",
    "OLD_VALUE": "old_value",
    "USER_EMAIL": "user.email",
    "DOMAIN_NAME": "domain.name",
    "APPLICATION_NAME": "application.name",
    "GROUP_EMAIL": "group.email",
}
_PARAMETER_VALUES = ("value", "boolValue", "intValue", "multiValue", "multiIntValue")


def is_cloud_logging(raw: dict) -> bool:
    payload = raw.get("protoPayload")
    return (
        isinstance(payload, dict) and (payload.get("metadata") or {}).get("@type") == _ACTIVITY_TYPE
    )


def _kind(raw: dict) -> str | None:
    if raw.get("kind") == "admin#reports#activity" or (
        isinstance(raw.get("id"), dict) and "applicationName" in raw["id"]
    ):
        return "reports"
    if is_cloud_logging(raw):
        return "cloud_logging"
    if isinstance(raw.get("event_info"), dict) and "mail_event_type" in raw["event_info"]:
        return "gmail"
    return None


def recognise(raw: dict) -> bool:
    return _kind(raw) is not None


def collectors(raw: dict) -> dict[str, tuple[str, ...]]:
    kind = _kind(raw)
    if kind == "gmail":
        return {
            "native": ("bigquery_export",),
            "splunk": ("gws:gmail",),
            "elastic": ("google_workspace.gmail",),
        }
    app = _application(raw if kind == "reports" else from_cloud_logging(raw))
    if kind == "cloud_logging":
        # On Splunk a Cloud Logging entry arrives through the Google Cloud add-on, whose shape
        # this pack does not render (docs/collectors.md).
        return {"native": ("cloud_logging",), "elastic": (GCP_AUDIT,)}
    return {
        "native": ("reports_api", "cloud_logging"),
        "splunk": (f"gws:reports:{app}",),
        "elastic": (f"google_workspace.{app}", GCP_AUDIT),
    }


def render(raw: dict, target: str, collector: str) -> dict:
    kind = _kind(raw)
    if kind == "gmail":
        return _gmail_splunk(raw) if target == "splunk" else _gmail_elastic(raw)
    if collector == GCP_AUDIT:
        return gcp_audit(raw if kind == "cloud_logging" else to_cloud_logging(raw))
    activity = raw
    if target == "native":
        return to_cloud_logging(activity)
    if target == "splunk":
        return _reports_splunk(activity)
    return _reports_elastic(activity)


def _application(activity: dict) -> str:
    return str((activity.get("id") or {}).get("applicationName", ""))


def _events(activity: dict) -> list[dict]:
    events = activity.get("events") or []
    return [events] if isinstance(events, dict) else list(events)


def _parameter_value(parameter: dict) -> Any:
    for key in _PARAMETER_VALUES:
        if key in parameter:
            return parameter[key]
    return None


# --- Cloud Logging --------------------------------------------------------------------------


def to_cloud_logging(activity: dict) -> dict:
    """The activity as Google Cloud Logging exports it (Cloud Audit log entry)."""
    app = _application(activity)
    when = str((activity.get("id") or {}).get("time", ""))
    moment = dt.datetime.fromisoformat(when.replace("Z", "+00:00")) if when else None
    events = []
    for event in _events(activity):
        parameters = []
        for p in event.get("parameters") or []:
            value = _parameter_value(p)
            entry = {"name": p.get("name"), "label": "LABEL_OPTIONAL"}
            if isinstance(value, bool):
                entry.update(type="TYPE_BOOL", boolValue=value)
            elif isinstance(value, list):
                entry.update(type="TYPE_STRING", multiStrValue=value)
            else:
                entry.update(type="TYPE_STRING", value=value)
            parameters.append(entry)
        events.append(
            {
                "eventName": event.get("name"),
                "eventType": event.get("type"),
                "status": {"success": True},
                "parameter": parameters,
            }
        )
    actor = activity.get("actor") or {}
    service = _SERVICE.get(app, f"{app}.googleapis.com")
    prefix = service.split(".", 1)[0]
    first = str((_events(activity) or [{}])[0].get("name") or "")
    return {
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "authenticationInfo": {"principalEmail": actor.get("email")},
            "requestMetadata": {"callerIp": activity.get("ipAddress")},
            "serviceName": service,
            # google.login.LoginService.emailForwardingOutOfDomain (sample entry)
            "methodName": f"google.{prefix}.{prefix.title()}Service.{_camel(first)}",
            "resourceName": f"organizations/{(activity.get('id') or {}).get('customerId', '0')}",
            "metadata": {
                "@type": _ACTIVITY_TYPE,
                "event": events,
                "activityId": {
                    "uniqQualifier": (activity.get("id") or {}).get("uniqueQualifier"),
                    "timeUsec": str(int(moment.timestamp() * 1_000_000)) if moment else None,
                },
            },
        },
        "resource": {"type": "audited_resource", "labels": {"service": service}},
        "timestamp": when,
        "severity": "NOTICE",
        "logName": "organizations/0/logs/cloudaudit.googleapis.com%2Fdata_access",
    }


def _camel(name: str) -> str:
    """email_forwarding_out_of_domain -> emailForwardingOutOfDomain; CHANGE_GMAIL_SETTING ->
    changeGmailSetting."""
    head, *rest = name.lower().split("_")
    return head + "".join(part.title() for part in rest)


def gcp_audit(entry: dict) -> dict:
    """A Cloud Logging entry as the gcp integration's audit pipeline indexes it: the envelope
    only (its cleanup removes the parsed entry, protoPayload.metadata with it)."""
    payload = entry.get("protoPayload") or {}
    log_name = str(entry.get("logName", ""))
    doc: dict[str, Any] = {
        "@timestamp": entry.get("timestamp"),
        "data_stream": {"dataset": GCP_AUDIT, "namespace": "default", "type": "logs"},
        "cloud": {"provider": "gcp"},
        "event": {
            "action": payload.get("methodName"),
            "kind": "event",
            "outcome": "unknown",
            "provider": log_name.rpartition("%2F")[2] or None,
            "id": entry.get("insertId"),
        },
        "log": {"logger": log_name, "level": entry.get("severity")},
        "service": {"name": payload.get("serviceName")},
        "gcp": {
            "audit": {"type": payload.get("@type"), "resource_name": payload.get("resourceName")}
        },
    }
    email = (payload.get("authenticationInfo") or {}).get("principalEmail")
    if email:
        doc["client"] = {"user": {"email": email}}
    ip = (payload.get("requestMetadata") or {}).get("callerIp")
    if ip:
        doc["source"] = {"ip": ip}
    return doc


def from_cloud_logging(entry: dict) -> dict:
    """A Cloud Logging Workspace entry read back as the Reports API activity it carries."""
    payload = entry["protoPayload"]
    metadata = payload.get("metadata") or {}
    events = []
    for event in metadata.get("event") or []:
        parameters = []
        for p in event.get("parameter") or []:
            value = next(
                (
                    p[k]
                    for k in ("value", "boolValue", "intValue", "multiStrValue", "multiIntValue")
                    if k in p
                ),
                None,
            )
            parameters.append(
                {"name": p.get("name"), "multiValue" if isinstance(value, list) else "value": value}
            )
        events.append(
            {
                "type": event.get("eventType"),
                "name": event.get("eventName"),
                "parameters": parameters,
            }
        )
    service = str(payload.get("serviceName", "")).split(".", 1)[0]
    if service == "login" and any(e["type"] in _USER_ACCOUNTS_TYPES for e in events):
        service = "user_accounts"
    activity = {
        "kind": "admin#reports#activity",
        "id": {
            "time": entry.get("timestamp"),
            "uniqueQualifier": (metadata.get("activityId") or {}).get("uniqQualifier"),
            "applicationName": service,
        },
        "actor": {"email": (payload.get("authenticationInfo") or {}).get("principalEmail")},
        "events": events,
    }
    if (payload.get("requestMetadata") or {}).get("callerIp"):
        activity["ipAddress"] = payload["requestMetadata"]["callerIp"]
    return activity


# --- Reports API on Splunk and Elastic --------------------------------------------------------


def _prefixed(prefix: str, value: Any, out: dict) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _prefixed(f"{prefix}.{k}", v, out)
    else:
        out[prefix] = value


def _reports_splunk(activity: dict) -> dict:
    app = _application(activity)
    base = {
        "_time": (activity.get("id") or {}).get("time"),
        "sourcetype": f"gws:reports:{app}",
        "source": f"gws:reports:{app}",
    }
    for key, value in activity.items():
        if key != "events":
            _prefixed(key, value, base)
    event = (_events(activity) or [{}])[0]  # the add-on writes one Splunk event per activity event
    base["event.type"] = event.get("type")
    base["event.name"] = event.get("name")
    parameters = event.get("parameters") or []
    if parameters:
        base["event.parameters{}.name"] = [p.get("name") for p in parameters]
        base["event.parameters{}.value"] = [_parameter_value(p) for p in parameters]
    return base


def _reports_elastic(activity: dict) -> dict:
    app = _application(activity)
    event = (_events(activity) or [{}])[0]  # the integration writes one document per activity event
    actor = activity.get("actor") or {}
    gw: dict[str, Any] = {
        "kind": activity.get("kind"),
        "event": {"type": event.get("type")},
        "actor": {k: v for k, v in (("type", actor.get("callerType")),) if v},
    }
    own: dict[str, Any] = {}
    for p in event.get("parameters") or []:
        name, value = str(p.get("name")), _parameter_value(p)
        if app == "admin" and name in _ADMIN_PARAMETERS:
            node = own
            *parents, leaf = _ADMIN_PARAMETERS[name].split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
        else:
            own[name.lower()] = value
    if own:
        gw[app] = own
    email = actor.get("email")
    doc = {
        "@timestamp": (activity.get("id") or {}).get("time"),
        "data_stream": {
            "dataset": f"google_workspace.{app}",
            "namespace": "default",
            "type": "logs",
        },
        "event": {"action": event.get("name"), "provider": app},
        "google_workspace": gw,
    }
    source: dict[str, Any] = {}
    if activity.get("ipAddress"):
        source["ip"] = activity["ipAddress"]
    if email:
        local, _, domain = str(email).partition("@")
        source["user"] = {"email": email, "name": local, "domain": domain}
        doc["user"] = {"name": local, "domain": domain}
    if source:
        doc["source"] = source
    return doc


# --- Gmail logs -------------------------------------------------------------------------------


def _gmail_time(raw: dict) -> int:
    return int((raw.get("event_info") or {}).get("timestamp_usec", 0)) // 1_000_000


def _gmail_splunk(raw: dict) -> dict:
    doc: dict[str, Any] = {
        "_time": _gmail_time(raw),
        "sourcetype": "gws:gmail",
        "source": "gws:gmail",
    }
    info = raw.get("message_info") or {}
    for key, value in raw.items():
        if key != "message_info":
            _prefixed(key, value, doc)
    for key, value in info.items():
        if isinstance(value, list):
            for item in value:
                for k, v in item.items() if isinstance(item, dict) else ():
                    doc.setdefault(f"message_info.{key}{{}}.{k}", []).append(v)
        else:
            _prefixed(f"message_info.{key}", value, doc)
    return doc


def _gmail_elastic(raw: dict) -> dict:
    return {
        "@timestamp": _gmail_time(raw) * 1000,
        "data_stream": {
            "dataset": "google_workspace.gmail",
            "namespace": "default",
            "type": "logs",
        },
        "event": {"provider": "gmail"},
        "google_workspace": {"gmail": raw},
    }
