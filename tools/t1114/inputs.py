"""Where scanned events come from: files and directories, in the formats users export.

Every reader streams: memory depends on the largest single event (or JSON Lines line), not on
how many events a file holds.

* JSON Lines, plain or gzip-compressed (``{"result": …}`` Splunk export lines and
  ``{"_source": …}`` Elasticsearch lines included): each line is validated with orjson, and
  each event keeps the line's bytes so the prefilter can judge it without building it;
* a JSON document (an array, ``{"hits": {"hits": […]}}``, ``{"results": […]}``, one event):
  streamed with ijson, item by item;
* Windows ``.evtx`` files: read with the ``evtx`` parser, which renders each record as the
  ``Event.System`` / ``Event.EventData`` JSON that ``events.flatten`` unwraps;
* Linux audit logs (``type=… msg=audit(…): …`` lines, ``audit.log`` and its rotations): the
  records of one audit event become one event (``t1114.auditd``, which groups a whole file
  in memory before it yields: the one reader that does not stream).

A reader yields ``Record``s in file order; the n-th record is the event at ``event_index`` n.
The rules for which JSON value holds which events are ``events.documents_from_json``'s, the
same for every format.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterable, Iterator

import ijson
import orjson

from t1114 import auditd
from t1114.errors import PackError
from t1114.events import Event, documents_from_json, flatten

TEXT_SUFFIXES = (".json", ".jsonl", ".ndjson")
EVENT_FILE_SUFFIXES = TEXT_SUFFIXES + tuple(s + ".gz" for s in TEXT_SUFFIXES) + (".evtx",)
GZIP_MAGIC = b"\x1f\x8b"
EVTX_MAGIC = b"ElfFile\x00"
# Linux audit logs keep auditd's names: audit.log and its rotations audit.log.1, ...
AUDIT_LOG_NAME = re.compile(r"audit\.log(\.\d+)?")
_PROBE = 1 << 20  # a first line longer than this is read as one streamed document


class Record:
    """One event as read: JSON text that contains it (for the prefilter; a line of an export
    may hold several events) and, once parsed, the event itself."""

    __slots__ = ("text", "doc", "flat")  # a plain class: millions are made, and cheaply

    def __init__(self, text: bytes | None, doc: dict | None = None, flat: bool = False):
        self.text = text
        self.doc = doc
        self.flat = flat  # doc already holds field -> value (an audit event)

    def fields(self) -> dict:
        """The event's fields, as the engine sees them."""
        if self.flat and self.doc is not None:
            return self.doc
        return flatten(self.document())

    def document(self) -> dict:
        if self.doc is not None:
            return self.doc
        # The standard library parses what the engine sees, as the fixture tests do (orjson,
        # which validates every line, would read integers past 64 bits as floats).
        assert self.text is not None  # a record holds its text or its document
        return next(documents_from_json(json.loads(self.text)))


def _holds_several(value: dict) -> bool:
    """Whether documents_from_json may find other than exactly one event in an object."""
    return "hits" in value or "results" in value


def event_files(paths: Iterable[Path | str]) -> list[Path]:
    """Files named, and the event files under directories named, in a stable order."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file() and _is_event_file(f)))
        elif p.exists():
            files.append(p)
        else:
            raise PackError(p, "no such file or directory")
    return files


def _is_event_file(path: Path) -> bool:
    return path.name.lower().endswith(EVENT_FILE_SUFFIXES) or AUDIT_LOG_NAME.fullmatch(path.name) is not None


def read_records(path: Path) -> Iterator[Record]:
    """The events of one file, whatever its format (told by content, not by name)."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
    except OSError as e:
        raise PackError(path, f"cannot read file: {e.strerror or e}") from None
    if magic == EVTX_MAGIC:
        yield from _evtx_records(path)
        return
    compressed = magic.startswith(GZIP_MAGIC)
    try:
        yield from _json_records(path, compressed)
    except (gzip.BadGzipFile, zlib.error, EOFError) as e:
        raise PackError(path, f"not a readable gzip file ({e})") from None
    except OSError as e:
        raise PackError(path, f"cannot read file: {e.strerror or e}") from None


def _open(path: Path, compressed: bool) -> IO[bytes]:
    if compressed:
        return gzip.open(path, "rb")  # type: ignore[return-value]  # GzipFile reads bytes
    return open(path, "rb", buffering=1 << 20)


def _json_records(path: Path, compressed: bool) -> Iterator[Record]:
    with _open(path, compressed) as fh:
        head = fh.read(_PROBE)
        fh.seek(0)
        stripped = head.lstrip()
        if auditd.is_record(stripped.split(b"\n", 1)[0].decode("utf-8", errors="replace")):
            yield from _audit_records(fh)
        elif stripped.startswith(b"["):
            yield from _array_records(path, fh)
        elif stripped.startswith(b"{") and _is_single_document(head):
            yield from _object_records(path, fh)
        else:
            yield from _line_records(path, fh)


def _is_single_document(head: bytes) -> bool:
    """A file holding one (possibly pretty-printed) JSON value rather than JSON Lines."""
    end = head.find(b"\n")
    if end == -1 and len(head) >= _PROBE:
        return True  # one huge line: stream it as a document
    try:
        json.loads(head if end == -1 else head[:end])
        return False
    except ValueError:
        return True


# --- JSON Lines -----------------------------------------------------------------------------


def _line_records(path: Path, fh: IO[bytes]) -> Iterator[Record]:
    loads = orjson.loads
    lineno = 0
    for raw in fh:
        if b"\r" in raw:
            lines = _universal_lines(raw)  # text mode splits on a lone CR, as the reference does
        else:
            lines = [raw]
        for line in lines:
            lineno += 1
            try:
                value = loads(line)
            except orjson.JSONDecodeError:
                value = _reference_value(path, line, lineno)
                if value is None:
                    continue
            if type(value) is dict and not _holds_several(value):
                yield Record(line)
            elif isinstance(value, (dict, list)):
                for doc in documents_from_json(json.loads(line)):
                    yield Record(line, doc)
            else:
                raise PackError(path, f"line {lineno} is not a JSON object")


def _universal_lines(raw: bytes) -> list[bytes]:
    parts = raw.replace(b"\r\n", b"\n").split(b"\r")
    if parts and parts[-1] == b"":
        parts.pop()
    return parts


def _reference_value(path: Path, line: bytes, lineno: int):
    """What the standard library makes of a line orjson refused: a value, None for a blank
    line, or the error it reports."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PackError(path, f"not UTF-8 text ({e.reason})") from None
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise PackError(path, f"invalid JSON on line {lineno}, column {e.colno}: {e.msg}") from None
    except RecursionError:
        raise PackError(path, f"invalid JSON on line {lineno}: nested too deeply") from None


# --- JSON documents -------------------------------------------------------------------------
# The precedence of the wrappers is documents_from_json's: hits.hits, then _source, then
# results, then result; any other object is one event.


def _array_records(path: Path, fh: IO[bytes]) -> Iterator[Record]:
    with _json_errors(path):
        for item in ijson.items(fh, "item", use_float=True):
            yield from _records_of(item)


def _object_records(path: Path, fh: IO[bytes]) -> Iterator[Record]:
    with _json_errors(path):
        kinds = _wrapper_kinds(fh)  # a first pass finds the wrapper, a second streams it
        fh.seek(0)
        if kinds.get("hits") == "start_map" and kinds.get("hits.hits") == "start_array":
            for item in ijson.items(fh, "hits.hits.item", use_float=True):
                yield from _records_of(item)
        elif kinds.get("_source") == "start_map":
            for doc in ijson.items(fh, "_source", use_float=True):
                yield _record(doc)
        elif kinds.get("results") == "start_array":
            for item in ijson.items(fh, "results.item", use_float=True):
                yield from _records_of(item)
        else:  # one event, or one {"result": …}: small enough to build
            for value in ijson.items(fh, "", use_float=True):
                yield from _records_of(value)


_VALUE_EVENTS = frozenset({"start_map", "start_array", "string", "number", "boolean", "null"})
_WRAPPER_KEYS = frozenset({"hits", "_source", "results", "result", "hits.hits"})


def _wrapper_kinds(fh: IO[bytes]) -> dict[str, str]:
    """The kind of value under each wrapper key of a top-level object (the last one wins, as
    in a parsed dict)."""
    kinds: dict[str, str] = {}
    for prefix, event, _ in ijson.parse(fh, use_float=True):
        if prefix in _WRAPPER_KEYS and event in _VALUE_EVENTS:
            kinds[prefix] = event
            if prefix == "hits":
                kinds.pop("hits.hits", None)
    return kinds


@contextmanager
def _json_errors(path: Path):
    try:
        yield
    except ijson.JSONError as e:
        detail = e.args[0] if e.args else e
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        # The C parser's message draws the spot over several lines; the first one says it.
        raise PackError(path, f"invalid JSON: {str(detail).strip().splitlines()[0]}") from None


def _records_of(value) -> Iterator[Record]:
    for doc in documents_from_json(value):
        yield _record(doc)


def _record(doc: dict) -> Record:
    # The event's own JSON text lets the prefilter judge streamed documents too.
    return Record(_dumps(doc), doc=doc)


def _dumps(value: dict) -> bytes | None:
    try:
        return orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return None


# --- Linux audit logs -----------------------------------------------------------------------


def _audit_records(fh: IO[bytes]) -> Iterator[Record]:
    lines = (line.decode("utf-8", errors="replace") for line in fh)
    for fields in auditd.group_records(lines):
        # Audit values arrive hex-encoded; the prefilter reads the decoded fields' JSON.
        yield Record(_dumps(fields), fields, flat=True)


# --- Windows event logs ---------------------------------------------------------------------


def _evtx_records(path: Path) -> Iterator[Record]:
    import evtx

    try:
        # One thread keeps records in file order.
        parser = evtx.PyEvtxParser(str(path), number_of_threads=1)
        for record in parser.records_json():
            if record is not None:
                yield Record(record["data"].encode("utf-8"))
    except (RuntimeError, OSError, ValueError) as e:
        raise PackError(path, f"cannot read EVTX file: {e}") from None


def read_events(path: Path) -> Iterator[Event]:
    """Events of one file, numbered by position, in any format ``read_records`` reads."""
    for index, record in enumerate(read_records(path)):
        yield Event(index, record.fields())
