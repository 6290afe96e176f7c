"""``t1114 review --base REF``: what a change does to every platform, for a pull-request comment.

Three modules, one job each: ``sides`` builds the base commit and the working tree (each by
its own code, in a child process), ``compare`` compares two built sides (a pure function of
them), ``markdown`` renders the comparison for a pull-request comment. ``review`` runs the
three and writes ``review.md`` and ``review.json``.

A regression, a fixture case that passed and now fails (on the rule, or on the shipped query
text where the side checks it), or a rule that no longer compiles for a target it had, makes
the command exit 1.
"""

from __future__ import annotations

import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from t1114.output import write_atomically, write_text
from t1114.project import Project
from t1114.review.compare import compare
from t1114.review.markdown import markdown
from t1114.review.sides import Side, build_base, build_side, head_side, resolve_base

__all__ = ["REPORT_JSON", "REPORT_MD", "Side", "compare", "markdown", "review"]

REPORT_MD = "review.md"
REPORT_JSON = "review.json"


def review(project: Project, ref: str, out: Path) -> dict:
    """Build ``ref`` and the working tree, compare them, write the report; returns it."""
    commit = resolve_base(project, ref)
    with tempfile.TemporaryDirectory(prefix="t1114-review-") as tmp:
        scratch = Path(tmp)
        # The two sides are independent child processes: build them side by side.
        with ThreadPoolExecutor(max_workers=2) as pool:
            base = pool.submit(build_base, project, ref, commit, scratch)
            head = pool.submit(build_side, head_side(project), scratch / "head")
            report = compare(base.result(), head.result())

    def write(staging: Path) -> None:
        write_text(
            staging / REPORT_JSON,
            json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        )
        write_text(staging / REPORT_MD, markdown(report))

    write_atomically(out, write)
    return report
