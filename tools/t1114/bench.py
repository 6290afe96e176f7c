"""``t1114 bench`` / ``make bench``: how fast ``scan`` is on telemetry-like corpora, against the
baseline, and how long the pack takes to compile.

One run generates, for each profile of ``t1114.bench_corpus`` (``realistic``: attacks about 1
in 10,000 among ordinary Exchange, Entra and Windows traffic; ``worst_case``: every event
reaches the engine), a seeded corpus of the largest size asked (smaller sizes are its first
events), then measures, each in its own process so that wall time and peak memory (the
process' maximum resident set) are its own:

* ``t1114 scan`` over each size: events per second (startup included, the prefilter's
  databases kept compiled by the compilation measured first, as after any first scan:
  ``t1114.hyperscan_cache``), peak memory, hits;
* the baseline (``t1114.baseline``, the Zircolite approach) over the sizes up to
  ``baseline_events`` (it holds a whole corpus in memory), and the ratio of the rates;
* compiling the pack, and the pack with ``rules`` generated rules added, for the target.

Results go to ``<out>/bench.json`` (``corpora.<profile>`` at the first size, every size under
``scales``; date, machine, cores and load average at the start) and a table on stdout. A
benchmark, not a test: nothing here fails on a time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from t1114.corpus import generated_rules, write_jsonl
from t1114.loader import Pack
from t1114.targets import DEFAULT_EVENT_TARGET, get_target


@dataclass
class Run:
    """One measured process."""

    command: list[str]
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


# Linux carries a process' peak memory across fork and exec: a child started from this
# (large) process would report at least this process' size. A small launcher in between
# forks the measured command from a small process. It samples the memory of the command's
# whole process tree (its worker processes too) every 20 ms: the sum of the proportional set
# sizes (a page shared by several processes divided among them), and reports the largest
# sum, or the command's own maximum resident set if that is larger.
_LAUNCHER = """
import os, sys, threading, time
def tree(pid):
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as fh:
                todo.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return found
def size_kb(p):
    try:
        with open(f"/proc/{p}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
peak = [0]
done = threading.Event()
def sample():
    while not done.wait(0.02):
        peak[0] = max(peak[0], sum(size_kb(p) for p in tree(pid)))
threading.Thread(target=sample, daemon=True).start()
_, status, usage = os.wait4(pid, 0)
done.set()
with open(sys.argv[1], "w") as fh:
    fh.write(str(max(peak[0], usage.ru_maxrss)))
sys.exit(os.waitstatus_to_exitcode(status) % 256)
"""


def measure(command: list[str], cwd: Path | None = None, stdout_to_null: bool = False) -> Run:
    with (
        tempfile.TemporaryDirectory() as tmp,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        peak_file = Path(tmp) / "peak"
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(peak_file), *command],
            cwd=cwd,
            stdout=subprocess.DEVNULL if stdout_to_null else out,
            stderr=err,
        )
        seconds = time.perf_counter() - started
        peak_kb = int(peak_file.read_text()) if peak_file.exists() else 0
        out.seek(0)
        err.seek(0)
        return Run(
            command,
            seconds,
            peak_kb / 1024.0,
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )


DEFAULT_SCALES = (1_000_000, 10_000_000)


def _t1114(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "t1114", "--root", str(root), *args]


def _require(run: Run, what: str) -> Run:
    if run.returncode != 0:
        tail = (run.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"{what} failed (exit {run.returncode}): {tail}")
    return run


def scan_result(
    root: Path, target: str, corpus: Path, events: int, extra: list[str] | None = None
) -> dict:
    command = _t1114(root, "scan", "--target", target, "--summary", *(extra or []), str(corpus))
    run = _require(measure(command, stdout_to_null=True), "scan")
    lines = run.stderr.strip().splitlines()
    hits = int(lines[-1].split()[0])
    # The summary's last line: "F files, N events, E evaluated by the engine, H hits".
    evaluated = int(lines[-2].split(", ")[2].split()[0].replace(",", ""))
    return {
        "events": events,
        "seconds": round(run.seconds, 3),
        "events_per_second": round(events / run.seconds),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "hits": hits,
        "evaluated_share": round(evaluated / events, 4),
    }


def baseline_result(root: Path, target: str, corpus: Path, events: int) -> dict:
    run = _require(
        measure(
            [
                sys.executable,
                "-m",
                "t1114.baseline",
                "--root",
                str(root),
                "--target",
                target,
                str(corpus),
            ]
        ),
        "baseline",
    )
    report = json.loads(run.stdout.strip().splitlines()[-1])
    return {
        "events": events,
        "seconds": round(run.seconds, 3),
        "events_per_second": round(events / run.seconds),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "hits": report["hits"],
    }


def write_corpus(
    pack: Pack, profile: str, sizes: list[int], workdir: Path, seed: int
) -> dict[int, Path]:
    """One corpus of the largest size; smaller sizes are its first events."""
    from t1114.bench_corpus import TelemetryCorpus

    sizes = sorted(set(sizes))
    largest = workdir / f"{profile}-{sizes[-1]}.jsonl"
    write_jsonl(largest, TelemetryCorpus(pack, profile, seed=seed).events(sizes[-1]))
    paths = {sizes[-1]: largest}
    for size in sizes[:-1]:
        path = workdir / f"{profile}-{size}.jsonl"
        with open(largest, "rb") as src, open(path, "wb") as dst:
            for n, line in enumerate(src):
                if n == size:
                    break
                dst.write(line)
        paths[size] = path
    return paths


def project_with_generated_rules(root: Path, count: int, workdir: Path, seed: int) -> Path:
    generated = workdir / f"pack-with-{count}-rules"
    shutil.rmtree(generated, ignore_errors=True)
    shutil.copytree(root / "sigma", generated / "sigma")
    shutil.copy(root / "pyproject.toml", generated / "pyproject.toml")
    if (root / "config").is_dir():
        shutil.copytree(root / "config", generated / "config")
    (generated / "sigma" / "generated").mkdir()
    for name, text in generated_rules(count, seed):
        (generated / "sigma" / "generated" / f"{name}.yml").write_text(text, encoding="utf-8")
    return generated


def compile_seconds(pack: Pack, target: str, cache: Path) -> float:
    """Compiling a pack for a target: the SQLite engine's form, the prefilter, the predicates.
    ``cache``: an empty directory, so that the prefilter's databases are compiled too
    (``t1114.hyperscan_cache``), and kept there."""
    from t1114.scan import CompiledPack, compile_pack

    with _cache_dir(cache):
        started = time.perf_counter()
        t = get_target(target)
        CompiledPack(compile_pack(pack, t), t.timestamp_fields)
        return round(time.perf_counter() - started, 3)


@contextlib.contextmanager
def _cache_dir(path: Path) -> Iterator[None]:
    """``T1114_CACHE_DIR`` set for this process and the commands it starts."""
    previous = os.environ.get("T1114_CACHE_DIR")
    os.environ["T1114_CACHE_DIR"] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("T1114_CACHE_DIR", None)
        else:
            os.environ["T1114_CACHE_DIR"] = previous


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def run_bench(
    pack: Pack,
    out: Path,
    target: str = DEFAULT_EVENT_TARGET,
    scales: list[int] | None = None,
    baseline_events: int = 1_000_000,
    rules: int = 1000,
    jobs: int | None = None,
    seed: int = 1114,
    profiles: tuple[str, ...] | None = None,
    log=print,
) -> dict:
    from t1114.bench_corpus import PROFILES
    from t1114.loader import load_pack
    from t1114.project import Project

    if target != DEFAULT_EVENT_TARGET:
        from t1114.errors import PackError

        raise PackError(
            None,
            f"the scan benchmark's corpora are {DEFAULT_EVENT_TARGET} events: --target {target} "
            "is for --engine spark",
        )
    root = pack.project.root
    scales = sorted(set(scales or DEFAULT_SCALES))
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "target": target,
        "seed": seed,
        "rules": len(pack.rules),
        "jobs": jobs or "default",
        "corpora": {},
        "scales": [],
        "peak_memory": "process_tree",
    }
    scan_args = ["--jobs", str(jobs)] if jobs else []
    with tempfile.TemporaryDirectory(prefix="t1114-bench-") as tmp:
        work = Path(tmp)
        log(f"compiling the pack, and with {rules:,} generated rules ...")
        # The scans below start as every scan after a first one does: with the prefilter's
        # databases compiled by the pack's compilation measured here.
        scan_cache = work / "cache"
        results["compile"] = {
            "pack_rules": len(pack.rules),
            "pack_seconds": compile_seconds(pack, target, scan_cache),
        }
        results["scan_prefilter_databases"] = "cached"
        if rules:
            bigger = load_pack(Project(project_with_generated_rules(root, rules, work, seed)))
            results["compile"].update(
                {
                    "generated_rules": rules,
                    "with_generated_seconds": compile_seconds(bigger, target, work / "cache-1"),
                }
            )
        for profile in profiles or PROFILES:
            log(f"generating a {profile} corpus of {scales[-1]:,} events ...")
            started = time.perf_counter()
            paths = write_corpus(pack, profile, scales, work, seed)
            log(f"  written in {time.perf_counter() - started:.0f} s")
            for size in scales:
                log(f"scanning {size:,} {profile} events ...")
                with _cache_dir(scan_cache):
                    scanned = scan_result(root, target, paths[size], size, scan_args)
                row: dict[str, Any] = {
                    "corpus": profile,
                    "events": size,
                    "bytes": paths[size].stat().st_size,
                    "scan": scanned,
                }
                if size <= baseline_events:
                    log(f"baseline over {size:,} {profile} events ...")
                    row["baseline"] = baseline_result(root, target, paths[size], size)
                    row["ratio"] = round(
                        row["scan"]["events_per_second"] / row["baseline"]["events_per_second"], 2
                    )
                results["scales"].append(row)
                if profile not in results["corpora"]:
                    results["corpora"][profile] = {k: v for k, v in row.items() if k != "corpus"}
            for path in paths.values():
                path.unlink()
    (out / "bench.json").write_text(
        json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return results


def record_run(root: Path, results: dict, command: str) -> Path:
    """Commit-ready copy of a run for the performance page (``t1114.docs.performance``)."""
    from t1114.docs import BENCH_RECORD

    path = root / BENCH_RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"recorded": {"date": results["date"], "command": command}, "run": results}
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def format_results(results: dict) -> str:
    lines = [
        f"{results['date']}, {results['machine']['cores']} cores, load average at start "
        f"{results['machine']['load_average_at_start']}"
    ]
    compiled = results.get("compile", {})
    if compiled:
        line = f"compile: {compiled['pack_rules']} rules in {compiled['pack_seconds']} s"
        if "generated_rules" in compiled:
            line += f", with {compiled['generated_rules']:,} generated rules in {compiled['with_generated_seconds']} s"
        lines.append(line)
    for row in results["scales"]:
        scan = row["scan"]
        line = (
            f"{row['corpus']:<10} {row['events']:>11,} events  scan {scan['events_per_second']:>9,} events/s  "
            f"peak {scan['peak_rss_mb']:>6,.0f} MB  {scan['hits']:,} hits"
        )
        if "baseline" in row:
            base = row["baseline"]
            line += (
                f"  | baseline {base['events_per_second']:>7,} events/s  peak {base['peak_rss_mb']:>6,.0f} MB"
                f"  | scan is {row['ratio']}x the baseline"
            )
        lines.append(line)
    return "\n".join(lines) + "\n"
