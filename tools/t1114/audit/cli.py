"""What ``t1114 audit`` does once its arguments are parsed: audit, compare, render, write,
and the exit code (0 clean, 1 findings at or above --fail-on, 2 bad input)."""

from __future__ import annotations

import sys
from pathlib import Path

from t1114.audit import html, render
from t1114.audit.baseline import compare, load_baseline
from t1114.audit.findings import RANK
from t1114.audit.run import audit_paths, tenant_from_tuning
from t1114.errors import PackError
from t1114.project import find_project

FORMATS = {"text": render.text, "jsonl": render.jsonl, "csv": render.csv_text, "html": html.report}
EXIT_CLEAN, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2


def pack_tuning(root: str | None) -> Path | None:
    """The pack's config/tuning.yml when the audit runs inside a pack; outside one, none."""
    try:
        return find_project(root).tuning_file
    except PackError:
        return None


def run(
    paths: list[Path],
    *,
    fmt: str = "text",
    out: Path | None = None,
    fail_on: str | None = None,
    baseline: Path | None = None,
    tuning_file: Path | None = None,
) -> int:
    previous = load_baseline(baseline) if baseline else None
    result = audit_paths(paths, tenant_from_tuning(tuning_file))
    resolved = compare(result.findings, previous) if previous is not None else None
    content = FORMATS[fmt](result, resolved)
    if out is not None:
        render.write_atomic(out, content)
    else:
        sys.stdout.write(content)
        sys.stdout.flush()
    for err in result.errors:
        print(f"error: {err}", file=sys.stderr)
    line = render.summary_line(result)
    if resolved is not None:
        new = sum(1 for f in result.findings if f.new)
        line += f"; {new} new, {len(resolved)} resolved since the baseline"
    print(line + (f"; written to {out}" if out else ""), file=sys.stderr)
    if result.errors:
        return EXIT_BAD_INPUT
    if fail_on is not None:
        # With a baseline, CI fails on what is new: known findings are already being handled.
        judged = [f for f in result.findings if f.new is not False]
        if any(f.rank >= RANK[fail_on] for f in judged):
            return EXIT_FINDINGS
    return EXIT_CLEAN
