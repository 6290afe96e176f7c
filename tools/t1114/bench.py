"""``t1114 bench`` / ``make bench``: how fast the pack validates, builds, tests and scans.

One run generates a seeded synthetic corpus (``t1114.corpus``), then measures, each in its
own process so that wall time and peak memory (the process' maximum resident set) are its
own:

* ``t1114 validate``, ``t1114 build`` and ``t1114 test`` on the pack;
* ``t1114 scan`` over the corpus: events per second and peak memory;
* the baseline (``t1114.baseline``, the Zircolite approach) over the same corpus, and the
  ratio of the two rates;
* optionally ``scan`` at more corpus sizes and with generated rules added to the pack.

Results go to ``<out>/bench.json`` and a short table on stdout. A benchmark, not a test:
nothing here fails on a time.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from t1114.corpus import Corpus, generated_rules, write_jsonl
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
# forks the measured command from a small process and reports its peak alone.
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) % 256)
"""


def measure(command: list[str], cwd: Path | None = None, stdout_to_null: bool = False) -> Run:
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        peak_file = Path(tmp) / "peak"
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _LAUNCHER, str(peak_file), *command], cwd=cwd,
                              stdout=subprocess.DEVNULL if stdout_to_null else out, stderr=err)
        seconds = time.perf_counter() - started
        peak_kb = int(peak_file.read_text()) if peak_file.exists() else 0
        out.seek(0)
        err.seek(0)
        return Run(command, seconds, peak_kb / 1024.0, proc.returncode,
                   out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


def _t1114(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "t1114", "--root", str(root), *args]


def _require(run: Run, what: str) -> Run:
    if run.returncode != 0:
        tail = (run.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"{what} failed (exit {run.returncode}): {tail}")
    return run


def scan_result(root: Path, target: str, corpus: Path, events: int) -> dict:
    run = _require(measure(_t1114(root, "scan", "--target", target, str(corpus)), stdout_to_null=True), "scan")
    hits = int(run.stderr.strip().splitlines()[-1].split()[0])
    return {"events": events, "seconds": round(run.seconds, 3), "events_per_second": round(events / run.seconds),
            "peak_rss_mb": round(run.peak_rss_mb, 1), "hits": hits}


def baseline_result(root: Path, target: str, corpus: Path, events: int) -> dict:
    run = _require(measure([sys.executable, "-m", "t1114.baseline", "--root", str(root), "--target", target, str(corpus)]),
                   "baseline")
    report = json.loads(run.stdout.strip().splitlines()[-1])
    return {"events": events, "seconds": round(run.seconds, 3), "events_per_second": round(events / run.seconds),
            "peak_rss_mb": round(run.peak_rss_mb, 1), "hits": report["hits"]}


def write_corpus(pack: Pack, target_shape: str, sizes: list[int], workdir: Path, seed: int) -> dict[int, Path]:
    """One corpus of the largest size; smaller sizes are its first events."""
    sizes = sorted(set(sizes))
    largest = workdir / f"corpus-{target_shape}-{sizes[-1]}.jsonl"
    corpus = Corpus(pack, target_shape, seed=seed)
    write_jsonl(largest, corpus.events(sizes[-1]))
    paths = {sizes[-1]: largest}
    for size in sizes[:-1]:
        path = workdir / f"corpus-{target_shape}-{size}.jsonl"
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
    (generated / "sigma" / "generated").mkdir()
    for name, text in generated_rules(count, seed):
        (generated / "sigma" / "generated" / f"{name}.yml").write_text(text, encoding="utf-8")
    return generated


def run_bench(pack: Pack, out: Path, target: str = DEFAULT_EVENT_TARGET, events: int = 1_000_000, scales: list[int] | None = None,
              rules: int = 0, baseline: bool = True, seed: int = 1114, log=print, pack_timings: bool = True) -> dict:
    root = pack.project.root
    shape = get_target(target).shape
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "target": target, "seed": seed, "rules": len(pack.rules),
    }
    with tempfile.TemporaryDirectory(prefix="t1114-bench-") as tmp:
        work = Path(tmp)
        if pack_timings:
            log("timing validate, build and test ...")
            results["pack"] = {
                "validate_seconds": round(_require(measure(_t1114(root, "validate")), "validate").seconds, 3),
                "build_seconds": round(_require(measure(_t1114(root, "build", "--out", str(work / "dist"))), "build").seconds, 3),
                "test_seconds": round(_require(measure(_t1114(root, "test")), "test").seconds, 3),
            }
        sizes = sorted({events, *(scales or [])})
        log(f"generating a corpus of {sizes[-1]:,} {shape} events ...")
        started = time.perf_counter()
        corpora = write_corpus(pack, shape, sizes, work, seed)
        results["corpus"] = {"events": events, "shape": shape, "bytes": corpora[events].stat().st_size,
                             "generate_seconds": round(time.perf_counter() - started, 1)}
        log(f"scanning {events:,} events ...")
        results["scan"] = scan_result(root, target, corpora[events], events)
        if baseline:
            log(f"baseline over {events:,} events ...")
            results["baseline"] = baseline_result(root, target, corpora[events], events)
            results["ratio"] = round(results["scan"]["events_per_second"] / results["baseline"]["events_per_second"], 2)
        if scales:
            results["scaling_events"] = []
            for size in sorted(scales):
                log(f"scanning {size:,} events ...")
                results["scaling_events"].append(scan_result(root, target, corpora[size], size))
        if rules:
            log(f"scanning {events:,} events with {rules:,} generated rules added ...")
            bigger = project_with_generated_rules(root, rules, work, seed)
            results["scaling_rules"] = [
                {"rules": len(pack.rules), **results["scan"]},
                {"rules": len(pack.rules) + rules, **scan_result(bigger, target, corpora[events], events)},
            ]
    (out / "bench.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return results


def format_results(results: dict) -> str:
    lines = []
    if "pack" in results:
        lines.append(f"pack: validate {results['pack']['validate_seconds']} s, build {results['pack']['build_seconds']} s, "
                     f"test {results['pack']['test_seconds']} s")
    scan = results["scan"]
    lines.append(f"scan:     {scan['events']:>11,} events  {scan['events_per_second']:>9,} events/s  "
                 f"peak {scan['peak_rss_mb']:>7,.0f} MB  {scan['hits']:,} hits")
    if "baseline" in results:
        base = results["baseline"]
        lines.append(f"baseline: {base['events']:>11,} events  {base['events_per_second']:>9,} events/s  "
                     f"peak {base['peak_rss_mb']:>7,.0f} MB  {base['hits']:,} hits")
        lines.append(f"ratio: scan is {results['ratio']}x the baseline's events/s")
    for row in results.get("scaling_events", []):
        lines.append(f"scan at {row['events']:>11,} events: {row['events_per_second']:>9,} events/s, "
                     f"peak {row['peak_rss_mb']:,.0f} MB, {row['hits']:,} hits")
    for row in results.get("scaling_rules", []):
        lines.append(f"scan with {row['rules']:>5,} rules: {row['events_per_second']:>9,} events/s, "
                     f"peak {row['peak_rss_mb']:,.0f} MB, {row['hits']:,} hits")
    return "\n".join(lines) + "\n"

