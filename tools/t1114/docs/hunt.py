"""docs/hunt.md: the figures of the recorded Spark bench run, docs/data/bench-spark.json
(``t1114 bench --engine spark``'s dist/bench-spark.json, committed as recorded)."""

from __future__ import annotations

import json

from t1114.docs import Generator, Sources
from t1114.errors import PackError

SPARK_BENCH_RECORD = "docs/data/bench-spark.json"


def render(sources: Sources) -> str:
    from t1114.spark.bench import render as render_run

    path = sources.pack.project.root / SPARK_BENCH_RECORD
    if not path.is_file():
        return f"No Spark bench run is recorded yet ({SPARK_BENCH_RECORD})."
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise PackError(path, f"not a recorded Spark bench run: {e}") from None
    return render_run(run)


GENERATOR = Generator("bench-spark", "docs/hunt.md", render)
