"""Linux audit logs: raw ``key=value`` records grouped into one event per audit event.

The kernel writes one audit event as several records (SYSCALL, EXECVE, CWD, PATH, PROCTITLE,
...) that share ``msg=audit(<epoch>:<serial>)``. Sigma's auditd rules name the records'
fields (``type``, ``key``, ``exe``, ``comm``, ``name``, ``a0``...), so an event keeps them:
a field that several records carry (``type``, or ``name`` of two PATH items) becomes a
multivalue field, as Elastic's auditd_manager keeps one document per audit event.

Values are read the way ``ausearch -i`` shows them: quotes are removed, and the fields auditd
hex-encodes when they hold spaces or control characters (``proctitle``, ``name``, ``cwd``,
``exe``, ``comm``, ``key``, EXECVE arguments) are decoded, NUL separators of ``proctitle``
becoming spaces. The enriched format's interpreted fields (after the 0x1D separator, upper
case: ``UID="alice"``) are kept under their own names. Each event also gets ``msg``
(``audit(1732191600.123:4410)``) and ``timestamp`` (the epoch seconds), and ``node`` when
the log carries it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

RECORD = re.compile(
    r"^(?:node=(?P<node>\S+)\s+)?type=(?P<type>\S+)\s+msg=audit\((?P<ts>\d+(?:\.\d+)?):(?P<serial>\d+)\):\s?(?P<body>.*)$"
)
_PAIR = re.compile(r"([A-Za-z_][\w\[\]-]*)=('[^']*'|\"[^\"]*\"|\S*)")
_HEX = re.compile(r"(?:[0-9A-F]{2})+")
_ENCODED = {"proctitle", "name", "cwd", "exe", "comm", "key", "data", "old-chardev", "new-chardev"}
_EXECVE_ARG = re.compile(r"a\d+(?:\[\d+\])?")
_ENRICHED_SEPARATOR = "\x1d"


def is_record(line: str) -> bool:
    return RECORD.match(line.strip()) is not None


def _decode(value: str, nul_as_space: bool) -> str:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return value
    text = raw.decode("utf-8", errors="replace")
    return text.replace("\x00", " ").strip() if nul_as_space else text


def _value(record_type: str, key: str, raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    encoded = key in _ENCODED or (record_type == "EXECVE" and _EXECVE_ARG.fullmatch(key))
    if encoded and _HEX.fullmatch(raw):
        return _decode(raw, nul_as_space=key == "proctitle")
    return raw


def parse_record(line: str) -> tuple[tuple[str, str], dict[str, list[str]]] | None:
    """(event key, fields of the record) of one raw line, or None if it is no audit record."""
    m = RECORD.match(line.strip())
    if m is None:
        return None
    record_type = m["type"]
    fields: dict[str, list[str]] = {"type": [record_type]}
    body = m["body"].replace(_ENRICHED_SEPARATOR, " ")
    for key, raw in _PAIR.findall(body):
        if key == "msg" and raw.startswith("'"):
            # User-space records (USER_CMD, USER_LOGIN, ...) nest their fields in msg='...'.
            for inner_key, inner_raw in _PAIR.findall(raw[1:-1]):
                fields.setdefault(inner_key, []).append(_value(record_type, inner_key, inner_raw))
            continue
        fields.setdefault(key, []).append(_value(record_type, key, raw))
    if record_type == "EXECVE":
        _join_long_arguments(fields)
    event_key = (m["node"] or "", f"{m['ts']}:{m['serial']}")
    fields["msg"] = [f"audit({m['ts']}:{m['serial']})"]
    fields["timestamp"] = [m["ts"]]
    if m["node"]:
        fields["node"] = [m["node"]]
    return event_key, fields


def _join_long_arguments(fields: dict[str, list[str]]) -> None:
    """Arguments longer than auditd's record limit arrive as a<n>[0], a<n>[1], ..."""
    pieces: dict[str, list[tuple[int, str]]] = {}
    for key in list(fields):
        m = re.fullmatch(r"(a\d+)\[(\d+)\]", key)
        if m:
            pieces.setdefault(m[1], []).extend((int(m[2]), v) for v in fields.pop(key))
    for arg, parts in pieces.items():
        fields[arg] = ["".join(v for _, v in sorted(parts))]
        fields.pop(f"{arg}_len", None)


_SINGLE = {"msg", "timestamp", "node"}


def group_records(lines: Iterable[str]) -> Iterator[dict]:
    """One field dictionary per audit event, in the order events start; EOE records end
    nothing more than the grouping already does and are dropped."""
    events: dict[tuple[str, str], dict[str, list[str]]] = {}
    for line in lines:
        parsed = parse_record(line)
        if parsed is None:
            continue
        key, fields = parsed
        if fields["type"] == ["EOE"]:
            continue
        event = events.setdefault(key, {})
        for name, values in fields.items():
            if name in _SINGLE and name in event:
                continue
            event.setdefault(name, []).extend(values)
    for event in events.values():
        yield {name: values[0] if len(values) == 1 else values for name, values in event.items()}
