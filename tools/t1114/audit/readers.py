"""Exports as records: CSV from Export-Csv, JSON from ConvertTo-Json or an API, CLIXML.

The format is told from the content (a ``<`` opens CLIXML, ``{`` or ``[`` JSON, anything
else is CSV), the encoding from the byte order mark (UTF-8, UTF-16 LE/BE, as Windows
PowerShell's ``-Encoding Unicode`` writes) or, without one, from the NUL bytes UTF-16 leaves.
Every record keeps the line it starts on, so a message can point at it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from t1114.audit.errors import AuditInputError

MAX_BYTES = 64 * 1024 * 1024
# Arrays an API or ConvertTo-Json wraps the records in: Graph's value, Gmail's filter and
# forwardingAddresses lists.
WRAPPER_KEYS = ("value", "filter", "forwardingAddresses", "items", "records")
CLIXML_NS = "{http://schemas.microsoft.com/powershell/2004/04}"


@dataclass
class Record:
    fields: dict[str, Any]
    line: int | None
    _lower: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._lower = {k.lower(): k for k in self.fields}

    def has(self, name: str) -> bool:
        return name.lower() in self._lower

    def get(self, name: str, default: Any = None) -> Any:
        key = self._lower.get(name.lower())
        return self.fields[key] if key is not None else default

    def first(self, *names: str) -> Any:
        """The first of ``names`` with a non-empty value."""
        for name in names:
            value = self.get(name)
            if value not in (None, "", [], {}):
                return value
        return None

    def text(self, *names: str) -> str:
        """The first non-empty of ``names`` as text. ConvertTo-Json renders an Exchange identity
        (ADObjectId) as an object and booleans as true/false; this gives its name either way."""
        value = self.first(*names)
        if isinstance(value, dict):
            lower = {k.lower(): v for k, v in value.items()}
            value = next(
                (
                    lower[k]
                    for k in ("name", "displayname", "distinguishedname", "id", "value")
                    if lower.get(k) not in (None, "")
                ),
                "",
            )
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return "" if value is None else str(value).strip()

    def pick(self, *names: str) -> dict[str, Any]:
        """The named columns as the export spells them, for a finding's evidence."""
        out = {}
        for name in names:
            key = self._lower.get(name.lower())
            if key is not None:
                out[key] = self.fields[key]
        return out


@dataclass
class Table:
    path: Path
    format: str
    records: list[Record]
    # What the file says about itself beside the records: Export-Csv's #TYPE, CLIXML type
    # names, the scalar keys of a JSON wrapper such as Graph's @odata.context.
    context: dict[str, Any] = field(default_factory=dict)
    # Rows that could not be used; the rest of the file still is.
    problems: list[AuditInputError] = field(default_factory=list)

    @property
    def columns(self) -> set[str]:
        cols: set[str] = set()
        for r in self.records:
            cols.update(k.lower() for k in r.fields)
        return cols


def decode(data: bytes, path: Path) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, data = "utf-8", data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif len(data) >= 2 and data[1:2] == b"\x00" and data[0:1] != b"\x00":
        encoding = "utf-16-le"
    elif len(data) >= 2 and data[0:1] == b"\x00" and data[1:2] != b"\x00":
        encoding = "utf-16-be"
    else:
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise AuditInputError(
            path, f"not {encoding.upper()} text ({e.reason} at byte {e.start})"
        ) from None


def read_table(path: Path) -> Table:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise AuditInputError(path, f"file is {size} bytes; the limit is {MAX_BYTES}")
        data = path.read_bytes()
    except OSError as e:
        raise AuditInputError(path, f"cannot read file: {e.strerror or e}") from None
    text = decode(data, path)
    stripped = text.lstrip()
    if not stripped:
        raise AuditInputError(path, "empty file")
    if stripped.startswith("<"):
        return read_clixml(text, path)
    if stripped[0] in "{[":
        return read_json(text, path)
    return read_csv(text, path)


# --- CSV ------------------------------------------------------------------------------------
def read_csv(text: str, path: Path) -> Table:
    lines = text.splitlines(keepends=True)
    context: dict[str, Any] = {}
    skip = 0
    if lines and lines[0].startswith("#TYPE"):
        context["type_names"] = [lines[0][len("#TYPE") :].strip()]
        skip = 1
    delimiter = _delimiter(lines[skip] if len(lines) > skip else "")
    reader = csv.reader(io.StringIO("".join(lines[skip:]), newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise AuditInputError(path, "no header row", skip + 1) from None
    except csv.Error as e:
        raise AuditInputError(path, f"broken CSV header: {e}", skip + 1) from None
    header = [h.strip() for h in header]
    if len(header) < 2 or any(not h for h in header):
        raise AuditInputError(
            path,
            "not a CSV export (the header names fewer than two columns, or an empty one)",
            skip + 1,
        )
    records: list[Record] = []
    problems: list[AuditInputError] = []
    start = reader.line_num + skip + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            problems.append(AuditInputError(path, f"broken CSV row: {e}", start))
            break
        line = start
        start = reader.line_num + skip + 1
        if not row or row == [""]:
            continue
        if len(row) != len(header):
            problems.append(
                AuditInputError(
                    path, f"broken row: {len(row)} fields where the header has {len(header)}", line
                )
            )
            continue
        records.append(
            Record({h: (v if v != "" else None) for h, v in zip(header, row, strict=True)}, line)
        )
    return Table(path, "csv", records, context, problems)


def _delimiter(header: str) -> str:
    """``,`` unless the header is split by ``;`` (Export-Csv -UseCulture in most of Europe) or a
    tab, counted outside quotes."""
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return max(counts, key=lambda d: (counts[d], d == ","))


# --- JSON -----------------------------------------------------------------------------------
def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _array_elements(text: str, start: int, path: Path) -> list[tuple[Any, int | None]]:
    """The elements of the array opening at ``start``, each with the line it starts on."""
    decoder = json.JSONDecoder()
    out: list[tuple[Any, int | None]] = []
    i = start + 1
    ws = re.compile(r"[\s,]*")
    while True:
        i = ws.match(text, i).end()  # type: ignore[union-attr]  # [\s,]* matches anywhere
        if i >= len(text) or text[i] == "]":
            return out
        value, end = decoder.raw_decode(text, i)
        out.append((value, _line_at(text, i)))
        i = end


def read_json(text: str, path: Path) -> Table:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data":
            return _read_json_lines(text, path)
        raise AuditInputError(path, f"broken JSON: {e.msg} (column {e.colno})", e.lineno) from None
    context: dict[str, Any] = {}
    items: list[tuple[Any, int | None]]
    if isinstance(doc, list):
        items = _array_elements(text, text.index("["), path)
    elif isinstance(doc, dict):
        wrapper = next((k for k in WRAPPER_KEYS if isinstance(doc.get(k), list)), None)
        if wrapper is not None:
            context = {
                k: v for k, v in doc.items() if k != wrapper and not isinstance(v, (list, dict))
            }
            m = re.search(r'"' + re.escape(wrapper) + r'"\s*:\s*\[', text)
            items = (
                _array_elements(text, m.end() - 1, path) if m else [(v, None) for v in doc[wrapper]]
            )
        else:
            items = [(doc, _line_at(text, text.index("{")))]
    else:
        raise AuditInputError(path, "JSON is neither an object nor an array of objects", 1)
    return Table(path, "json", _records(items, path), context)


def _read_json_lines(text: str, path: Path) -> Table:
    items: list[tuple[Any, int | None]] = []
    problems: list[AuditInputError] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append((json.loads(line), n))
        except json.JSONDecodeError as e:
            problems.append(
                AuditInputError(path, f"broken JSON line: {e.msg} (column {e.colno})", n)
            )
    records = _records(items, path, problems)
    return Table(path, "jsonl", records, {}, problems)


def _records(
    items: list[tuple[Any, int | None]], path: Path, problems: list[AuditInputError] | None = None
) -> list[Record]:
    records = []
    for value, line in items:
        if not isinstance(value, dict):
            err = AuditInputError(path, f"expected an object, found {type(value).__name__}", line)
            if problems is None:
                raise err
            problems.append(err)
            continue
        records.append(Record(value, line))
    return records


# --- CLIXML ---------------------------------------------------------------------------------
class _Node:
    __slots__ = ("tag", "attrs", "children", "text", "line")

    def __init__(self, tag: str, attrs: dict[str, str], line: int):
        self.tag, self.attrs, self.line = tag, attrs, line
        self.children: list[_Node] = []
        self.text = ""

    def child(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)


def _parse_xml(text: str, path: Path) -> _Node:
    """A tree from expat with line numbers; DTDs and entity declarations are refused, so an
    entity-expansion bomb is never expanded (CLIXML never declares either)."""
    parser = expat.ParserCreate(namespace_separator=None)
    root = _Node("#document", {}, 0)
    stack = [root]

    def refuse(*_args):
        raise AuditInputError(
            path,
            "XML declares a DTD or entities; CLIXML has none, refusing to expand them",
            parser.CurrentLineNumber,
        )

    def start(tag, attrs):
        node = _Node(tag.split(":")[-1], attrs, parser.CurrentLineNumber)
        stack[-1].children.append(node)
        stack.append(node)

    def end(_tag):
        stack.pop()

    def data(chunk):
        stack[-1].text += chunk

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        parser.Parse(text, True)
    except expat.ExpatError as e:
        raise AuditInputError(
            path, f"broken XML: {expat.errors.messages[e.code]}", e.lineno
        ) from None
    return root


_SCALARS = {
    "S",
    "I32",
    "I64",
    "U32",
    "U64",
    "I16",
    "U16",
    "By",
    "SB",
    "Db",
    "D",
    "Sg",
    "G",
    "DT",
    "TS",
    "URI",
    "XD",
    "SBK",
    "SS",
    "PR",
    "C",
    "Version",
}
_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(s: str) -> str:
    return _UNESCAPE.sub(lambda m: chr(int(m.group(1), 16)), s)


def _value(node: _Node, types: dict[str, list[str]]) -> Any:
    tag = node.tag
    if tag == "Nil":
        return None
    if tag == "B":
        return node.text.strip().lower() == "true"
    if tag in ("I32", "I64", "U32", "U64", "I16", "U16", "By", "SB"):
        try:
            return int(node.text.strip())
        except ValueError:
            return node.text
    if tag in _SCALARS:
        return _unescape(node.text)
    if tag == "Ref":
        return None
    if tag == "Obj":
        for container in ("LST", "IE", "STK", "QUE"):
            c = node.child(container)
            if c is not None:
                return [_value(x, types) for x in c.children]
        rendered = node.child("ToString")
        if rendered is not None:  # an enum, or an identity rendered as its name
            return _unescape(rendered.text)
        props = _props(node, types)
        if props:
            return props
        scalars = [c for c in node.children if c.tag in _SCALARS or c.tag == "B"]
        return _value(scalars[0], types) if scalars else None
    return node.text


def _props(node: _Node, types: dict[str, list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for container in ("Props", "MS"):
        c = node.child(container)
        if c is None:
            continue
        for p in c.children:
            name = p.attrs.get("N")
            if name:
                out[_unescape(name)] = _value(p, types)
    return out


def _type_names(node: _Node, types: dict[str, list[str]]) -> list[str]:
    tn = node.child("TN")
    if tn is not None:
        names = [c.text.strip() for c in tn.children if c.tag == "T"]
        types[tn.attrs.get("RefId", "")] = names
        return names
    ref = node.child("TNRef")
    return types.get(ref.attrs.get("RefId", ""), []) if ref is not None else []


def read_clixml(text: str, path: Path) -> Table:
    root = _parse_xml(text, path)
    objs = root.child("Objs")
    if objs is None:
        raise AuditInputError(path, "XML but not CLIXML (no <Objs> element from Export-Clixml)", 1)
    types: dict[str, list[str]] = {}
    records = []
    type_names: list[str] = []
    for obj in objs.children:
        if obj.tag != "Obj":
            continue
        names = _type_names(obj, types)
        if names and names[0] not in type_names:
            type_names.append(names[0])
        # Props/MS before nested TN definitions are read would lose TNRefs: walk once for types.
        _collect_types(obj, types)
        props = _props(obj, types)
        if props:
            records.append(Record(props, obj.line))
    return Table(path, "clixml", records, {"type_names": type_names})


def _collect_types(node: _Node, types: dict[str, list[str]]) -> None:
    for c in node.children:
        if c.tag == "TN":
            types[c.attrs.get("RefId", "")] = [t.text.strip() for t in c.children if t.tag == "T"]
        _collect_types(c, types)
