"""A rule compiled for one target: what the build writes, packagers package and the query
checks parse. Its own module, so that packagers and checks need not import the targets."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CompiledQuery:
    rule_id: str
    rule_name: str
    target: str
    language: str
    extension: str
    text: str  # the queries, separated by blank lines
    fields: tuple[str, ...]
    extra: dict = field(default_factory=dict)
    # Usually one query; an any-order temporal correlation on Elastic is one EQL sequence
    # per order of its rules, each its own detection rule.
    queries: tuple[str, ...] = ()
