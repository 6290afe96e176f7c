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

Hostile input: ``read_items`` yields, in file order, a ``Record`` per event and a ``BadRecord``
per record that cannot be one (invalid JSON or UTF-8, not an object, nested deeper than
``MAX_DEPTH``, a line longer than ``MAX_LINE_BYTES``, a truncated or corrupt gzip stream, a
damaged EVTX record), and goes on with the next record where the format allows it. Lines are
read in blocks of ``BLOCK_BYTES``: a line over the limit is skipped as it streams by, never
held, and a gzip stream is inflated block by block, so memory stays flat whatever the line
length or compression ratio. ``read_records`` is the strict form: the first bad record is a
``PackError``.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

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

# Documented limits (docs/scan.md): a record beyond them is skipped and reported.
MAX_LINE_BYTES = 16 << 20  # one JSON Lines line, or a whole single-event document
MAX_DEPTH = 256  # nesting of objects and arrays in one record
BLOCK_BYTES = 1 << 20  # what is read (or inflated) at a time
MAX_EVTX_ERRORS = 1000  # damaged EVTX records in a row before the rest of the file is given up
# A run of digits orjson may read as a float (it has 64-bit integers); such text is parsed
# again by the standard library, which the fixture tests use.
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_DIGITS = b"0" * 19


class Record:
    """One event as read: JSON text that contains it (for the prefilter; a line of an export
    may hold several events) and, once parsed, the event itself."""

    __slots__ = ("text", "doc", "flat", "line", "approximate")  # millions are made, cheaply

    def __init__(
        self,
        text: bytes | None,
        doc: dict | None = None,
        flat: bool = False,
        line: int = 0,
        approximate: bool = False,
    ):
        self.text = text
        self.doc = doc
        self.flat = flat  # doc already holds field -> value (an audit event)
        self.line = line  # where the record starts: its line, item or record number
        self.approximate = approximate  # doc came from orjson and may need the exact parse

    def fields(self) -> dict:
        """The event's fields, as the engine sees them."""
        if self.flat and self.doc is not None:
            return self.doc
        return flatten(self.document())

    def document(self) -> dict:
        if self.approximate:
            self.approximate = False
            if self.text is not None and _LONG_DIGITS in self.text.translate(_DIGITS_AS_ZERO):
                self.doc = None
        if self.doc is not None:
            return self.doc
        # The standard library parses what the engine sees, as the fixture tests do (orjson,
        # which validates every line, would read integers past 64 bits as floats).
        assert self.text is not None  # a record holds its text or its document
        return next(documents_from_json(json.loads(self.text)))


@dataclass(frozen=True)
class BadRecord:
    """A record skipped: where it is (``unit`` ``number``, 1-based) and what is wrong."""

    unit: str  # "line", "item", "record", or "file" for the whole stream
    number: int
    problem: str  # "invalid JSON", "not UTF-8 text", ...
    detail: str = ""  # more about it, after the location

    def message(self, number: int | None = None) -> str:
        where = (
            f" on {self.unit} {self.number if number is None else number}"
            if self.unit != "file"
            else ""
        )
        return f"{self.problem}{where}{self.detail}"


Item = Record | BadRecord


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
    return (
        path.name.lower().endswith(EVENT_FILE_SUFFIXES)
        or AUDIT_LOG_NAME.fullmatch(path.name) is not None
    )


def read_records(path: Path) -> Iterator[Record]:
    """The events of one file; the first bad record is a PackError naming file and place."""
    for item in read_items(path):
        if isinstance(item, BadRecord):
            raise PackError(path, item.message())
        yield item


# --- what a file holds, and where it can be split ----------------------------------------------


def file_kind(path: Path) -> str:
    """``evtx``, ``gzip`` or ``plain``, told by content; unreadable files are a PackError."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
    except OSError as e:
        raise PackError(path, f"cannot read file: {e.strerror or e}") from None
    if magic == EVTX_MAGIC:
        return "evtx"
    return "gzip" if magic.startswith(GZIP_MAGIC) else "plain"


def split_points(path: Path, size: int) -> list[tuple[int, int | None]]:
    """Byte ranges of about ``size`` bytes, each starting at a line, for reading a plain JSON
    Lines file in parallel; one range (the whole file) for every other format."""
    if file_kind(path) != "plain":
        return [(0, None)]
    try:
        with open(path, "rb") as fh:
            if _layout(fh) != "lines":
                return [(0, None)]
            total = path.stat().st_size
            ranges: list[tuple[int, int | None]] = []
            start = 0
            while start + size < total:
                fh.seek(start + size)
                cut = _next_line_start(fh)
                if cut is None or cut >= total:
                    break
                ranges.append((start, cut))
                start = cut
            ranges.append((start, None))
            return ranges
    except OSError as e:
        raise PackError(path, f"cannot read file: {e.strerror or e}") from None


def _next_line_start(fh: IO[bytes]) -> int | None:
    """The offset after the next newline from here, read block by block (a long line is not held)."""
    while True:
        at = fh.tell()
        block = fh.read(BLOCK_BYTES)
        if not block:
            return None
        nl = block.find(b"\n")
        if nl != -1:
            return at + nl + 1


def read_items(
    path: Path, start: int = 0, end: int | None = None, position: dict | None = None
) -> Iterator[Item]:
    """Events and bad records of one file (or of one byte range a split point starts).
    ``position["lines"]`` ends as the number of lines a JSON Lines range held."""
    position = {} if position is None else position
    kind = file_kind(path)
    if kind == "evtx":
        yield from _evtx_records(path)
        return
    try:
        with gzip.open(path, "rb") if kind == "gzip" else open(path, "rb") as opened:
            fh = cast(IO[bytes], opened)
            if start:
                fh.seek(start)
                yield from _line_records(fh, end - start if end is not None else None, position)
                return
            layout = _layout(fh)
            if layout == "audit":
                yield from _audit_records(fh)
            elif layout == "array":
                yield from _array_records(fh)
            elif layout == "document":
                yield from _object_records(fh)
            else:
                yield from _line_records(fh, end, position)
    except (gzip.BadGzipFile, zlib.error, EOFError) as e:
        yield BadRecord(
            "file",
            0,
            "not a readable gzip stream",
            f" ({e or 'it ends early'}); the rest of the file is skipped",
        )
    except OSError as e:
        raise PackError(path, f"cannot read file: {e.strerror or e}") from None


def is_line_stream(path: Path) -> bool:
    """A gzip-compressed JSON Lines file: it cannot be split by offset, but its lines can be
    handed out in batches (``line_batches``)."""
    if file_kind(path) != "gzip":
        return False
    try:
        with gzip.open(path, "rb") as opened:
            return _layout(cast(IO[bytes], opened)) == "lines"
    except (gzip.BadGzipFile, zlib.error, EOFError):
        return False  # read whole, where the error is reported
    except OSError as e:
        raise PackError(path, f"cannot read file: {e.strerror or e}") from None


@dataclass(frozen=True)
class LineBatch:
    """Complete lines of a JSON Lines stream; a line over the limit is left empty and named in
    ``too_long`` (numbered in the batch), so the batch's numbering is the stream's."""

    data: bytes
    too_long: tuple[int, ...] = ()


def line_batches(path: Path, size: int) -> Iterator[LineBatch | BadRecord]:
    """A gzip JSON Lines file as batches of about ``size`` bytes of lines, read in blocks; a
    broken stream ends with its BadRecord."""
    parts: list[bytes] = []
    too_long: list[int] = []
    held = lines = 0
    try:
        with gzip.open(path, "rb") as opened:
            for raw in _lines(cast(IO[bytes], opened), None):
                lines += 1
                if raw is _TOO_LONG:
                    too_long.append(lines)
                    raw = b"\n"
                elif b"\r" in raw:
                    lines += len(_universal_lines(raw)) - 1
                parts.append(raw if raw.endswith(b"\n") else raw + b"\n")
                held += len(raw)
                if held >= size:
                    yield LineBatch(b"".join(parts), tuple(too_long))
                    parts, too_long, held, lines = [], [], 0, 0
    except (gzip.BadGzipFile, zlib.error, EOFError) as e:
        if parts:
            yield LineBatch(b"".join(parts), tuple(too_long))
        yield BadRecord(
            "file",
            0,
            "not a readable gzip stream",
            f" ({e or 'it ends early'}); the rest of the file is skipped",
        )
        return
    except OSError as e:
        raise PackError(path, f"cannot read file: {e.strerror or e}") from None
    if parts:
        yield LineBatch(b"".join(parts), tuple(too_long))


def batch_items(batch: LineBatch, position: dict) -> Iterator[Item]:
    """The events and bad records of a LineBatch, lines numbered from the batch's start."""
    skipped = [
        BadRecord("line", n, "line too long", f" (over {MAX_LINE_BYTES:,} bytes)")
        for n in batch.too_long
    ]
    for item in _line_records(io.BytesIO(batch.data), None, position):
        where = item.number if isinstance(item, BadRecord) else item.line
        while skipped and skipped[0].number < where:
            yield skipped.pop(0)
        yield item
    yield from skipped


def _layout(fh: IO[bytes]) -> str:
    """``audit``, ``array``, ``document`` (one JSON value) or ``lines``, from the head."""
    head = _head(fh)
    stripped = head.lstrip()
    if auditd.is_record(stripped.split(b"\n", 1)[0].decode("utf-8", errors="replace")):
        return "audit"
    if stripped.startswith(b"["):
        return "array"
    if stripped.startswith(b"{") and _is_single_document(head, fh):
        return "document"
    return "lines"


def _head(fh: IO[bytes]) -> bytes:
    """Up to _PROBE bytes from the start (fewer if a gzip stream breaks early: the records
    before the break are still read), the stream rewound."""
    parts, size = [], 0
    read = getattr(fh, "read1", fh.read)  # what is there: a broken stream keeps its start
    try:
        while size < _PROBE:
            part = read(min(BLOCK_BYTES, _PROBE - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
    except (gzip.BadGzipFile, zlib.error, EOFError):
        if not parts:
            raise
    fh.seek(0)
    return b"".join(parts)


def _is_single_document(head: bytes, fh: IO[bytes]) -> bool:
    """A file holding one (possibly pretty-printed) JSON value rather than JSON Lines."""
    end = head.find(b"\n")
    if end == -1 and len(head) >= _PROBE:
        # One huge first line: a one-line export wrapper (hits, results, _source) is streamed
        # as a document; anything else is a JSON Lines line, and the line limit applies.
        try:
            return bool(_wrapper_kinds(fh, first_value_only=True))
        except ijson.JSONError:
            return False
        finally:
            fh.seek(0)
    try:
        json.loads(head if end == -1 else head[:end])
        return False
    except ValueError:
        return True
    except RecursionError:
        return False  # deep, but complete: a JSON Lines line (the depth limit applies)


# --- JSON Lines -----------------------------------------------------------------------------


# A distinct bytes object (compared by identity), so every line is typed as bytes.
_TOO_LONG = bytes(bytearray(b"<line over the limit>"))


def _lines(fh: IO[bytes], limit: int | None) -> Iterator[bytes]:
    """Lines of at most MAX_LINE_BYTES (longer ones as _TOO_LONG), up to ``limit`` bytes."""
    pending = b""
    skipping = False
    left = limit
    read = getattr(fh, "read1", fh.read)  # what is there: a broken gzip stream keeps its start
    while True:
        want = BLOCK_BYTES if left is None else min(BLOCK_BYTES, left)
        block = read(want) if want else b""
        if left is not None:
            left -= len(block)
        if not block:
            if skipping:
                yield _TOO_LONG
            elif pending:
                yield pending
            return
        at = 0
        while True:
            nl = block.find(b"\n", at)
            if nl == -1:
                break
            if skipping:
                skipping = False
                yield _TOO_LONG
            elif pending:
                line = pending + block[at : nl + 1]
                pending = b""
                yield line if len(line) <= MAX_LINE_BYTES + 1 else _TOO_LONG
            else:
                yield block[at : nl + 1] if nl + 1 - at <= MAX_LINE_BYTES + 1 else _TOO_LONG
            at = nl + 1
        if not skipping:
            pending += block[at:]
            if len(pending) > MAX_LINE_BYTES:
                pending, skipping = b"", True


def _line_records(fh: IO[bytes], limit: int | None, position: dict) -> Iterator[Item]:
    loads = orjson.loads
    lineno = position["lines"] = 0
    for raw in _lines(fh, limit):
        if raw is _TOO_LONG:
            lineno += 1
            yield BadRecord("line", lineno, "line too long", f" (over {MAX_LINE_BYTES:,} bytes)")
            continue
        lines = _universal_lines(raw) if b"\r" in raw else (raw,)  # a lone CR ends a line too
        for line in lines:
            lineno += 1
            try:
                value = loads(line)
            except orjson.JSONDecodeError:
                value = _reference_value(line, lineno)
                if value is None:
                    continue
                if isinstance(value, BadRecord):
                    yield value
                    continue
                approximate = False
            else:
                approximate = True
            if type(value) is dict and not _holds_several(value):
                if line.count(b"{") + line.count(b"[") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
                    yield _too_deep("line", lineno)
                    continue
                if "_source" in value or "result" in value:  # exactly one event: which one
                    value = next(documents_from_json(value))
                yield Record(line, value, line=lineno, approximate=approximate)
            elif isinstance(value, (dict, list)):
                if _depth(value) > MAX_DEPTH:
                    yield _too_deep("line", lineno)
                    continue
                strays: list[object] = []
                for doc in documents_from_json(json.loads(line), on_stray=strays.append):
                    yield Record(line, doc, line=lineno)
                if strays:
                    yield BadRecord(
                        "line",
                        lineno,
                        "not a JSON object",
                        f" ({len(strays)} values that are not events)",
                    )
            else:
                yield BadRecord("line", lineno, "not a JSON object", f" (a JSON {_kind(value)})")
    position["lines"] = lineno


def _kind(value) -> str:
    return {str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def _too_deep(unit: str, number: int) -> BadRecord:
    return BadRecord(unit, number, "nested too deeply", f" (over {MAX_DEPTH} levels)")


def _depth(value) -> int:
    """Nesting depth of a parsed value, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((v, level + 1) for v in item if isinstance(v, (dict, list)))
    return deepest


def _universal_lines(raw: bytes) -> list[bytes]:
    parts = raw.replace(b"\r\n", b"\n").split(b"\r")
    if parts and parts[-1] == b"":
        parts.pop()
    return parts


def _reference_value(line: bytes, lineno: int):
    """What the standard library makes of a line orjson refused: a value, None for a blank
    line, or the BadRecord it is."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as e:
        return BadRecord("line", lineno, "not UTF-8 text", f" ({e.reason} at byte {e.start})")
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        return BadRecord("line", lineno, "invalid JSON", f", column {e.colno}: {e.msg}")
    except RecursionError:
        return _too_deep("line", lineno)


# --- JSON documents -------------------------------------------------------------------------
# The precedence of the wrappers is documents_from_json's: hits.hits, then _source, then
# results, then result; any other object is one event.


def _array_records(fh: IO[bytes]) -> Iterator[Item]:
    yield from _items(ijson.items(fh, "item", use_float=True), "item")


def _items(values, unit: str) -> Iterator[Item]:
    """Events of streamed values, numbered; a JSON error ends the stream as one bad record."""
    n = 0
    try:
        for n, value in enumerate(values, 1):
            yield from _records_of(value, unit, n)
    except ijson.JSONError as e:
        yield BadRecord(
            unit, n + 1, "invalid JSON", f": {_ijson_message(e)}; the rest of the file is skipped"
        )
    except RecursionError:
        yield BadRecord(
            unit,
            n + 1,
            "nested too deeply",
            f" (over {MAX_DEPTH} levels); the rest of the file is skipped",
        )


def _ijson_message(e: Exception) -> str:
    detail = e.args[0] if e.args else e
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    # The C parser's message draws the spot over several lines; the first one says it.
    return (str(detail).strip().splitlines() or ["(no detail)"])[0]


def _object_records(fh: IO[bytes]) -> Iterator[Item]:
    try:
        kinds = _wrapper_kinds(fh)  # a first pass finds the wrapper, a second streams it
    except ijson.JSONError as e:
        yield BadRecord("file", 0, f"invalid JSON: {_ijson_message(e)}")
        return
    size = fh.tell()
    fh.seek(0)
    if kinds.get("hits") == "start_map" and kinds.get("hits.hits") == "start_array":
        yield from _items(ijson.items(fh, "hits.hits.item", use_float=True), "hit")
    elif kinds.get("_source") == "start_map":
        yield from _items(ijson.items(fh, "_source", use_float=True), "document")
    elif kinds.get("results") == "start_array":
        yield from _items(ijson.items(fh, "results.item", use_float=True), "result")
    elif size > MAX_LINE_BYTES:  # one event, built whole: the line limit applies
        yield BadRecord("document", 1, "document too long", f" (over {MAX_LINE_BYTES:,} bytes)")
    else:  # one event, or one {"result": …}
        yield from _items(ijson.items(fh, "", use_float=True), "document")


_VALUE_EVENTS = frozenset({"start_map", "start_array", "string", "number", "boolean", "null"})
_WRAPPER_KEYS = frozenset({"hits", "_source", "results", "result", "hits.hits"})


def _wrapper_kinds(fh: IO[bytes], first_value_only: bool = False) -> dict[str, str]:
    """The kind of value under each wrapper key of a top-level object (the last one wins, as
    in a parsed dict)."""
    kinds: dict[str, str] = {}
    for prefix, event, _ in ijson.parse(fh, use_float=True, multiple_values=first_value_only):
        if prefix in _WRAPPER_KEYS and event in _VALUE_EVENTS:
            kinds[prefix] = event
            if prefix == "hits":
                kinds.pop("hits.hits", None)
        elif first_value_only and prefix == "" and event == "end_map":
            break
    if first_value_only:
        wrapped = (
            (kinds.get("hits") == "start_map" and kinds.get("hits.hits") == "start_array")
            or kinds.get("_source") == "start_map"
            or kinds.get("results") == "start_array"
        )
        return kinds if wrapped else {}
    return kinds


def _records_of(value, unit: str, number: int) -> Iterator[Item]:
    if _depth(value) > MAX_DEPTH:
        yield _too_deep(unit, number)
        return
    strays: list = []
    for doc in documents_from_json(value, on_stray=strays.append):
        yield _record(doc, number)
    if strays:
        yield BadRecord(unit, number, "not a JSON object", f" (a JSON {_kind(strays[0])})")


def _record(doc: dict, number: int) -> Record:
    # The event's own JSON text lets the prefilter judge streamed documents too.
    return Record(_dumps(doc), doc=doc, line=number)


def _dumps(value: dict) -> bytes | None:
    try:
        return orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return None


# --- Linux audit logs -----------------------------------------------------------------------


def _audit_records(fh: IO[bytes]) -> Iterator[Record]:
    lines = (
        line.decode("utf-8", errors="replace") for line in _lines(fh, None) if line is not _TOO_LONG
    )
    for n, fields in enumerate(auditd.group_records(lines), 1):
        # Audit values arrive hex-encoded; the prefilter reads the decoded fields' JSON.
        yield Record(_dumps(fields), fields, flat=True, line=n)


# --- Windows event logs ---------------------------------------------------------------------


def _evtx_records(path: Path) -> Iterator[Item]:
    import evtx

    try:
        # One thread keeps records in file order.
        parser = evtx.PyEvtxParser(str(path), number_of_threads=1)
        records = iter(parser.records_json())
    except (RuntimeError, OSError, ValueError) as e:
        yield BadRecord("file", 0, "cannot read EVTX file", f": {e}")
        return
    n = errors = 0
    while True:
        n += 1
        try:
            record = next(records)
        except StopIteration:
            return
        except (RuntimeError, OSError, ValueError) as e:  # a damaged chunk or record
            errors += 1
            yield BadRecord(
                "record", n, "damaged EVTX record", f": {str(e).splitlines()[0] if str(e) else e!r}"
            )
            if errors >= MAX_EVTX_ERRORS:
                yield BadRecord(
                    "record",
                    n + 1,
                    "too many damaged EVTX records",
                    "; the rest of the file is skipped",
                )
                return
            continue
        errors = 0
        if record is not None:
            yield Record(record["data"].encode("utf-8"), line=n)


def read_events(path: Path) -> Iterator[Event]:
    """Events of one file, numbered by position, in any format ``read_records`` reads."""
    for index, record in enumerate(read_records(path)):
        yield Event(index, record.fields())
