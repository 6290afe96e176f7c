"""`t1114 bench` end to end on a tiny corpus: what it measures and writes (never how fast)."""

from __future__ import annotations

import json

from t1114.bench import format_results, measure, run_bench


def test_bench_writes_every_measurement(pack, tmp_path):
    # Timing validate/build/test is the same measure() of a command, tested below; skipped
    # here because the pack's own build and tests take a minute.
    results = run_bench(pack, tmp_path, events=400, scales=[200, 400], rules=20, seed=7, log=lambda _: None,
                        pack_timings=False)
    written = json.loads((tmp_path / "bench.json").read_text())
    assert written == json.loads(json.dumps(results))
    assert "pack" not in written
    for part in ("scan", "baseline"):
        assert written[part]["events"] == 400 and written[part]["events_per_second"] > 0
        assert written[part]["peak_rss_mb"] > 0
    assert written["ratio"] == round(written["scan"]["events_per_second"] / written["baseline"]["events_per_second"], 2)
    assert [row["events"] for row in written["scaling_events"]] == [200, 400]
    assert written["scaling_events"][1]["hits"] == written["scan"]["hits"]
    assert [row["rules"] for row in written["scaling_rules"]] == [len(pack.rules), len(pack.rules) + 20]
    assert "x the baseline" in format_results(results)


def test_measure_reports_the_childs_own_peak_memory():
    small = measure(["python3", "-c", "pass"])
    big = measure(["python3", "-c", "x = bytearray(200 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096])"])
    assert small.returncode == 0 and big.returncode == 0
    assert big.peak_rss_mb > small.peak_rss_mb + 150
    # Not this (large) test process' size: Linux carries peak memory across fork and exec.
    assert small.peak_rss_mb < 40


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
    planted = [e for name in ("windows/win_exchange_new_mailbox_export_request", "m365/m365_forwarding_rule_and_mailbox_sync")
               for case in json.loads((fixtures / f"{name}.json").read_text())["cases"] if case.get("match")
               for e in case["events"]]
    write_jsonl(path, planted + list(Corpus(pack, "native", seed=11, mix=Mix(attack=0.05)).events(1200)))
    rules = {r.id: r for r in compile_pack(pack, target)}
    hits = list(scan(pack, target, [path]))
    for name in ("win_exchange_new_mailbox_export_request", "m365_forwarding_rule_and_mailbox_sync"):
        rule = pack.find(name)
        expected = sum(1 for h in hits if h["rule_id"] == rule.id)
        assert expected > 0
        assert baseline.run_file([rules[rule.id]], path, target.timestamp_fields) == expected, name
