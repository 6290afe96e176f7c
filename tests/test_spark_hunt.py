"""t1114 hunt (t1114.spark.hunt) against scan: the same hit records, line for line.

Batched so the whole proof takes one Spark pass per target: every fixture case's events are in
one directory, read as one event table, each rule's condition evaluated once. Cases share files
in groups of eight, and all of them one more file, so correlations also meet other cases' events
(as in tests/test_scan_differential.py), and scan, which correlates file by file, stays quick."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from conftest import spark_test
from t1114.cli import main
from t1114.corpus import Corpus, fixture_cases, write_jsonl
from t1114.prefilter import RulePrefilter
from t1114.scan import Scanner
from t1114.spark.hunt import CompiledPack, event_table, hunt
from t1114.spark.tables import FILE, INDEX, Filters
from t1114.targets import all_targets

pytestmark = spark_test
CORPUS_EVENTS = 3_000
# The CLI's session is the tests' (one JVM per process): keep the tests' one shuffle partition.
CLI_CONF = ["--conf", "spark.sql.shuffle.partitions=1"]


def _hunt(spark, pack, target, sources, filters: Filters | None = None):
    return _hunt_with_stats(spark, pack, target, sources, filters)[0]


def _hunt_with_stats(spark, pack, target, sources, filters=None, compiled=None):
    filters = filters or Filters()
    compiled = compiled or CompiledPack(pack, target)
    compiled.check_regexes(spark)
    table, files = event_table(spark, compiled, [str(s) for s in sources], filters)
    return hunt(spark, compiled, table, files)


def _scan(pack, target, paths):
    return list(Scanner(pack, target).scan([Path(p) for p in paths]))


@pytest.fixture(scope="module")
def case_files(pack, tmp_path_factory):
    """Per fixture shape: a directory holding every case's events."""
    out = {}
    for shape in sorted({t.shape for t in all_targets().values()}):
        directory = tmp_path_factory.mktemp(f"cases-{shape}")
        cases = fixture_cases(pack, shape)
        every = cases.positive + cases.negative
        for i in range(0, len(every), 8):
            write_jsonl(
                directory / f"cases{i:04d}.jsonl", [e for ev in every[i : i + 8] for e in ev]
            )
        write_jsonl(directory / "all.jsonl", [e for events in every for e in events])
        out[shape] = directory
    return out


@pytest.mark.parametrize("target_name", sorted(all_targets()))
def test_every_fixture_case_gives_scans_hits(spark, pack, case_files, target_name):
    target = all_targets()[target_name]
    directory = case_files[target.shape]
    expected = _scan(pack, target, [directory])
    assert expected, "the fixture cases fire rules"
    assert _hunt(spark, pack, target, [directory]) == expected
    if target_name != "splunk_cim":  # the CIM target carries no correlation
        assert any(hit["group"] for hit in expected), "correlations are part of the proof"


@pytest.fixture(scope="module")
def corpus(pack, tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "corpus-native.jsonl"
    write_jsonl(path, Corpus(pack, "native", seed=15).events(CORPUS_EVENTS))
    return path


@pytest.fixture(scope="module")
def corpus_scan(pack, corpus):
    hits = _scan(pack, all_targets()["native"], [corpus])
    assert any(hit["group"] for hit in hits), "planted attacks fire correlations"
    assert any(not hit["group"] for hit in hits)
    return hits


def _by_event(record: dict) -> tuple:
    return record["file"], record["event_index"], record["rule_id"], record["event_indices"]


@pytest.fixture(scope="module")
def cli_copy(spark, corpus, tmp_path_factory):
    """`t1114 hunt --events-out` over the generated JSON Lines, run once for the tests that read
    its output or its copy: (stdout, stderr, the copy, the copy's directory)."""
    where = tmp_path_factory.mktemp("cli-copy")
    copy = where / "events.parquet"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(
            ["hunt", "--target", "native", *CLI_CONF, "--events-out", str(copy), str(corpus)]
        )
    assert status == 0, err.getvalue()
    return out.getvalue(), err.getvalue(), copy, where


def test_cli_hunts_json_lines_and_its_parquet_copy_giving_scans_hits(
    spark, cli_copy, corpus_scan, tmp_path
):
    """End to end: `t1114 hunt` over the generated JSON Lines writes scan's records and a
    Parquet copy of the events; hunting the copy writes the same hits, as Parquet."""
    out, err, copy, where = cli_copy
    assert [json.loads(line) for line in out.splitlines()] == corpus_scan
    assert f"{len(corpus_scan)} hits in {CORPUS_EVENTS} events" in err
    assert sorted(p.name for p in where.iterdir()) == ["events.parquet"], "no staging left"
    hits = tmp_path / "hits.parquet"
    argv = ["hunt", "--target", "native", *CLI_CONF]
    assert main([*argv, "--format", "parquet", "--out", str(hits), str(copy)]) == 0
    as_parquet = [
        dict(r, group={k: None if v is None else str(v) for k, v in r["group"].items()})
        for r in corpus_scan
    ]
    written = [row.asDict() for row in spark.read.parquet(str(hits)).collect()]
    assert sorted(written, key=_by_event) == sorted(as_parquet, key=_by_event)


def test_reader_skips_what_scans_prefilter_skips_and_counts_like_scan(spark, pack, corpus):
    """The prefilter runs in the reader: events it rules out make no row, yet are counted,
    and both counts are scan's."""
    target = all_targets()["native"]
    scanner = Scanner(pack, target)
    expected = list(scanner.scan([corpus]))
    records, stats = _hunt_with_stats(spark, pack, target, [corpus])
    assert records == expected
    assert stats.events == scanner.stats.events == CORPUS_EVENTS
    assert stats.evaluated == scanner.stats.evaluated
    assert 0 < stats.evaluated < stats.events, "the corpus has events the prefilter spares"


def test_a_prefilter_dropping_every_event_is_caught(spark, pack, corpus, corpus_scan):
    """A wrong prefilter in the reader loses hits, which the comparison with scan sees;
    the events it drops are still counted as read."""
    target = all_targets()["native"]
    compiled = CompiledPack(pack, target)
    specs, poor_anchors = compiled.prefilter()
    never = frozenset({frozenset({"t1114-in-no-event"})})
    compiled._prefilter = (tuple(RulePrefilter(r.rule_id, never) for r in specs), poor_anchors)
    records, stats = _hunt_with_stats(spark, pack, target, [corpus], compiled=compiled)
    assert records != corpus_scan
    assert stats.events == CORPUS_EVENTS
    assert stats.evaluated < CORPUS_EVENTS


def test_a_lake_table_gives_scans_hits(spark, pack, cli_copy, corpus_scan, tmp_path):
    """The copy's events as a lake table without provenance (its file from Spark, its index by
    read order) give scan's hits, as the copy does in the CLI test."""
    target = all_targets()["native"]
    lake = tmp_path / "lake.parquet"
    copy = cli_copy[2]
    events = spark.read.parquet(str(copy)).orderBy(INDEX).drop(FILE, INDEX).coalesce(1)
    events.write.parquet(str(lake))
    from_lake = _hunt(spark, pack, target, [lake])
    assert len({hit["file"] for hit in from_lake}) == 1
    assert [dict(h, file=None) for h in from_lake] == [dict(h, file=None) for h in corpus_scan]


def test_time_range_keeps_scans_hits_inside_it(spark, pack, corpus, corpus_scan):
    target = all_targets()["native"]
    since = "2026-01-01T00:05:00Z"
    inside = _hunt(spark, pack, target, [corpus], Filters(since=since))
    assert inside and len(inside) < len(corpus_scan)
    single = [h for h in corpus_scan if not h["group"]]
    single_inside = [h for h in inside if not h["group"]]
    # Events before the range are not read: every remaining single-event hit is one of the
    # full run's, and none of the early ones is left.
    assert set(map(json.dumps, single_inside)) < set(map(json.dumps, single))


@pytest.mark.parametrize(
    "args, message",
    [
        (["hunt", "--target", "nope", "x.jsonl"], "unknown target 'nope'"),
        (["hunt", "--target", "native", "/no/such/file.jsonl"], "no such file or directory"),
        (
            ["hunt", "--target", "native", "--format", "parquet", "/no/such/file.jsonl"],
            "needs --out",
        ),
        (
            ["hunt", "--target", "native", "--since", "yesterday", "/no/such/file.jsonl"],
            "not a time",
        ),
        (["hunt", "--target", "native", "--conf", "novalue", "/no/such/file.jsonl"], "key=value"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_invalid_json_in_a_file_exits_2_naming_it(spark, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": 1}\n{"a": \n', encoding="utf-8")
    assert main(["hunt", "--target", "native", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: invalid JSON on line 2" in err and "Traceback" not in err


def test_a_failed_copy_leaves_no_staging_directory(spark, tmp_path, capsys):
    """The copy's files are read into a staging directory beside it: removed on failure too."""
    bad = tmp_path / "events" / "bad.jsonl"
    bad.parent.mkdir()
    bad.write_text('{"a": 1}\n{"a": \n', encoding="utf-8")
    lake = tmp_path / "lake"
    lake.mkdir()
    argv = ["hunt", "--target", "native", *CLI_CONF, "--events-out", str(lake / "copy")]
    assert main([*argv, str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: invalid JSON on line 2" in err and "Traceback" not in err
    assert list(lake.iterdir()) == []


def test_untranslatable_regex_exits_2_naming_the_problem(spark, pack_copy, tmp_path, capsys):
    rule = pack_copy / "sigma/windows/win_exchange_snapin_unusual_parent.yml"
    text = rule.read_text(encoding="utf-8")
    rule.write_text(
        text.replace("CommandLine|re|i: 'A", "CommandLine|re|i: '(?#note)A", 1), encoding="utf-8"
    )
    events = tmp_path / "e.jsonl"
    events.write_text('{"a": 1}\n', encoding="utf-8")
    assert main(["--root", str(pack_copy), "hunt", "--target", "native", str(events)]) == 2
    err = capsys.readouterr().err
    assert "comment group" in err and "Traceback" not in err
