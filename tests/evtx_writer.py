"""A minimal Windows event log (.evtx) writer, so tests can make their own EVTX files.

Written for this pack from the public description of the format (file header, 64 KiB chunks,
records of binary XML). Each record is one template instance whose definition is inlined in
the record and holds the whole event as static XML (no substitutions): the simplest layout
real parsers accept. One chunk only, so a file holds a few dozen small events; enough for
tests, never for production.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from pathlib import Path

CHUNK_SIZE = 1 << 16
CHUNK_HEADER = 512
FILE_HEADER = 4096


def event_xml(event: dict) -> tuple:
    """An evtx-style JSON event ({"System": …, "EventData": {name: text}}) as an element tree
    (name, attributes, children or text)."""
    system = []
    for name, value in event["System"].items():
        if isinstance(value, dict):
            attrs = list(value.get("#attributes", {}).items())
            system.append((name, attrs, value.get("#text", [])))
        else:
            system.append((name, [], value))
    data = [("Data", [("Name", name)], text) for name, text in event.get("EventData", {}).items()]
    return (
        "Event",
        [("xmlns", "http://schemas.microsoft.com/win/2004/08/events/event")],
        [("System", [], system), ("EventData", [], data)],
    )


class _Chunk:
    def __init__(self):
        self.buf = bytearray(CHUNK_HEADER)

    def pos(self) -> int:
        return len(self.buf)

    def put(self, fmt: str, *values) -> int:
        at = self.pos()
        self.buf += struct.pack("<" + fmt, *values)
        return at

    def patch(self, at: int, fmt: str, value) -> None:
        struct.pack_into("<" + fmt, self.buf, at, value)

    def utf16(self, text: str) -> None:
        data = text.encode("utf-16-le")
        self.put("H", len(data) // 2)
        self.buf += data

    def name(self, text: str) -> None:
        # An offset to the name, here the very next bytes: the name is inlined.
        self.put("I", self.pos() + 4)
        units = text.encode("utf-16-le")
        hashed = 0
        for (unit,) in struct.iter_unpack("<H", units):
            hashed = (hashed * 65599 + unit) & 0xFFFFFFFF
        self.put("IHH", 0, hashed & 0xFFFF, len(units) // 2)
        self.buf += units + b"\x00\x00"

    def value(self, text: str) -> None:
        self.put("BB", 0x05, 0x01)  # value token, string type
        self.utf16(text)

    def element(self, node: tuple) -> None:
        name, attrs, content = node
        self.put("B", 0x41 if attrs else 0x01)
        self.put("H", 0xFFFF)  # dependency identifier: none
        size_at = self.put("I", 0)
        self.name(name)
        if attrs:
            attrs_at = self.put("I", 0)
            for i, (attr, text) in enumerate(attrs):
                self.put("B", 0x46 if i < len(attrs) - 1 else 0x06)
                self.name(attr)
                self.value(str(text))
            self.patch(attrs_at, "I", self.pos() - attrs_at - 4)
        if content == [] or content is None:
            self.put("B", 0x03)  # close empty element
        else:
            self.put("B", 0x02)
            if isinstance(content, list):
                for child in content:
                    self.element(child)
            else:
                self.value(str(content))
            self.put("B", 0x04)
        self.patch(size_at, "I", self.pos() - size_at - 4)

    def record(self, number: int, written: dt.datetime, node: tuple) -> int:
        start = self.put("I", 0x00002A2A)
        size_at = self.put("I", 0)
        filetime = int((written.timestamp() + 11644473600) * 10_000_000)
        self.put("QQ", number, filetime)
        self.buf += bytes([0x0F, 0x01, 0x01, 0x00])  # fragment header
        self.put("BBI", 0x0C, 0x01, number)  # template instance, template id
        self.put("I", self.pos() + 4)  # the definition follows inline
        self.put("I", 0)  # next template
        self.buf += struct.pack("<I", number) + bytes(12)  # template GUID
        data_at = self.put("I", 0)
        self.buf += bytes([0x0F, 0x01, 0x01, 0x00])
        self.element(node)
        self.put("B", 0x00)  # end of template
        self.patch(data_at, "I", self.pos() - data_at - 4)
        self.put("I", 0)  # no substitutions
        self.put("B", 0x00)  # end of record data
        size = self.pos() - start + 4
        self.put("I", size)
        self.patch(size_at, "I", size)
        return start


def write_evtx(path: Path, events: list[dict], start: dt.datetime | None = None) -> None:
    chunk = _Chunk()
    written = start or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    last = CHUNK_HEADER
    for number, event in enumerate(events, 1):
        last = chunk.record(number, written + dt.timedelta(seconds=number), event_xml(event))
    free = chunk.pos()
    if free > CHUNK_SIZE:
        raise ValueError("events do not fit one chunk")
    n = len(events)
    header = bytearray(CHUNK_HEADER)
    struct.pack_into("<8sQQQQIII", header, 0, b"ElfChnk\x00", 1, n, 1, n, 128, last, free)
    struct.pack_into("<I", header, 52, zlib.crc32(chunk.buf[CHUNK_HEADER:free]))
    struct.pack_into(
        "<I", header, 124, zlib.crc32(bytes(header[:120]) + bytes(header[128:CHUNK_HEADER]))
    )
    body = bytes(header) + bytes(chunk.buf[CHUNK_HEADER:]) + bytes(CHUNK_SIZE - free)
    file_header = bytearray(FILE_HEADER)
    struct.pack_into(
        "<8sQQQIHHHH", file_header, 0, b"ElfFile\x00", 0, 0, n + 1, 128, 1, 3, FILE_HEADER, 1
    )
    struct.pack_into("<I", file_header, 124, zlib.crc32(bytes(file_header[:120])))
    Path(path).write_bytes(bytes(file_header) + body)
