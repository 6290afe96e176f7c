"""`t1114 bench` end to end on tiny corpora: what it measures and writes (never how fast)."""

from __future__ import annotations

import json

from t1114.bench import format_results, measure, run_bench


def test_bench_writes_every_measurement_in_the_documented_shape(pack, tmp_path):
    results = run_bench(
        pack,
        tmp_path,
        scales=[300, 600],
        baseline_events=300,
        rules=20,
        jobs=1,
        seed=7,
        log=lambda _: None,
    )
    written = json.loads((tmp_path / "bench.json").read_text())
    assert written == json.loads(json.dumps(results))
    for profile in ("realistic", "worst_case"):
        corpus = written["corpora"][profile]
        assert corpus["events"] == 300
        for part in ("scan", "baseline"):
            assert corpus[part]["events_per_second"] > 0 and corpus[part]["peak_rss_mb"] > 0
            assert corpus[part]["hits"] >= 0
        assert corpus["ratio"] == round(
            corpus["scan"]["events_per_second"] / corpus["baseline"]["events_per_second"], 2
        )
    assert (
        written["corpora"]["worst_case"]["scan"]["evaluated_share"] > 0.99
    )  # every event reaches the engine
    assert [(r["corpus"], r["events"], "baseline" in r) for r in written["scales"]] == [
        ("realistic", 300, True),
        ("realistic", 600, False),
        ("worst_case", 300, True),
        ("worst_case", 600, False),
    ]
    assert (
        written["compile"]["pack_rules"] == len(pack.rules)
        and written["compile"]["generated_rules"] == 20
    )
    assert (
        written["compile"]["pack_seconds"] > 0 and written["compile"]["with_generated_seconds"] > 0
    )
    assert (
        len(written["machine"]["load_average_at_start"]) == 3 and written["machine"]["cores"] >= 1
    )
    assert "x the baseline" in format_results(results)
    # the scans start with the prefilter's databases the compilation measured above kept
    assert written["scan_prefilter_databases"] == "cached"


def test_measure_reports_the_childs_own_peak_memory():
    small = measure(["python3", "-c", "pass"])
    big = measure(
        ["python3", "-c", "x = bytearray(200 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096])"]
    )
    assert small.returncode == 0 and big.returncode == 0
    assert big.peak_rss_mb > small.peak_rss_mb + 150
    # Not this (large) test process' size: Linux carries peak memory across fork and exec.
    assert small.peak_rss_mb < 40


_WORKERS = """
import os
ready_r, ready_w = os.pipe()
release_r, release_w = os.pipe()
pids = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        x = bytearray(120 * 1024 * 1024)
        x[::4096] = b"1" * len(x[::4096])
        os.write(ready_w, b"1")
        os.read(release_r, 1)
        os._exit(0)
    pids.append(pid)
got = b""
while len(got) < 2:
    got += os.read(ready_r, 2 - len(got))
# Both workers hold their memory now; keep them so for many sampling periods, however loaded
# the machine is, before letting them go.
import time
time.sleep(1.0)
os.write(release_w, b"11")
for pid in pids:
    os.waitpid(pid, 0)
"""


def test_measure_counts_the_memory_of_the_whole_process_tree():
    # Two workers of 120 MB each, alive together: the tree held about 240 MB, either alone 120.
    run = measure(["python3", "-c", _WORKERS])
    assert run.returncode == 0
    assert run.peak_rss_mb > 200


def test_baseline_agrees_with_scan_where_its_semantics_suffice(pack, tmp_path):
    # Rules on plain ASCII, single-value fields find the same events in the Zircolite-style
    # baseline as in the pack engine, correlations included (the baseline's timestamps and
    # correlation plans work); rules needing numeric or multivalue semantics may differ.
    from t1114 import baseline
    from t1114.corpus import Corpus, Mix, write_jsonl
    from t1114.scan import compile_pack, scan
    from t1114.targets import get_target

    target = get_target("native")
    path = tmp_path / "c.jsonl"
    fixtures = pack.project.fixtures_dir
    planted = [
        e
        for name in (
            "windows/win_exchange_new_mailbox_export_request",
            "m365/m365_forwarding_rule_and_mailbox_sync",
        )
        for case in json.loads((fixtures / f"{name}.json").read_text())["cases"]
        if case.get("match")
        for e in case["events"]
    ]
    write_jsonl(
        path, planted + list(Corpus(pack, "native", seed=11, mix=Mix(attack=0.05)).events(1200))
    )
    rules = {r.id: r for r in compile_pack(pack, target)}
    hits = list(scan(pack, target, [path]))
    for name in (
        "win_exchange_new_mailbox_export_request",
        "m365_forwarding_rule_and_mailbox_sync",
    ):
        rule = pack.find(name)
        expected = sum(1 for h in hits if h["rule_id"] == rule.id)
        assert expected > 0
        assert baseline.run_file([rules[rule.id]], path, target.timestamp_fields) == expected, name
