"""The audit as text, JSON Lines or CSV (the HTML report is ``html``), and writing it to a
file all at once."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections import Counter
from pathlib import Path

from t1114.audit.findings import MITIGATION, SEVERITIES
from t1114.audit.run import AuditResult
from t1114.errors import PackError

CSV_COLUMNS = (
    "id",
    "severity",
    "finding",
    "object",
    "mailbox",
    "external_target",
    "technique",
    "mitigation",
    "source_file",
    "line",
    "summary",
    "reasons",
    "fix",
    "evidence",
    "new",
)


def counts(result: AuditResult) -> Counter:
    return Counter(f.severity for f in result.findings)


def summary_line(result: AuditResult) -> str:
    c = counts(result)
    by = ", ".join(f"{c[s]} {s}" for s in reversed(SEVERITIES) if c[s]) or "none"
    files = sum(1 for s in result.files if s.kind)
    text = f"{len(result.findings)} findings ({by}) in {files} exports"
    if result.errors:
        text += f"; {len(result.errors)} input problems"
    return text


def text(result: AuditResult, resolved: list[dict] | None = None) -> str:
    out = [f"t1114 audit ({MITIGATION} Audit): {summary_line(result)}", ""]
    for f in result.findings:
        new = " NEW" if f.new else ""
        target = f" -> {f.external_target}" if f.external_target else ""
        where = f"{f.source_file}:{f.line}" if f.line else f.source_file
        out.append(f"[{f.severity.upper()}]{new} {f.finding} {f.technique}: {f.object}{target}")
        out.append(f"    {f.summary}  ({where})")
        for reason in f.reasons:
            out.append(f"    - {reason}")
        out.extend("    fix: " + line for line in f.fix.splitlines())
        out.append("")
    if resolved:
        out.append(f"resolved since the baseline ({len(resolved)}):")
        out.extend(
            f"  {d.get('severity', '?')} {d.get('finding', '?')}: {d.get('object', '?')}"
            for d in resolved
        )
        out.append("")
    if result.errors:
        out.append("input problems:")
        out.extend(f"  {e}" for e in result.errors)
        out.append("")
    return "\n".join(out) + "\n"


def jsonl(result: AuditResult, resolved: list[dict] | None = None) -> str:
    return "".join(
        json.dumps(f.as_dict(), ensure_ascii=False, sort_keys=False) + "\n" for f in result.findings
    )


def csv_text(result: AuditResult, resolved: list[dict] | None = None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for f in result.findings:
        d = f.as_dict()
        d["reasons"] = "; ".join(d["reasons"])
        d["evidence"] = json.dumps(d["evidence"], ensure_ascii=False, sort_keys=True)
        w.writerow(["" if d.get(c) is None else d.get(c) for c in CSV_COLUMNS])
    return buf.getvalue()


def write_atomic(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` through a temporary sibling renamed over it: a reader sees
    the old file or the whole new one, never half of it."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as e:
        raise PackError(path, f"cannot write output: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise PackError(path, f"cannot write output: {e.strerror or e}") from None
        raise
