"""docs/performance.md: the figures of the recorded bench run committed as docs/data/bench.json.

The record is ``{"recorded": {"date", "command", "machine_note"?}, "run": <t1114 bench's
bench.json>}`` (``t1114 bench --record`` writes it). Every figure on the page comes from it,
and the page says plainly whether the run met the speed and memory goals of the scan engine.
"""

from __future__ import annotations

from t1114.docs import BENCH_RECORD, Generator, Sources

# The goals set for 2 cores; the page says whether the recording meets them.
GOALS = {
    "realistic": {"events_per_second": 250_000, "ratio": 20.0},
    "worst_case": {"events_per_second": 60_000, "ratio": 15.0},
}
PEAK_MB_LIMIT = 200
_TITLES = {
    "realistic": "Realistic telemetry",
    "worst_case": "Worst case (every event reaches the engine)",
}


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _header(recorded: dict, run: dict) -> list[str]:
    machine = run.get("machine", {})
    load = machine.get("load_average_at_start")
    text = (
        f"Recorded {recorded['date']} with `{recorded['command']}` on {machine.get('platform', '?')}, "
        f"Python {machine.get('python', '?')}, {machine.get('cores', '?')} cores"
    )
    if load:
        text += f", load average at start {', '.join(str(x) for x in load)}"
    text += f"; `scan --jobs {run.get('jobs', 'default')}`, target `{run.get('target', '?')}`, {run.get('rules', '?')} rules."
    note = recorded.get("machine_note")
    return [text + (f" {note}" if note else "")]


def _table(run: dict) -> list[str]:
    lines = [
        "| corpus | events | scan events/s | scan peak MB | scan hits | evaluated | baseline events/s | "
        "baseline peak MB | baseline hits | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in run.get("scales", []):
        scan, base = row["scan"], row.get("baseline")
        cells = [
            row["corpus"],
            f"{row['events']:,}",
            f"{scan['events_per_second']:,}",
            f"{scan['peak_rss_mb']:.0f}",
            f"{scan['hits']:,}",
            f"{scan.get('evaluated_share', 0):.1%}",
        ]
        if base:
            cells += [
                f"{base['events_per_second']:,}",
                f"{base['peak_rss_mb']:.0f}",
                f"{base['hits']:,}",
                f"{row['ratio']}×",
            ]
        else:
            cells += ["not run", "", "", ""]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _goals(run: dict) -> list[str]:
    lines = []
    for profile, goal in GOALS.items():
        corpus = run.get("corpora", {}).get(profile)
        if corpus is None:
            lines.append(f"- {_TITLES[profile]}: not recorded.")
            continue
        rate = corpus["scan"]["events_per_second"]
        text = (
            f"- {_TITLES[profile]}, {corpus['events']:,} events: {rate:,} events/s against a goal of "
            f"{goal['events_per_second']:,} ({_met(rate >= goal['events_per_second'])})"
        )
        if "ratio" in corpus:
            text += f"; {corpus['ratio']}× the baseline against {goal['ratio']:g}× ({_met(corpus['ratio'] >= goal['ratio'])})"
        else:
            text += "; the baseline was not run at this size"
        lines.append(text + ".")
    scales = run.get("scales", [])
    if scales:
        largest = max(r["events"] for r in scales)
        peak = max(r["scan"]["peak_rss_mb"] for r in scales if r["events"] == largest)
        scope = " (workers included)" if run.get("peak_memory") == "process_tree" else ""
        text = f"- Peak memory of `scan`{scope} at {largest:,} events: {peak:.0f} MB; the limit is {PEAK_MB_LIMIT} MB at 10,000,000 events"
        if largest < 10_000_000:
            text += " (not measured: the run did not reach 10,000,000 events)"
        else:
            text += f" ({_met(peak < PEAK_MB_LIMIT)})"
        lines.append(text + ".")
    return lines


def _compile(run: dict) -> list[str]:
    compiled = run.get("compile")
    if not compiled:
        return []
    text = (
        f"Compiling the pack's {compiled['pack_rules']} rules for `{run.get('target', '?')}` (SQLite oracle form, "
        f"prefilter, generated predicates): {compiled['pack_seconds']} s."
    )
    if "generated_rules" in compiled:
        text += f" With {compiled['generated_rules']:,} generated rules added: {compiled['with_generated_seconds']} s."
    if run.get("scan_prefilter_databases") == "cached":
        text += (
            " Both are measured with an empty cache; the scans above start, as every scan after"
            " a first one does, with the prefilter's Hyperscan databases kept compiled"
            " (`t1114.hyperscan_cache`)."
        )
    return ["", text]


def render(sources: Sources) -> str:
    record = sources.bench
    if record is None:
        return f"No bench run is recorded yet ({BENCH_RECORD})."
    recorded, run = record["recorded"], record["run"]
    lines = [
        *_header(recorded, run),
        "",
        *_table(run),
        "",
        "Goals:",
        "",
        *_goals(run),
        *_compile(run),
    ]
    return "\n".join(lines)


GENERATOR = Generator("performance", "docs/performance.md", render)
