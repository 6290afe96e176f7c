"""Checks: one function per export kind, each turning records into findings.

A check yields findings, and ``AuditInputError`` for a row it cannot use (the rest of the file
is still checked). New kinds register here, beside the shape that recognises them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from t1114.audit.checks import exchange, google, graph
from t1114.audit.checks.base import Context
from t1114.audit.errors import AuditInputError
from t1114.audit.findings import Finding

Check = Callable[[Context], Iterator["Finding | AuditInputError"]]

CHECKS: dict[str, Check] = {
    "exchange.inbox_rule": exchange.inbox_rules,
    "exchange.mailbox": exchange.mailboxes,
    "exchange.transport_rule": exchange.transport_rules,
    "exchange.remote_domain": exchange.remote_domains,
    "exchange.outbound_spam_policy": exchange.outbound_policies,
    "exchange.mailbox_permission": exchange.mailbox_permissions,
    "exchange.recipient_permission": exchange.recipient_permissions,
    "exchange.mailbox_folder_permission": exchange.folder_permissions,
    "exchange.management_role_assignment": exchange.role_assignments,
    "graph.message_rule": graph.message_rules,
    "graph.app_role_assignment": graph.app_role_assignments,
    "gmail.auto_forwarding": google.auto_forwarding,
    "gam.forwards": google.auto_forwarding,
    "gmail.forwarding_address": google.forwarding_addresses,
    "gmail.filter": google.filters,
    "gam.filters": google.filters,
}

__all__ = ["CHECKS", "Context"]
