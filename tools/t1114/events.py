"""Reading recorded events and flattening them into field -> value records.

Exports wrap events: Splunk's JSON search export (``{"result": {...}}`` per line or
``{"results": [...]}``), Elasticsearch hits (``{"hits": {"hits": [{"_source": ...}]}}``, a list
of hits, or ``_source`` documents); ``documents_from_json`` unwraps them, and Windows events
given as nested ``Event.System`` / ``Event.EventData`` JSON are unwrapped by ``flatten``. The
files themselves are read by ``t1114.inputs``.

Flattening follows what each platform's search sees: nested objects become dotted names,
arrays of scalars become multivalue fields (any element may match), arrays of objects
become multivalue dotted fields, and O365-style ``[{"Name": n, "Value": v}]`` lists become
``<list>.<n> = v`` as the Elastic o365 integration stores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator


MULTIVALUE_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Event:
    index: int  # 0-based position in its file
    fields: dict[str, Any]


def _is_name_value_list(value: list) -> bool:
    return bool(value) and all(
        isinstance(v, dict) and set(v) == {"Name", "Value"} and isinstance(v["Name"], str) for v in value
    )


def _add(out: dict[str, list], key: str, value: Any) -> None:
    out.setdefault(key, []).append(value)


def _flatten_into(out: dict[str, list], prefix: str, value: Any) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten_into(out, f"{prefix}.{k}" if prefix else str(k), v)
    elif isinstance(value, list):
        if _is_name_value_list(value):
            for item in value:
                _flatten_into(out, f"{prefix}.{item['Name']}", item["Value"])
        elif not value:
            return
        else:
            for item in value:
                _flatten_into(out, prefix, item)
    else:
        _add(out, prefix, value)


def flatten(document: dict) -> dict[str, Any]:
    """Dotted field names; fields with several values become lists."""
    document = _unwrap_windows_event(document)
    collected: dict[str, list] = {}
    _flatten_into(collected, "", document)
    return {k: (v[0] if len(v) == 1 else v) for k, v in collected.items()}


def _text_of(value: Any) -> Any:
    if isinstance(value, dict):
        if "#text" in value:
            return value["#text"]
        if "text" in value:
            return value["text"]
    return value


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
            for attr, attr_value in (attrs.items() if isinstance(attrs, dict) else []):
                out[f"{key}_{attr}"] = attr_value
            for sub, sub_value in value.items():
                if sub not in ("#attributes", "#text", "text") and not isinstance(sub_value, dict):
                    out[f"{key}_{sub}"] = sub_value
        else:
            out[key] = value
    for section in ("EventData", "UserData"):
        data = event.get(section)
        if isinstance(data, dict):
            items = data.get("Data") if set(data) <= {"Data", "#attributes"} else None
            if isinstance(items, list):
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


def documents_from_json(value: Any) -> Iterator[dict]:
    """The events inside one parsed JSON value, whatever export wraps them."""
    if isinstance(value, list):
        for item in value:
            yield from documents_from_json(item)
    elif isinstance(value, dict):
        hits = value.get("hits")
        if isinstance(hits, dict) and isinstance(hits.get("hits"), list):
            yield from documents_from_json(hits["hits"])
        elif "_source" in value and isinstance(value["_source"], dict):
            yield value["_source"]
        elif isinstance(value.get("results"), list):
            yield from documents_from_json(value["results"])
        elif isinstance(value.get("result"), dict):
            yield value["result"]
        else:
            yield value


def read_events(path: Path) -> Iterator[Event]:
    """Events of one file, numbered by position, in any format ``t1114.inputs`` reads."""
    from t1114.inputs import read_records

    for index, record in enumerate(read_records(path)):
        yield Event(index, flatten(record.document()))
