"""docs/performance.md: the figures of the recorded bench run committed as docs/data/bench.json.

The record is ``{"recorded": {"date", "machine_note", "command"}, "run": <t1114 bench's
bench.json>}``; the run is either the ``scan``/``baseline`` form of today's ``t1114 bench`` or
the per-corpus form (``{"corpora": {name: {"events", "scan", "baseline", "ratio"}}}``).
"""

from __future__ import annotations

from t1114.docs import BENCH_RECORD, Generator, Sources


def _row(name: str, events: int, measured: dict) -> str:
    return (
        f"| {name} | {events:,} | {measured['events_per_second']:,} | "
        f"{measured['peak_rss_mb']:,.0f} | {measured['hits']:,} |"
    )


def _corpora(run: dict) -> dict[str, dict]:
    if "corpora" in run:
        return dict(run["corpora"])
    return {
        "synthetic": {
            "events": run["scan"]["events"],
            "scan": run["scan"],
            **({"baseline": run["baseline"], "ratio": run["ratio"]} if "baseline" in run else {}),
        }
    }


def render(sources: Sources) -> str:
    record = sources.bench
    if record is None:
        return f"No bench run is recorded yet ({BENCH_RECORD})."
    recorded, run = record["recorded"], record["run"]
    machine = run.get("machine", {})
    lines = [
        f"Recorded {recorded['date']} with `{recorded['command']}` on {machine.get('platform', '?')}, "
        f"Python {machine.get('python', '?')}, {machine.get('cpus', '?')} CPUs. {recorded.get('machine_note', '')}".rstrip(),
        "",
        "| corpus | events | events/s | peak RSS (MB) | hits |",
        "|---|---|---|---|---|",
    ]
    ratios = []
    for name, corpus in _corpora(run).items():
        lines.append(_row(f"{name}: scan", corpus["events"], corpus["scan"]))
        if "baseline" in corpus:
            lines.append(_row(f"{name}: baseline", corpus["events"], corpus["baseline"]))
            ratios.append(f"{name} {corpus['ratio']}×")
    if ratios:
        lines += ["", "Scan's events per second over the baseline's: " + ", ".join(ratios) + "."]
    if "pack" in run:
        pack = run["pack"]
        lines += [
            "",
            f"Wall time of the pack's own commands in that run: `validate` {pack['validate_seconds']} s, "
            f"`build` {pack['build_seconds']} s, `test` {pack['test_seconds']} s.",
        ]
    return "\n".join(lines)


GENERATOR = Generator("performance", "docs/performance.md", render)
