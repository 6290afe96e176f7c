"""Facts of Endpoint Security messages (as ``eslogger`` writes them) that both the reader
(t1114.events) and the macOS shapes (t1114.targets.renderers.macos) use."""

from __future__ import annotations

ES_NOTIFY_EXEC, ES_NOTIFY_CREATE, ES_NOTIFY_RENAME, ES_NOTIFY_WRITE = 9, 13, 25, 33

# Where a message that names a new file (a create, or a rename to a path that did not exist)
# holds the file's whole path once read: Endpoint Security splits it into the directory and
# the name (es_event_create_t / es_event_rename_t ``new_path``), which no single field
# condition can match.
NEW_PATH_KEY = "path"
NEW_PATH_FIELDS = tuple(
    f"event.{kind}.destination.new_path.{NEW_PATH_KEY}" for kind in ("create", "rename")
)


def is_message(raw: dict) -> bool:
    return isinstance(raw.get("event_type"), int) and isinstance(raw.get("event"), dict)


def new_path(new: dict) -> str:
    """The whole path of a ``new_path`` destination: its directory and its name."""
    return f"{(new.get('dir') or {}).get('path', '').rstrip('/')}/{new.get('filename', '')}"


def with_new_paths(raw: dict) -> dict:
    """The message with each new file's whole path under ``new_path.path`` (the message itself
    when it is none or names no new file)."""
    if not is_message(raw):
        return raw
    event = raw["event"]
    joined = {}
    for kind in ("create", "rename"):
        body = event.get(kind)
        if not isinstance(body, dict) or not isinstance(body.get("destination"), dict):
            continue
        dest: dict = body["destination"]
        new = dest.get("new_path")
        if isinstance(new, dict) and new.get("filename"):
            named = {**new, NEW_PATH_KEY: new_path(new)}
            joined[kind] = {**body, "destination": {**dest, "new_path": named}}
    return {**raw, "event": {**event, **joined}} if joined else raw
