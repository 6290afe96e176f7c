"""Recipient values in every rendering the exports hold.

Exchange renders a recipient as ``"Name" [SMTP:x@y]``, ``"Name" [EX:/o=.../cn=...]``, a bare
address, an ``smtp:`` proxy address, a legacy DN, or a name or canonical name
(``ForwardingAddress``); Graph as ``{"emailAddress": {"name", "address"}}``; lists come as JSON
arrays, CLIXML lists, or one cell joined with ``;`` or ``,`` (optionally in ``{...}`` as
Format-Table prints them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

EMAIL = re.compile(r"^[^@\s<>\"\[\];,]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]{2,}$")
BRACKETED = re.compile(
    r'^\s*(?:"(?P<qname>[^"]*)"|(?P<name>[^"\[]*?))\s*\[(?P<type>[A-Za-z0-9]+):(?P<value>[^\]]+)\]\s*$'
)
ANGLE = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<value>[^>]+)>\s*$')
PREFIX = re.compile(r"^(?P<type>smtp|ex|x500|sip|mailto):(?P<value>.+)$", re.I)
# Export-Csv of a multi-valued property without -join writes the .NET type, not the values.
TYPE_NAME = re.compile(r"^(System\.|Microsoft\.|Deserialized\.)[\w.`\[\]]+$")


class LostValues(ValueError):
    """The cell holds a .NET type name: the export lost the values."""


@dataclass(frozen=True)
class Recipient:
    raw: str
    display: str | None = None
    address: str | None = None  # an SMTP address, lower case
    legacy_dn: str | None = None  # an EX: / X500 legacy DN, lower case
    name: str | None = None  # a name, alias or identity to look up in the directory

    @property
    def domain(self) -> str | None:
        return self.address.rsplit("@", 1)[1] if self.address else None

    def label(self) -> str:
        """How a finding names it: the address when there is one, else as the export wrote it."""
        return self.address or self.raw


def parse_recipient(value: Any) -> Recipient | None:
    """One recipient (a single-valued property such as ForwardingSmtpAddress)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return _from_mapping(value)
    text = str(value).strip()
    if not text or text in ("$null", "{}", "null"):
        return None
    if TYPE_NAME.match(text):
        raise LostValues(text)
    m = BRACKETED.match(text)
    if m:
        return _typed(text, m.group("type"), m.group("value"), m.group("qname") or m.group("name"))
    m = ANGLE.match(text)
    if m and ("@" in m.group("value") or ":" in m.group("value")):
        inner = parse_recipient(m.group("value"))
        if inner is not None:
            return Recipient(
                text,
                (m.group("name") or "").strip() or None,
                inner.address,
                inner.legacy_dn,
                inner.name,
            )
    m = PREFIX.match(text)
    if m:
        return _typed(text, m.group("type"), m.group("value"), None)
    if text.lower().startswith("/o="):
        return Recipient(text, legacy_dn=text.lower())
    if EMAIL.match(text):
        return Recipient(text, address=text.lower())
    return Recipient(text, name=text)


def _typed(raw: str, kind: str, value: str, display: str | None) -> Recipient:
    kind, value = kind.lower(), value.strip()
    display = display.strip() if display and display.strip() else None
    if kind in ("ex", "x500"):
        return Recipient(raw, display, legacy_dn=value.lower())
    if kind in ("smtp", "mailto") and EMAIL.match(value):
        return Recipient(raw, display, address=value.lower())
    return Recipient(raw, display, name=value)


def _from_mapping(value: dict) -> Recipient | None:
    lower = {k.lower(): v for k, v in value.items()}
    inner = lower.get("emailaddress")
    if isinstance(inner, dict):  # Graph's recipient
        lower = {k.lower(): v for k, v in inner.items()}
    address = (
        lower.get("address")
        or lower.get("primarysmtpaddress")
        or (inner if isinstance(inner, str) else None)
    )
    name = lower.get("name") or lower.get("displayname")
    raw = str(address or name or value)
    if address:
        r = parse_recipient(address)
        if r is not None:
            return Recipient(raw, name, r.address, r.legacy_dn, r.name)
    dn = lower.get("distinguishedname") or lower.get("identity")
    if name or dn:
        return Recipient(raw, name, name=str(name or dn))
    return None


def split_list(text: str) -> list[str]:
    """A joined cell split on ``;`` or ``,`` outside quotes and brackets."""
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    items: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "[<":
            depth += 1
        elif not quoted and ch in "]>":
            depth = max(0, depth - 1)
        if ch in ";," and not quoted and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(ch)
    items.append("".join(current))
    return [i.strip() for i in items if i.strip()]


def parse_recipients(value: Any) -> list[Recipient]:
    """Every recipient of a multi-valued property (ForwardTo, BlindCopyTo, forwardTo...)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            out.extend(parse_recipients(item))
        return out
    if isinstance(value, dict):
        r = _from_mapping(value)
        return [r] if r else []
    text = str(value).strip()
    if TYPE_NAME.match(text):
        raise LostValues(text)
    out = []
    for item in split_list(text):
        r = parse_recipient(item)
        if r is not None:
            out.append(r)
    return out
