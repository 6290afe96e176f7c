"""The tenant an audit's exports describe: whose domains are internal, who a recipient really
is, and whether automatic forwarding can leave.

Internal domains are the accepted domains plus the pack's tuning ``internal_domains``;
``allowed_forwarding_targets`` names outside addresses forwarding may use. ``EX:`` legacy DNs
and ``ForwardingAddress`` names are looked up in the recipient exports, where a mail contact
or mail user may carry an outside ``ExternalEmailAddress``. Whether forwarding is effective
comes from the remote domains' ``AutoForwardEnabled`` and the outbound spam policy (chosen by
its rules) ``AutoForwardingMode``: either one blocking blocks.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from t1114.audit.readers import Record
from t1114.audit.recipients import (
    LostValues,
    Recipient,
    parse_recipient,
    parse_recipients,
    split_list,
)


@dataclass
class DirectoryEntry:
    name: str
    kind: str
    addresses: set[str] = field(default_factory=set)
    external_address: str | None = None


@dataclass(frozen=True)
class Target:
    """A recipient after resolution: where mail to it ends up."""

    label: str
    address: str | None
    external: bool | None  # None: cannot be told from the exports
    reason: str


@dataclass(frozen=True)
class Effect:
    """Whether automatic forwarding to a domain can leave the tenant."""

    state: str  # allowed | blocked | ambiguous | unknown
    reasons: tuple[str, ...]


def truthy(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "$true", "on", "enabled"):
        return True
    if text in ("false", "0", "no", "$false", "off", "disabled", ""):
        return False
    return None


def _matches(value: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(value, p.lower()) for p in patterns)


class Tenant:
    def __init__(
        self,
        internal_domains: Iterable[str] = (),
        allowed_targets: Iterable[str] = (),
        admin_accounts: Iterable[str] = (),
        service_accounts: Iterable[str] = (),
    ):
        self.tuned_domains = [d.lower().lstrip("@") for d in internal_domains]
        self.allowed_targets = [a.lower() for a in allowed_targets]
        self.admin_accounts = [a.lower() for a in admin_accounts]
        self.service_accounts = [a.lower() for a in service_accounts]
        self.accepted_domains: set[str] = set()
        self.directory: dict[str, DirectoryEntry] = {}
        self.remote_domains: dict[str, bool | None] = {}
        self.policies: dict[str, dict[str, Any]] = {}
        self.policy_rules: list[dict[str, Any]] = []

    # --- building ------------------------------------------------------------------------
    def add_accepted_domain(self, record: Record) -> None:
        domain = record.first("DomainName", "Name")
        if domain:
            self.accepted_domains.add(str(domain).strip().lower())

    def add_recipient(self, record: Record) -> None:
        name = record.text("Identity", "Name", "PrimarySmtpAddress", "DisplayName")
        kind = record.text("RecipientTypeDetails", "RecipientType").lower()
        entry = DirectoryEntry(name, kind)
        keys: set[str] = set()
        for col in (
            "Identity",
            "Name",
            "Alias",
            "DisplayName",
            "DistinguishedName",
            "Guid",
            "ExchangeGuid",
            "ExternalDirectoryObjectId",
            "UserPrincipalName",
            "WindowsEmailAddress",
            "PrimarySmtpAddress",
            "LegacyExchangeDN",
            "Id",
        ):
            value = record.text(col)
            if value:
                keys.add(value.lower())
        try:
            proxies = parse_recipients(record.get("EmailAddresses"))
            primary = parse_recipient(record.get("PrimarySmtpAddress"))
            external = parse_recipient(record.get("ExternalEmailAddress"))
        except LostValues:
            proxies, primary, external = [], None, None
        for r in proxies + ([primary] if primary else []):
            if r.address:
                entry.addresses.add(r.address)
                keys.add(r.address)
            if r.legacy_dn:
                keys.add(r.legacy_dn)
        legacy = record.get("LegacyExchangeDN")
        if legacy:
            keys.add("ex:" + str(legacy).strip().lower())
        if external and external.address:
            entry.external_address = external.address
            keys.add(external.address)
        for key in keys:
            self.directory.setdefault(key, entry)
            if key.startswith("ex:"):
                self.directory.setdefault(key[3:], entry)

    def add_remote_domain(self, record: Record) -> None:
        domain = str(record.first("DomainName", "Name") or "").strip().lower()
        if domain:
            self.remote_domains[domain] = truthy(record.get("AutoForwardEnabled"))

    def add_policy(self, record: Record) -> None:
        name = str(record.first("Name", "Identity") or "")
        self.policies[name.lower()] = {
            "name": name,
            "mode": str(record.get("AutoForwardingMode") or "").strip(),
            "default": truthy(record.get("IsDefault")) or name.lower() == "default",
        }

    def add_policy_rule(self, record: Record) -> None:
        state = str(record.get("State") or "Enabled").lower()
        try:
            prio = int(record.get("Priority") or 0)
        except (TypeError, ValueError):
            prio = 0
        self.policy_rules.append(
            {
                "name": record.get("Name"),
                "policy": str(record.get("HostedOutboundSpamFilterPolicy") or "").lower(),
                "enabled": state != "disabled",
                "priority": prio,
                "from": [r.address for r in _safe_list(record.get("From")) if r.address],
                "domains": [str(d).lower() for d in _plain_list(record.get("SenderDomainIs"))],
                "groups": _plain_list(record.get("FromMemberOf")),
            }
        )

    # --- judging -------------------------------------------------------------------------
    def is_internal_domain(self, domain: str) -> bool:
        domain = domain.lower()
        if domain in self.accepted_domains:
            return True
        return any(
            domain == d or domain.endswith("." + d) or fnmatch.fnmatchcase(domain, d)
            for d in self.tuned_domains
        )

    def is_allowed_target(self, address: str) -> bool:
        return _matches(address.lower(), self.allowed_targets)

    def is_known_account(self, account: str) -> str | None:
        """'admin' or 'service' when the tuning lists the account."""
        a = account.lower()
        if _matches(a, self.service_accounts):
            return "service"
        if _matches(a, self.admin_accounts):
            return "admin"
        return None

    def lookup(self, key: str) -> DirectoryEntry | None:
        key = key.strip().lower()
        entry = self.directory.get(key)
        if entry is None and "/" in key and not key.startswith("/o="):
            # A canonical name (northwind.example/Users/Partner Drop), as Exchange Server shows
            # ForwardingAddress: the recipient's name is its last part.
            entry = self.directory.get(key.rsplit("/", 1)[1])
        if entry is None and key.startswith("cn="):
            entry = self.directory.get(key[3:].split(",", 1)[0])
        return entry

    def resolve(self, recipient: Recipient) -> Target:
        label = recipient.label()
        entry = None
        for key in (recipient.address, recipient.legacy_dn, recipient.name):
            if key:
                entry = self.lookup(key)
                if entry:
                    break
        if (
            entry is not None
            and entry.external_address
            and not self.is_internal_domain(entry.external_address.split("@")[1])
        ):
            return Target(
                label,
                entry.external_address,
                True,
                f"{label} is the directory's {entry.kind or 'recipient'} '{entry.name}', "
                f"whose external address is {entry.external_address}",
            )
        if recipient.address:
            domain = recipient.address.split("@")[1]
            if self.is_internal_domain(domain):
                return Target(label, recipient.address, False, f"{domain} is an internal domain")
            if entry is not None:
                return Target(
                    label,
                    recipient.address,
                    False,
                    f"{recipient.address} belongs to the directory's "
                    f"{entry.kind or 'recipient'} '{entry.name}'",
                )
            return Target(
                label, recipient.address, True, f"{domain} is not an accepted or internal domain"
            )
        if entry is not None:
            address = next(iter(sorted(entry.addresses)), None)
            return Target(
                label,
                address,
                False,
                f"{label} is the directory's {entry.kind or 'recipient'} '{entry.name}'",
            )
        what = "legacy DN" if recipient.legacy_dn else "name"
        return Target(
            label,
            None,
            None,
            f"the {what} {label} is not in any recipient export (add Get-Recipient output)",
        )

    def _outbound(self, sender: str | None) -> tuple[dict[str, Any] | None, list[str]]:
        notes: list[str] = []
        if not self.policies:
            return None, notes
        sender = (sender or "").lower()
        domain = sender.split("@")[1] if "@" in sender else ""
        for rule in sorted(
            (r for r in self.policy_rules if r["enabled"]), key=lambda r: r["priority"]
        ):
            policy = self.policies.get(rule["policy"])
            if policy is None:
                continue
            if (sender and sender in rule["from"]) or (domain and domain in rule["domains"]):
                return policy, notes
            if rule["groups"]:
                notes.append(
                    f"outbound rule '{rule['name']}' applies policy '{policy['name']}' "
                    f"(AutoForwardingMode {policy['mode']}) to members of "
                    f"{', '.join(map(str, rule['groups']))}, "
                    "which the exports do not list"
                )
        default = next((p for p in self.policies.values() if p["default"]), None)
        return default, notes

    def effect(self, sender: str | None, domain: str | None) -> Effect:
        """Whether automatic forwarding from ``sender`` to ``domain`` leaves the tenant."""
        states, reasons = [], []
        if domain and self.remote_domains:
            match = self._remote_domain(domain.lower())
            if match is None:
                states.append("unknown")
                reasons.append(f"no remote domain covers {domain}")
            else:
                name, enabled = match
                label = "the default remote domain (*)" if name == "*" else f"remote domain {name}"
                if enabled is False:
                    states.append("blocked")
                    reasons.append(f"{label} has AutoForwardEnabled False")
                elif enabled is True:
                    states.append("allowed")
                    reasons.append(f"{label} has AutoForwardEnabled True")
                else:
                    states.append("unknown")
                    reasons.append(f"{label} does not say AutoForwardEnabled")
        else:
            states.append("unknown")
            reasons.append("no Get-RemoteDomain export")
        policy, notes = self._outbound(sender)
        if policy is None:
            states.append("unknown")
            reasons.append(
                "no Get-HostedOutboundSpamFilterPolicy export"
                if not self.policies
                else "no outbound spam policy applies (no default policy exported)"
            )
        else:
            mode = policy["mode"].lower()
            where = (
                f"outbound spam policy '{policy['name']}' "
                f"has AutoForwardingMode {policy['mode'] or '(empty)'}"
            )
            if mode == "off":
                states.append("blocked")
            elif mode == "on":
                states.append("allowed")
            else:
                states.append("ambiguous")
                where += " (ambiguous: Microsoft decides, and has changed what Automatic means)"
            reasons.append(where)
            for note in notes:
                states.append("ambiguous")
                reasons.append(note)
        if "blocked" in states:
            state = "blocked"
        elif "ambiguous" in states:
            state = "ambiguous"
        elif all(s == "allowed" for s in states):
            state = "allowed"
        else:
            state = "unknown"
        return Effect(state, tuple(reasons))

    def _remote_domain(self, domain: str) -> tuple[str, bool | None] | None:
        if domain in self.remote_domains:
            return domain, self.remote_domains[domain]
        best = None
        for name, enabled in self.remote_domains.items():
            if name.startswith("*.") and (domain.endswith(name[1:]) or domain == name[2:]):
                if best is None or len(name) > len(best[0]):
                    best = (name, enabled)
        if best:
            return best
        if "*" in self.remote_domains:
            return "*", self.remote_domains["*"]
        return None


def _plain_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return split_list(str(value))


def _safe_list(value: Any) -> list[Recipient]:
    try:
        return parse_recipients(value)
    except LostValues:
        return []
