"""An audit from start to end: find the files, read and recognise each, build the tenant from
the directory exports, run every check, and collect the problems beside the findings.

A file that cannot be read, or whose shape is unknown, is reported and left out; the other
files are still audited. Directory exports (accepted domains, recipients, mailboxes, remote
domains, outbound policies and their rules) are read before any check, whatever order the
files come in, so resolution never depends on file order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sigma.pipelines.t1114.tuning import tuning_defaults
from t1114.audit.checks import CHECKS, Context
from t1114.audit.errors import AuditInputError
from t1114.audit.findings import Finding, sort_key
from t1114.audit.readers import Table, read_table
from t1114.audit.shapes import Shape, recognise
from t1114.audit.tenant import Tenant
from t1114.tuning import load_tuning

# In a folder, files of these kinds are read (an explicit path is read whatever its name).
FOLDER_SUFFIXES = {".csv", ".json", ".jsonl", ".ndjson", ".xml", ".clixml", ".txt"}
TENANT_FEEDS = {
    "exchange.accepted_domain": Tenant.add_accepted_domain,
    "exchange.recipient": Tenant.add_recipient,
    "exchange.mailbox": Tenant.add_recipient,
    "exchange.remote_domain": Tenant.add_remote_domain,
    "exchange.outbound_spam_policy": Tenant.add_policy,
    "exchange.outbound_spam_rule": Tenant.add_policy_rule,
}


@dataclass
class SourceFile:
    path: str
    format: str | None
    kind: str | None
    source: str | None
    records: int


@dataclass
class AuditResult:
    findings: list[Finding]
    errors: list[AuditInputError]
    files: list[SourceFile] = field(default_factory=list)


def tenant_from_tuning(tuning_file: Path | None) -> Tenant:
    values = tuning_defaults()
    if tuning_file is not None:
        values.update(load_tuning(tuning_file))
    return Tenant(
        values["internal_domains"],
        values["allowed_forwarding_targets"],
        values["admin_accounts"],
        values["service_accounts"],
    )


def collect(paths: Iterable[Path]) -> tuple[list[Path], list[AuditInputError]]:
    files, errors = [], []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in FOLDER_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                errors.append(AuditInputError(path, "no export files in the folder"))
            files += found
        elif path.is_file():
            files.append(path)
        else:
            errors.append(AuditInputError(path, "no such file or folder"))
    return files, errors


def audit_paths(paths: Iterable[Path], tenant: Tenant) -> AuditResult:
    files, errors = collect(paths)
    tables: list[tuple[Table, Shape]] = []
    sources = []
    for path in files:
        try:
            table = read_table(path)
            errors += table.problems
            shape = recognise(table)
        except AuditInputError as e:
            errors.append(e)
            sources.append(SourceFile(str(path), None, None, None, 0))
            continue
        tables.append((table, shape))
        sources.append(
            SourceFile(str(path), table.format, shape.kind, shape.source, len(table.records))
        )
    for table, shape in tables:
        feed = TENANT_FEEDS.get(shape.kind)
        if feed is not None:
            for record in table.records:
                feed(tenant, record)
    findings: list[Finding] = []
    for table, shape in tables:
        check = CHECKS.get(shape.kind)
        if check is None:
            continue
        for item in check(Context(table, shape, tenant)):
            if isinstance(item, AuditInputError):
                errors.append(item)
            else:
                findings.append(item)
    findings.sort(key=sort_key)
    return AuditResult(findings, errors, sources)
