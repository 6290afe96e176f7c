"""`t1114 scan`: the documented hit records over recorded event files."""

import csv
import gzip
import io
import json
import os
from pathlib import Path

import pytest

from conftest import SHARED
from evtx_writer import write_evtx
from t1114.corpus import Corpus, Mix
from t1114.inputs import read_records
from t1114.progress import Progress
from t1114.scan import ScanStats, scan
from t1114.targets import all_targets

FWD = {
    "CreationTime": "2026-11-20T10:00:00",
    "Workload": "Exchange",
    "Operation": "New-InboxRule",
    "UserId": "alice@contoso.com",
    "Parameters": [{"Name": "ForwardTo", "Value": "x@evil.example"}],
}
SYNC = {
    "CreationTime": "2026-11-20T10:30:00",
    "Workload": "Exchange",
    "Operation": "MailItemsAccessed",
    "UserId": "Alice@contoso.com",
    "OperationProperties": [{"Name": "MailAccessType", "Value": "Sync"}],
}
PROC = {
    "Event": {
        "System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational"},
        "EventData": {
            "CommandLine": "powershell New-MailboxExportRequest -Mailbox a -FilePath \\\\h\\s\\a.pst"
        },
    }
}
# The same command line in a file-creation event: another log source, so no hit.
FILE_EVENT = {
    "Event": {
        "System": {"EventID": 11, "Channel": "Microsoft-Windows-Sysmon/Operational"},
        "EventData": {"CommandLine": "New-MailboxExportRequest"},
    }
}


@pytest.fixture
def native_file(tmp_path):
    p = tmp_path / "mixed.jsonl"
    p.write_text("\n".join(json.dumps(d) for d in [FILE_EVENT, FWD, PROC, SYNC]) + "\n")
    return p


def test_scan_reports_documented_hits(pack, native_file):
    hits = list(scan(pack, all_targets()["native"], [native_file]))
    by_rule = {h["rule_id"]: h for h in hits}
    assert set(hits[0]) == {
        "rule_id",
        "rule_title",
        "level",
        "file",
        "event_index",
        "event_indices",
        "group",
    }
    fwd = by_rule[pack.find("m365_inbox_rule_forwarding").id]
    assert (fwd["event_index"], fwd["event_indices"], fwd["group"]) == (1, [1], {})
    assert by_rule[pack.find("win_exchange_new_mailbox_export_request").id]["event_index"] == 2
    corr = by_rule[pack.find("m365_forwarding_rule_and_mailbox_sync").id]
    assert corr["event_indices"] == [1, 3] and corr["group"] == {"UserId": "alice@contoso.com"}
    assert corr["level"] == "high" and corr["file"] == str(native_file)
    assert 0 not in {i for h in hits for i in h["event_indices"]}


def test_cli_scan_prints_json_lines(cli, pack, native_file):
    result = cli("scan", "--target", "native", str(native_file))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == list(scan(pack, all_targets()["native"], [native_file]))
    names = {pack.find(h["rule_id"]).name for h in lines}
    assert {
        "m365_inbox_rule_forwarding",
        "m365_mailbox_sync_access",
        "win_exchange_new_mailbox_export_request",
    } <= names
    assert [h["event_index"] for h in lines] == sorted(h["event_index"] for h in lines)


def test_scan_of_missing_file_is_a_clean_error(cli, tmp_path):
    result = cli("scan", "--target", "native", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2 and "nope.jsonl: no such file" in result.stderr


def test_scan_of_broken_json_lines_names_the_line(cli, tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text(json.dumps(FWD) + "\n{broken\n")
    result = cli("scan", "--target", "native", str(p))
    # Skipped and reported; the good line is still scanned; exit 4 says records were skipped.
    assert result.returncode == 4 and "bad.jsonl: invalid JSON on line 2" in result.stderr
    assert result.stdout and "in 1 events" in result.stderr


# --- formats, directories, output ---------------------------------------------------------------


def _windows_events(pack, count):
    """Native Windows events of a generated corpus (planted exports included), as the evtx
    parser renders them: every value text, since the writer stores text."""
    corpus = Corpus(pack, "native", seed=3, mix=Mix(attack=0.1, near_miss=0.3))
    fixture = json.loads(
        (
            pack.project.fixtures_dir / "windows" / "win_exchange_new_mailbox_export_request.json"
        ).read_text()
    )
    export = [e for case in fixture["cases"] if case.get("match") for e in case["events"]]
    found = []
    for doc in export[:3] + list(corpus.events(count * 4)):
        event = doc.get("Event")
        if isinstance(event, dict) and "System" in event:
            system = {
                k: (
                    {"#attributes": {a: str(x) for a, x in v["#attributes"].items()}}
                    if isinstance(v, dict)
                    else str(v)
                )
                for k, v in event["System"].items()
            }
            found.append(
                {
                    "System": system,
                    "EventData": {k: str(v) for k, v in event.get("EventData", {}).items()},
                }
            )
        if len(found) == count:
            return found
    return found


def _as_json_event(event):
    return {
        "Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            **event,
        }
    }


def _strip_file(hits):
    return [{**h, "file": Path(h["file"]).name.split(".")[0]} for h in hits]


def test_scan_of_evtx_and_gzip_directory_equals_plain_json_lines(pack, tmp_path):
    native = all_targets()["native"]
    windows = _windows_events(pack, 60)
    # The correlation's own fixture case is planted first, as _windows_events plants the
    # exports: which positive cases a seeded corpus draws changes whenever fixtures are added.
    fixture = json.loads(
        (
            pack.project.fixtures_dir / "m365" / "m365_forwarding_rule_and_mailbox_sync.json"
        ).read_text()
    )
    correlated = next(c for c in fixture["cases"] if c["name"] == "rule_then_sync_same_user")[
        "events"
    ]
    exchange = correlated + [
        json.loads(json.dumps(d))
        for d in Corpus(pack, "native", seed=4, mix=Mix(attack=0.05)).events(400)
    ]
    mixed, plain = tmp_path / "mixed", tmp_path / "plain"
    mixed.mkdir()
    plain.mkdir()
    for i in range(3):
        part = windows[i * 20 : (i + 1) * 20]
        write_evtx(mixed / f"win{i}.evtx", part)
        (plain / f"win{i}.jsonl").write_text(
            "".join(json.dumps(_as_json_event(e)) + "\n" for e in part)
        )
    lines = "".join(json.dumps(d) + "\n" for d in exchange)
    (mixed / "m365.jsonl.gz").write_bytes(gzip.compress(lines.encode()))
    (plain / "m365.jsonl").write_text(lines)
    from_mixed = _strip_file(scan(pack, native, [mixed]))
    from_plain = _strip_file(scan(pack, native, [plain]))
    assert from_mixed == from_plain
    fired = {h["rule_id"] for h in from_plain}
    assert pack.find("win_exchange_new_mailbox_export_request").id in fired
    assert pack.find("m365_forwarding_rule_and_mailbox_sync").id in fired


def test_real_evtx_recordings_scan_like_their_json(pack, tmp_path):
    """The shared corpus' EVTX recordings (never copied here) against their own JSON."""
    shared = Path(os.environ.get("T1114_SHARED", SHARED)) / "corpus"
    recordings = sorted(shared.rglob("*.evtx")) if shared.is_dir() else []
    if not recordings:
        pytest.skip(
            f"no EVTX recordings under {shared} (the shared corpus is not beside this checkout)"
        )
    native = all_targets()["native"]
    for i, recording in enumerate(recordings):
        as_lines = tmp_path / f"r{i}.jsonl"
        as_lines.write_bytes(b"".join(r.text + b"\n" for r in read_records(recording)))
        assert sum(1 for _ in read_records(recording)) > 0
        evtx_hits = [{**h, "file": ""} for h in scan(pack, native, [recording])]
        line_hits = [{**h, "file": ""} for h in scan(pack, native, [as_lines])]
        assert evtx_hits == line_hits


def test_cli_csv_and_summary(cli, pack, native_file):
    result = cli("scan", "--target", "native", "--format", "csv", "--summary", str(native_file))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(list(scan(pack, all_targets()["native"], [native_file]))) >= 4 and list(
        rows[0]
    ) == ["rule_id", "rule_title", "level", "file", "event_index", "event_indices", "group"]
    corr = [r for r in rows if r["group"] != "{}"][0]
    assert json.loads(corr["event_indices"]) == [1, 3] and json.loads(corr["group"]) == {
        "UserId": "alice@contoso.com"
    }
    assert "m365_forwarding_rule_and_mailbox_sync" in result.stderr and "4 events" in result.stderr
    # Not a terminal: no progress line.
    assert "events/s" not in result.stderr


def test_strict_bad_record_anywhere_means_no_output(cli, native_file, tmp_path):
    bad = tmp_path / "z_bad.jsonl"
    bad.write_text(json.dumps(FWD) + "\n{broken\n")
    result = cli("scan", "--target", "native", "--strict", str(native_file), str(bad))
    assert result.returncode == 2 and result.stdout == ""
    assert "z_bad.jsonl: invalid JSON on line 2" in result.stderr


def test_progress_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stats = ScanStats(events=120_000, hits=7)
    shown, quiet = Terminal(), io.StringIO()
    for stream in (shown, quiet):
        progress = Progress(stream, interval=0)
        progress(stats)
        progress.close()
    assert (
        "120,000 events read" in shown.getvalue()
        and "7 hits" in shown.getvalue()
        and "events/s" in shown.getvalue()
    )
    assert quiet.getvalue() == ""


# --- hostile input through the command: skipped, reported, exit 4; --strict stops ------------


def test_many_bad_records_are_reported_in_full_then_counted(cli, tmp_path):
    lines = [json.dumps(FWD)] + ["{broken"] * 12 + ["42", json.dumps(SYNC)]
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = cli("scan", "--target", "native", str(path))
    assert result.returncode == 4, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: skipped ")]
    assert (
        warnings[0]
        == f"warning: skipped {path}: invalid JSON on line 2, column 2: Expecting property name enclosed in double quotes"
    )
    assert len(warnings) == 11 and warnings[-1] == "warning: skipped 3 more bad records"
    assert (
        "warning: 13 bad records skipped in all (12 invalid JSON, 1 not a JSON object)"
        in result.stderr
    )
    assert "in 2 events" in result.stderr  # the good lines were scanned
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert {h["event_index"] for h in hits} == {0, 1}  # skipped records take no position
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "name, bad, message",
    [
        (
            "deep.jsonl",
            b"[" * 100_000 + b"]" * 100_000,
            "nested too deeply on line 2 (over 256 levels)",
        ),
        ("utf8.jsonl", b'{"Operation": "\xff"}', "not UTF-8 text on line 2"),
        ("scalar.jsonl", b"42", "not a JSON object on line 2 (a JSON number)"),
    ],
)
def test_each_hostile_line_is_reported_and_the_scan_exits_4(cli, tmp_path, name, bad, message):
    path = tmp_path / name
    path.write_bytes(
        json.dumps(FWD).encode() + b"\n" + bad + b"\n" + json.dumps(SYNC).encode() + b"\n"
    )
    result = cli("scan", "--target", "native", str(path))
    assert result.returncode == 4, result.stderr
    assert f"warning: skipped {path}: {message}" in result.stderr
    assert "in 2 events" in result.stderr and "Traceback" not in result.stderr


def test_a_json_array_of_numbers_is_not_a_silent_empty_scan(cli, tmp_path):
    path = tmp_path / "numbers.json"
    path.write_text("[1, 2, 3]")
    result = cli("scan", "--target", "native", str(path))
    assert result.returncode == 4 and result.stdout == ""
    assert f"warning: skipped {path}: not a JSON object on item 1 (a JSON number)" in result.stderr
    assert "3 bad records skipped in all (3 not a JSON object)" in result.stderr


def test_strict_stops_at_the_first_bad_record(cli, tmp_path):
    path = tmp_path / "hostile.jsonl"
    path.write_text(json.dumps(FWD) + "\n" + "[" * 100_000 + "\n")
    result = cli("scan", "--target", "native", "--strict", str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert (
        result.stderr.strip().splitlines()[-1]
        == f"error: {path}: nested too deeply on line 2 (over 256 levels)"
    )


def test_a_huge_compressed_line_is_skipped_with_flat_memory(cli, tmp_path):
    from t1114.bench import measure

    # 64 MiB of one line (over the 16 MiB limit) in a few hundred KiB of gzip, between two events.
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write((json.dumps(FWD) + "\n").encode())
        fh.write(b'{"a": "' + b"x" * (64 << 20) + b'"}\n')
        fh.write((json.dumps(SYNC) + "\n").encode())
    run = measure([os.sys.executable, "-m", "t1114", "scan", "--target", "native", str(path)])
    assert run.returncode == 4
    assert f"{path}: line too long on line 2 (over 16,777,216 bytes)" in run.stderr
    assert "in 2 events" in run.stderr
    assert run.peak_rss_mb < 150, run.peak_rss_mb  # the line is never held


def test_a_gzip_stream_is_scanned_in_line_batches_like_one_piece(pack, tmp_path, monkeypatch):
    import t1114.inputs as inputs
    from t1114.scan import Scanner

    monkeypatch.setattr(inputs, "MAX_LINE_BYTES", 2048)
    lines = []
    for n in range(300):
        lines.append(json.dumps(FWD if n % 3 else SYNC))
        if n % 50 == 7:
            lines.append(json.dumps({"a": "x" * 5000}))  # over the (patched) limit
        if n % 70 == 9:
            lines.append("{broken")
    whole = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "s.jsonl.gz"
    path.write_bytes(whole[: int(len(whole) * 0.8)])  # and the stream breaks off
    target = all_targets()["native"]
    runs = []
    for jobs, chunk in ((1, 1 << 20), (2, 1024)):
        scanner = Scanner(pack, target, jobs=jobs, chunk_bytes=chunk)
        runs.append((list(scanner.scan([path])), scanner.stats))
    (one, one_stats), (many, many_stats) = runs
    assert one == many and len(one) > 50
    assert one_stats.reported == many_stats.reported and one_stats.skipped == many_stats.skipped
    assert 0 < one_stats.skipped_by_problem["line too long"] < 6  # the break cut off the later ones
    assert one_stats.skipped_by_problem["not a readable gzip stream"] == 1
    assert f"{path}: line too long on line 9 (over 2,048 bytes)" in one_stats.reported[0]
