"""``t1114 bench --engine spark``: ``t1114 hunt`` beside ``scan`` on one synthetic corpus.

For each size: the corpus (``corpus_name``; split into a few JSON Lines files, as a data lake
holds many) is scanned by ``scan``, hunted by ``hunt`` as JSON Lines, copied to Parquet
(``hunt --events-out``) and hunted again from the copy. Each command runs as users run it, in
its own process, so the Spark figures include starting the JVM; ``hunt`` over a one-event file
measures that fixed cost, and the rates are given with and without it. The three hit lists
must be the same records, or the run fails.

Results go to ``<out>/bench-spark.json``; ``render`` turns a recorded run into the Markdown
of docs/hunt.md's generated block (``t1114.docs.hunt``, rewritten by ``t1114 docs`` from
docs/data/bench-spark.json), so the docs carry no number typed by hand.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from t1114.bench_corpus import REALISTIC_MIX, TelemetryCorpus
from t1114.corpus import Corpus, Mix, write_jsonl
from t1114.loader import Pack
from t1114.targets import DEFAULT_EVENT_TARGET, get_target

RESULTS = "bench-spark.json"
PARTS = 8


def _run(command: list[str], stdout: Path | None = None) -> float:
    started = time.perf_counter()
    with open(stdout or os.devnull, "wb") as out:
        proc = subprocess.run(command, stdout=out, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        tail = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"{' '.join(command[3:6])} failed (exit {proc.returncode}): {tail}")
    return seconds


def _t1114(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "t1114", "--root", str(root), *args]


def corpus_name(target: str) -> str:
    """The corpus a target's runs are written from, as the record names it: the telemetry-like
    one ``scan``'s benchmark runs (written in the native shape only), else the planted one."""
    return "realistic" if _shape(target) == _shape(DEFAULT_EVENT_TARGET) else "planted"


def new_corpus(pack: Pack, target: str, seed: int) -> Corpus:
    """A fresh stream of ``corpus_name``'s corpus in the target's shape."""
    if corpus_name(target) == "realistic":
        return TelemetryCorpus(pack, "realistic", seed=seed)
    return Corpus(pack, _shape(target), seed=seed)


def write_parts(
    pack: Pack, target: str, events: int, directory: Path, seed: int, parts: int = PARTS
) -> None:
    stream = new_corpus(pack, target, seed).events(events)
    directory.mkdir(parents=True, exist_ok=True)
    per = -(-events // parts)
    for n in range(parts):
        write_jsonl(directory / f"part{n:02d}.jsonl", itertools.islice(stream, per))


def _rate(events: int, seconds: float) -> int:
    return round(events / seconds) if seconds > 0 else 0


def _busy(load: list[float]) -> str:
    # Said from the load average at the start rather than typed, so a record cannot claim a
    # quiet machine it did not have (the load at the end is mostly the run's own).
    if load and load[0] >= 1.0:
        return "the machine was running other work during the run"
    return "the machine was otherwise idle during the run"


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def measure_size(
    pack: Pack,
    target: str,
    events: int,
    work: Path,
    seed: int,
    startup: float,
    log: Callable[[str], None],
) -> dict:
    root = pack.project.root
    corpus = work / f"corpus-{events}"
    log(f"writing {events:,} events in {PARTS} files")
    write_parts(pack, target, events, corpus, seed)
    hits = {name: work / f"hits-{name}-{events}.jsonl" for name in ("scan", "jsonl", "parquet")}
    copy = work / f"events-{events}.parquet"
    log("scan")
    scan_s = _run(_t1114(root, "scan", "--target", target, str(corpus)), hits["scan"])
    log("hunt over JSON Lines")
    jsonl_s = _run(
        _t1114(root, "hunt", "--target", target, "--out", str(hits["jsonl"]), str(corpus))
    )
    log("hunt writing the Parquet copy")
    copy_s = _run(
        _t1114(
            root,
            "hunt",
            "--target",
            target,
            "--out",
            os.devnull,
            "--events-out",
            str(copy),
            str(corpus),
        )
    )
    log("hunt over Parquet")
    parquet_s = _run(
        _t1114(root, "hunt", "--target", target, "--out", str(hits["parquet"]), str(copy))
    )
    texts = {name: path.read_text(encoding="utf-8") for name, path in hits.items()}
    same = {name: texts[name] == texts["scan"] for name in ("jsonl", "parquet")}
    if not all(same.values()):
        raise RuntimeError(f"hunt and scan disagree on {events:,} events: {same}")

    def entry(seconds: float, spark: bool) -> dict:
        out = {"seconds": round(seconds, 2), "events_per_second": _rate(events, seconds)}
        if spark:
            out["events_per_second_after_startup"] = _rate(events, max(seconds - startup, 1e-9))
        return out

    return {
        "events": events,
        "files": PARTS,
        "hits": texts["scan"].count("\n"),
        "same_hits": True,
        "parquet_bytes": sum(f.stat().st_size for f in copy.rglob("*.parquet")),
        "jsonl_bytes": sum(f.stat().st_size for f in corpus.iterdir()),
        "scan": entry(scan_s, False),
        "hunt_jsonl": entry(jsonl_s, True),
        "copy_to_parquet": entry(copy_s, True),
        "hunt_parquet": entry(parquet_s, True),
    }


def _shape(target: str) -> str:
    return get_target(target).shape


def run_spark_bench(
    pack: Pack,
    out: Path,
    target: str = DEFAULT_EVENT_TARGET,
    scales: list[int] | None = None,
    seed: int = 1114,
    log: Callable[[str], None] = print,
) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    sizes = sorted(set(scales or [1_000_000]))
    load = _load()
    results: dict = {
        "target": target,
        "corpus": corpus_name(target),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": load,
        },
        "note": _busy(load),
        "sizes": [],
    }
    with tempfile.TemporaryDirectory(prefix="t1114-bench-spark-") as tmp:
        work = Path(tmp)
        tiny = work / "one-event.jsonl"
        write_jsonl(tiny, new_corpus(pack, target, seed).events(1))
        log("hunt over one event (Spark's fixed cost)")
        startup = _run(_t1114(pack.project.root, "hunt", "--target", target, str(tiny)))
        results["hunt_one_event_seconds"] = round(startup, 2)
        for events in sizes:
            results["sizes"].append(measure_size(pack, target, events, work, seed, startup, log))
            (out / RESULTS).write_text(
                json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
    results["machine"]["load_after"] = _load()
    (out / RESULTS).write_text(
        json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return results


# --- the docs' section ----------------------------------------------------------------------


# A run recorded before the record named its corpus ran the planted one.
_BEFORE_CORPUS_NAMED = "planted"


def _corpus_label(name: str) -> str:
    mix, what = (
        (REALISTIC_MIX, "realistic corpus") if name == "realistic" else (Mix(), "planted corpus")
    )
    return (
        f"{what} (attacks 1 in {round(1 / mix.attack):,} events, "
        f"near misses 1 in {round(1 / mix.near_miss):,})"
    )


def render(results: dict) -> str:
    """The Markdown table of a recorded run."""
    lines = [
        f"Target `{results['target']}`, the {_corpus_label(results.get('corpus', _BEFORE_CORPUS_NAMED))}; "
        f"{results['machine']['cpus']} CPUs; {results['note']} "
        f"(load average {results['machine'].get('load_before')} before, {results['machine'].get('load_after')} after). "
        f"`hunt` over one event takes {results['hunt_one_event_seconds']} s: starting the JVM and the session.",
        "",
        "| events | run | seconds | events/s | events/s after Spark's start |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    labels = [
        ("scan", "`scan`, JSON Lines"),
        ("hunt_jsonl", "`hunt`, JSON Lines"),
        ("copy_to_parquet", "`hunt --events-out` (JSON Lines to Parquet)"),
        ("hunt_parquet", "`hunt`, Parquet copy"),
    ]
    for size in results["sizes"]:
        for key, label in labels:
            r = size[key]
            after = (
                f"{r['events_per_second_after_startup']:,}"
                if "events_per_second_after_startup" in r
                else "-"
            )
            lines.append(
                f"| {size['events']:,} | {label} | {r['seconds']} | {r['events_per_second']:,} | {after} |"
            )
    lines.append("")
    for size in results["sizes"]:
        lines.append(
            f"{size['events']:,} events in {size['files']} files ({size['jsonl_bytes']:,} bytes of JSON Lines, "
            f"{size['parquet_bytes']:,} bytes of Parquet): {size['hits']:,} hits, the same records from all three."
        )
    return "\n".join(lines) + "\n"
