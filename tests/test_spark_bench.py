"""The Spark benchmark's report (t1114.spark.bench) and its generated block in docs/hunt.md."""

from __future__ import annotations

import json

from t1114.bench_corpus import TelemetryCorpus
from t1114.docs import Sources
from t1114.docs.hunt import GENERATOR, SPARK_BENCH_RECORD
from t1114.spark.bench import corpus_name, new_corpus, render


def test_docs_block_is_the_recorded_run_rendered(pack, project):
    results = json.loads((project.root / SPARK_BENCH_RECORD).read_text(encoding="utf-8"))
    doc = (project.root / "docs/hunt.md").read_text(encoding="utf-8")
    assert GENERATOR.apply(doc, Sources(pack), "docs/hunt.md") == doc
    for size in results["sizes"]:
        assert size["same_hits"] is True
        row = f"| {size['events']:,} | `hunt`, Parquet copy | {size['hunt_parquet']['seconds']} |"
        assert row in doc


def test_render_lists_every_run_of_every_size():
    timing = {"seconds": 2.0, "events_per_second": 500}
    spark = dict(timing, events_per_second_after_startup=1000)
    size = {
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
    text = render(
        {
            "target": "native",
            "note": "n",
            "hunt_one_event_seconds": 1.0,
            "machine": {"cpus": 2, "load_before": [1.0], "load_after": [1.0]},
            "sizes": [size, dict(size, events=2000)],
        }
    )
    rows = text.splitlines()
    assert sum(r.startswith("| 1,000 |") for r in rows) == 4
    assert sum(r.startswith("| 2,000 |") for r in rows) == 4
    assert "| 1,000 | `scan`, JSON Lines | 2.0 | 500 | - |" in text
    assert "| 1,000 | `hunt`, Parquet copy | 2.0 | 500 | 1,000 |" in text
    assert "planted corpus (attacks 1 in 500 events" in text  # a record naming no corpus
    assert "realistic corpus (attacks 1 in 10,000 events" in render(
        {
            "target": "native",
            "corpus": "realistic",
            "note": "n",
            "hunt_one_event_seconds": 1.0,
            "machine": {"cpus": 2},
            "sizes": [],
        }
    )


def test_native_runs_scans_telemetry_like_corpus_other_shapes_the_planted_one(pack):
    assert corpus_name("native") == "realistic"
    assert type(new_corpus(pack, "native", 1114)) is TelemetryCorpus
    assert corpus_name("elastic") == "planted"
    corpus = new_corpus(pack, "elastic", 1114)
    assert not isinstance(corpus, TelemetryCorpus)
    assert corpus.shape == "elastic"
