"""Reading recorded events and flattening them into field -> value records.

Exports wrap events: Splunk's JSON search export (``{"result": {...}}`` per line or
``{"results": [...]}``), Elasticsearch hits (``{"hits": {"hits": [{"_source": ...}]}}``, a list
of hits, or ``_source`` documents); ``documents_from_json`` unwraps them, and Windows events
given as nested ``Event.System`` / ``Event.EventData`` JSON are unwrapped by ``flatten``. The
files themselves are read by ``t1114.inputs`` (``read_events``).

Google Workspace activities exported by Google Cloud Logging (``protoPayload.metadata.event[]``)
are read as the Reports API activity they carry (``t1114.targets.renderers.google``).

Linux audit logs are read as text (``type=SYSCALL msg=audit(...): ...`` lines, see
``t1114.auditd``): the records of one audit event become one event. In JSON (fixtures), one
audit event is ``{"auditd_records": ["type=SYSCALL msg=audit(...): ...", ...]}``.

Flattening follows what each platform's search sees: nested objects become dotted names,
arrays of scalars become multivalue fields (any element may match), arrays of objects
become multivalue dotted fields, and name/value lists -- O365's ``[{"Name": n, "Value": v}]``
and the Google Reports API's ``[{"name": n, "value"|"boolValue"|...: v}]`` -- become
``<list>.<n> = v``, as the Elastic integrations store them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from t1114 import auditd, endpoint_security
from t1114.endpoint_security import NEW_PATH_FIELDS

MULTIVALUE_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Event:
    index: int  # 0-based position in its file
    fields: dict[str, Any]


# The keys that carry a value in a name/value entry: O365 lists use Name/Value (an entry may
# have no Value at all, as Outlook's RuleName often has none); Google's Reports API uses
# name/value, boolValue, intValue or multiValue.
_VALUE_KEYS = {
    "Name": ("Value",),
    "name": ("value", "boolValue", "intValue", "multiValue", "multiIntValue"),
}


def _name_key(value: list) -> str | None:
    """The name key when a list is a name/value list (each entry one name and at most one value)."""
    if not value or not all(isinstance(v, dict) for v in value):
        return None
    for key, value_keys in _VALUE_KEYS.items():
        if all(
            isinstance(v.get(key), str)
            and set(v) - {key} <= set(value_keys)
            and len(set(v) - {key}) <= 1
            for v in value
        ) and any(len(v) == 2 for v in value):
            return key
    return None


def _entry_value(entry: dict, name_key: str) -> Any:
    rest = [v for k, v in entry.items() if k != name_key]
    return rest[0] if rest else None


def _add(out: dict[str, list], key: str, value: Any) -> None:
    out.setdefault(key, []).append(value)


def _flatten_into(out: dict[str, list], prefix: str, value: Any) -> None:
    # Scalars are added in place rather than through a call: this runs for every value of
    # every event a scan evaluates.
    if isinstance(value, dict):
        for k, v in value.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, (dict, list)):
                _flatten_into(out, key, v)
            else:
                values = out.get(key)
                if values is None:
                    out[key] = [v]
                else:
                    values.append(v)
    elif isinstance(value, list):
        if (name_key := _name_key(value)) is not None:
            for item in value:
                entry = _entry_value(item, name_key)
                if entry is not None:
                    _flatten_into(out, f"{prefix}.{item[name_key]}", entry)
        elif not value:
            return
        else:
            for item in value:
                if isinstance(item, (dict, list)):
                    _flatten_into(out, prefix, item)
                else:
                    _add(out, prefix, item)
    else:
        _add(out, prefix, value)


AUDITD_RECORDS = "auditd_records"
# Names flattening makes up, held by no key of the event: Windows EventData values without
# names become param1, param2, ... (t1114.prefilter must not expect them in the text).
UNNAMED_VALUE_PREFIX = "param"


def flatten(document: dict) -> dict[str, Any]:
    """Dotted field names; fields with several values become lists.

    Raises ValueError for an ``auditd_records`` document that is not one audit event.
    """
    if len(document) == 1 and AUDITD_RECORDS in document:
        return _audit_event(document[AUDITD_RECORDS])
    return flatten_plain(plain_document(document))


def plain_document(document: dict) -> dict:
    """The document whose generic flattening (``flatten_plain``) is ``flatten(document)``:
    Windows events unwrapped, Cloud Logging activities read as the activity they carry. Not for
    an ``auditd_records`` document."""
    from t1114.targets.renderers import google  # late: the shapes read events through this module

    if google.is_cloud_logging(document):
        # A Google Workspace activity delivered by Cloud Logging reads as the Reports API
        # activity it carries, under the names Sigma's Workspace rules use.
        document = google.from_cloud_logging(document)
    document = _unwrap_windows_event(document)
    # An Endpoint Security message naming a new file reads with the file's whole path as well.
    document = endpoint_security.with_new_paths(document)
    if _is_flat_taxonomy(document) and "host" not in document:
        # A flat Sigma-taxonomy record (macOS agents and converters) names its host Computer,
        # an Endpoint Security message host.hostname: read under both, a correlation groups
        # the two by one key.
        document = {**document, "host": {"hostname": document["Computer"]}}
    return document


def is_audit_document(document: dict) -> bool:
    return len(document) == 1 and AUDITD_RECORDS in document


def flatten_plain(document: dict) -> dict[str, Any]:
    """Nested objects to dotted names, lists to multivalue fields, name/value lists pivoted.
    Each top-level item's fields start with its key (``key`` or ``key.…``) and depend on that
    item alone, so one item may be flattened by itself (``flatten_plain({key: value})``)."""
    if all(type(k) is str and not isinstance(v, (dict, list)) for k, v in document.items()):
        return dict(document)  # already flat (most Windows events once unwrapped): the same result
    collected: dict[str, list] = {}
    _flatten_into(collected, "", document)
    return {k: (v[0] if len(v) == 1 else v) for k, v in collected.items()}


# Field names flattening may make up, held by no key of the event's text (t1114.prefilter
# must not expect their words there): a flat taxonomy record's host, from its Computer, and
# an Endpoint Security message's new file, from its directory and name.
MADE_UP_FIELDS = frozenset({"host.hostname", *NEW_PATH_FIELDS})

# What marks a document as something other than a flat taxonomy record: an event log channel,
# an Endpoint Security type, or a Splunk / Elastic rendering.
_NOT_FLAT_TAXONOMY = ("Channel", "event_type", "sourcetype", "data_stream", "EventCode")


def _is_flat_taxonomy(document: dict) -> bool:
    return (
        "Computer" in document
        and ("Image" in document or "TargetFilename" in document)
        and not any(k in document for k in _NOT_FLAT_TAXONOMY)
    )


def _audit_event(records: Any) -> dict[str, Any]:
    if not (isinstance(records, list) and records and all(isinstance(r, str) for r in records)):
        raise ValueError(f"'{AUDITD_RECORDS}' must be a list of raw audit record lines")
    bad = [r for r in records if not auditd.is_record(r)]
    if bad:
        raise ValueError(f"not an audit record: {bad[0][:80]!r}")
    events = list(auditd.group_records(records))
    if len(events) != 1:
        raise ValueError(
            f"'{AUDITD_RECORDS}' must hold the records of one audit event, not {len(events)}"
        )
    return events[0]


def _text_of(value: Any) -> Any:
    if isinstance(value, dict):
        if "#text" in value:
            return value["#text"]
        if "text" in value:
            return value["text"]
    return value


def _unnamed_values(items: Any) -> list | None:
    """EventData values without names: ``{"#text": [...]}`` (evtx) or a list of plain values."""
    if isinstance(items, dict) and set(items) == {"#text"}:
        items = items["#text"]
        return items if isinstance(items, list) else [items]
    if isinstance(items, list) and items and not any(isinstance(i, dict) for i in items):
        return items
    return None


def _unwrap_windows_event(document: dict) -> dict:
    """``{"Event": {"System": {...}, "EventData": {...}}}`` -> the fields Sigma names.

    System children keep their names (``EventID``, ``Channel``, ``Computer``); attributes of
    a child are joined with ``_`` (``Provider_Name``, ``TimeCreated_SystemTime``), as
    Zircolite and evtx2json name them. EventData given as a ``Data`` list of
    ``{"@Name"/"Name", "#text"}`` entries is pivoted to its names.
    """
    event = document.get("Event")
    if not (isinstance(event, dict) and isinstance(event.get("System"), dict)):
        return document
    out: dict[str, Any] = {}
    for key, value in event["System"].items():
        if isinstance(value, dict):
            attrs = value.get("#attributes", {})
            text = _text_of(value)
            if text is not value:
                out[key] = text
            for attr, attr_value in attrs.items() if isinstance(attrs, dict) else []:
                out[f"{key}_{attr}"] = attr_value
            for sub, sub_value in value.items():
                if sub not in ("#attributes", "#text", "text") and not isinstance(sub_value, dict):
                    out[f"{key}_{sub}"] = sub_value
        else:
            out[key] = value
    for section in ("EventData", "UserData"):
        data = event.get(section)
        if isinstance(data, dict):
            items = data.get("Data") if set(data) <= {"Data", "#attributes", "Binary"} else None
            unnamed = _unnamed_values(items)
            if unnamed is not None:
                # Events whose EventData values carry no names (the MSExchange Management
                # log): numbered param1.. as Winlogbeat names them.
                for n, value in enumerate(unnamed, 1):
                    out[f"{UNNAMED_VALUE_PREFIX}{n}"] = value
            elif isinstance(items, list):
                for item in items:
                    if isinstance(item, dict):
                        name = item.get("@Name") or item.get("Name")
                        if name:
                            out[name] = _text_of(item.get("#text", item.get("Value")))
            else:
                for key, value in data.items():
                    if key != "#attributes":
                        out[key] = value
    return out


# --- export wrappers ------------------------------------------------------------------------


def documents_from_json(
    value: Any, on_stray: Callable[[Any], None] | None = None
) -> Iterator[dict]:
    """The events inside one parsed JSON value, whatever export wraps them. A value where an
    event belongs that is no object holds none; ``on_stray`` hears of each one."""
    if isinstance(value, list):
        for item in value:
            yield from documents_from_json(item, on_stray)
    elif isinstance(value, dict):
        hits = value.get("hits")
        if isinstance(hits, dict) and isinstance(hits.get("hits"), list):
            yield from documents_from_json(hits["hits"], on_stray)
        elif "_source" in value and isinstance(value["_source"], dict):
            yield value["_source"]
        elif isinstance(value.get("results"), list):
            yield from documents_from_json(value["results"], on_stray)
        elif isinstance(value.get("result"), dict):
            yield value["result"]
        else:
            yield value
    elif on_stray is not None:
        on_stray(value)
