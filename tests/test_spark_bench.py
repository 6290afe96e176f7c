"""The Spark benchmark's report (t1114.spark.bench): the docs' figures come from the recorded run."""

from __future__ import annotations

import json

import pytest

from t1114.spark.bench import END, START, render, render_into


def test_docs_section_is_the_recorded_run_rendered(project):
    results = json.loads((project.root / "docs/data/bench-spark.json").read_text(encoding="utf-8"))
    doc = (project.root / "docs/hunt.md").read_text(encoding="utf-8")
    assert render_into(doc, results) == doc
    assert render(results) in doc
    for size in results["sizes"]:
        assert size["same_hits"] is True
        assert (
            f"| {size['events']:,} | `hunt`, Parquet copy | {size['hunt_parquet']['seconds']} |"
            in doc
        )


def test_render_into_needs_the_markers():
    with pytest.raises(ValueError, match="bench-spark:start"):
        render_into("no markers here", {})
    assert render_into(f"a\n{START}\nold\n{END}\nb", _sample()).startswith(
        f"a\n{START}\nTarget `native`"
    )


def _sample() -> dict:
    timing = {"seconds": 2.0, "events_per_second": 500}
    spark = dict(timing, events_per_second_after_startup=1000)
    return {
        "target": "native",
        "note": "n",
        "hunt_one_event_seconds": 1.0,
        "machine": {"cpus": 2, "load_before": [1.0], "load_after": [1.0]},
        "sizes": [
            {
                "events": 1000,
                "files": 8,
                "hits": 3,
                "same_hits": True,
                "jsonl_bytes": 10,
                "parquet_bytes": 5,
                "scan": timing,
                "hunt_jsonl": spark,
                "copy_to_parquet": spark,
                "hunt_parquet": spark,
            }
        ],
    }
