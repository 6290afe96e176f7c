"""The performance page is rendered from a recorded bench run, never typed by hand."""

from __future__ import annotations

import json
from pathlib import Path

from t1114.bench_report import render

ROOT = Path(__file__).resolve().parents[1]


def _bench(rate=300_000, ratio=25.0, peak=120.0):
    row = {"events": 1000, "scan": {"events_per_second": rate, "peak_rss_mb": peak, "hits": 3, "evaluated_share": 0.5},
           "baseline": {"events_per_second": 1000, "peak_rss_mb": 900.0, "hits": 4}, "ratio": ratio}
    return {"date": "2026-12-03T10:00:00Z", "jobs": 2, "target": "native", "seed": 1, "rules": 59,
            "machine": {"platform": "Linux", "python": "3.11", "cores": 2, "load_average_at_start": [1.0, 2.0, 3.0]},
            "corpora": {"realistic": row, "worst_case": row}, "scales": [{"corpus": "realistic", **row}],
            "compile": {"pack_rules": 59, "pack_seconds": 1.5, "generated_rules": 1000, "with_generated_seconds": 9.5}}


def test_the_page_states_the_recorded_figures_and_the_goals():
    page = render(_bench())
    assert "| realistic | 1,000 | 300,000 | 120 | 3 | 50.0% | 1,000 | 900 | 4 | 25.0x |" in page
    assert "300,000 events/s against a goal of 250,000 (met); 25.0x the baseline against 20x (met)" in page
    assert "load average at start 1.0, 2.0, 3.0" in page and "With 1,000 generated rules added: 9.5 s" in page
    slow = render(_bench(rate=1000, ratio=1.5, peak=250.0))
    assert "1,000 events/s against a goal of 250,000 (**not met**)" in slow
    assert "250 MB against a limit of 200 MB (**not met**)" in slow


def test_docs_performance_is_the_rendering_of_the_recorded_run():
    recorded = json.loads((ROOT / "docs" / "data" / "bench.json").read_text(encoding="utf-8"))
    assert (ROOT / "docs" / "performance.md").read_text(encoding="utf-8") == render(recorded)
