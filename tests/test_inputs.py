"""Event file readers: every format, streamed, with the events (and errors) of the reference."""

from __future__ import annotations

import gzip
import json

import pytest

from evtx_writer import write_evtx
from reference_scan import reference_documents
from t1114.errors import PackError
from t1114.inputs import event_files, read_records

DOCS = [{"a": 1, "s": "x/y"}, {"a": 2, "nested": {"b": [1, 2]}}, {"a": 3}]


def documents(path):
    return [r.document() for r in read_records(path)]


def _write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return p


EXPORTS = {
    "lines.jsonl": "\n".join(json.dumps(d) for d in DOCS) + "\n",
    "crlf_and_blank.jsonl": "\r\n".join(json.dumps(d) for d in DOCS) + "\r\n\r\n   \n",
    "array.json": json.dumps(DOCS, indent=2),
    "hits.json": json.dumps(
        {
            "took": 3,
            "hits": {
                "total": {"value": 3},
                "hits": [{"_id": str(i), "_source": d} for i, d in enumerate(DOCS)],
            },
        },
        indent=1,
    ),
    "hits_one_line.json": json.dumps({"hits": {"hits": [{"_source": d} for d in DOCS]}}),
    "splunk_results.json": json.dumps(
        {"preview": False, "fields": [{"name": "a"}], "results": DOCS}, indent=1
    ),
    "splunk_lines.json": "\n".join(json.dumps({"preview": False, "result": d}) for d in DOCS),
    "es_lines.ndjson": "\n".join(json.dumps({"_index": "i", "_source": d}) for d in DOCS),
    "mixed_lines.jsonl": json.dumps({"results": DOCS[:2]}) + "\n" + json.dumps(DOCS[2]) + "\n",
    "pretty_source.json": json.dumps({"_index": "i", "_source": DOCS[0]}, indent=2),
    "single.json": json.dumps(DOCS[0], indent=2),
}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_every_export_shape_gives_the_reference_events(tmp_path, name):
    path = _write(tmp_path, name, EXPORTS[name])
    expected = reference_documents(path)
    assert documents(path) == expected
    assert expected  # the reference found events to compare


def test_gzip_is_recognised_by_content(tmp_path):
    path = _write(tmp_path, "events.jsonl.gz", gzip.compress(EXPORTS["lines.jsonl"].encode()))
    assert documents(path) == DOCS
    renamed = _write(tmp_path, "export.bin", gzip.compress(EXPORTS["array.json"].encode()))
    assert documents(renamed) == DOCS


def test_records_carry_the_line_text_for_the_prefilter(tmp_path):
    path = _write(tmp_path, "lines.jsonl", EXPORTS["splunk_lines.json"])
    records = list(read_records(path))
    assert all(b'"result"' in r.text for r in records)
    streamed = list(read_records(_write(tmp_path, "a.json", EXPORTS["array.json"])))
    assert [json.loads(r.text) for r in streamed] == DOCS


def test_big_integers_and_nan_read_as_the_standard_library_reads_them(tmp_path):
    path = _write(tmp_path, "n.jsonl", '{"big": 123456789012345678901234567890}\n{"x": NaN}\n')
    docs = documents(path)
    assert docs[0]["big"] == 123456789012345678901234567890
    assert docs[1]["x"] != docs[1]["x"]  # NaN


def test_a_document_bigger_than_the_probe_is_streamed(tmp_path, monkeypatch):
    import t1114.inputs as inputs

    monkeypatch.setattr(inputs, "_PROBE", 64)
    path = _write(tmp_path, "big.json", json.dumps({"results": DOCS * 10}))
    assert documents(path) == DOCS * 10


def test_evtx_records_are_the_parsers_json(tmp_path):
    event = {
        "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
            "EventID": "1",
            "Channel": "Microsoft-Windows-Sysmon/Operational",
        },
        "EventData": {"CommandLine": "cmd /c echo ü", "Image": "C:\\Windows\\cmd.exe"},
    }
    path = tmp_path / "s.evtx"
    write_evtx(path, [event, event])
    docs = documents(path)
    assert len(docs) == 2
    assert docs[0]["Event"]["System"]["EventID"] == "1"
    assert docs[0]["Event"]["EventData"] == event["EventData"]


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("bad.jsonl", '{"a": 1}\n{broken\n', "invalid JSON on line 2"),
        ("scalar.jsonl", '{"a": 1}\n42\n', "not a JSON object on line 2"),
        ("latin1.jsonl", b'{"a": 1}\n{"a": "\xe9"}\n', "not UTF-8 text"),
        ("latin1.json", b'{"a": "\xe9"}', "invalid JSON: lexical error"),
        ("bom.jsonl", b'\xef\xbb\xbf{"a": 1}\n', "invalid JSON on line 1"),
        ("cut.json", '[{"a": 1}, {"a": ', "invalid JSON"),
        ("bad.gz", b"\x1f\x8b\x08\x00garbage", "gzip"),
        ("bad.evtx", b"ElfFile\x00" + bytes(100), "cannot read EVTX file"),
    ],
)
def test_bad_input_is_one_error_naming_the_file(tmp_path, name, data, message):
    path = _write(tmp_path, name, data)
    with pytest.raises(PackError) as e:
        list(read_records(path))
    assert message in str(e.value) and str(path) in str(e.value)


def test_directories_are_searched_for_every_supported_format(tmp_path):
    for name in ("a.jsonl", "b.json.gz", "c.evtx", "sub/d.ndjson", "notes.txt", "e.JSONL.GZ"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    found = [p.relative_to(tmp_path).as_posix() for p in event_files([tmp_path])]
    assert found == ["a.jsonl", "b.json.gz", "c.evtx", "e.JSONL.GZ", "sub/d.ndjson"]
    with pytest.raises(PackError, match="no such file"):
        event_files([tmp_path / "missing"])


# --- hostile input: each bad record is skipped, located and described; reading goes on ---------


def items(path):
    from t1114.inputs import BadRecord

    found = list(__import__("t1114.inputs", fromlist=["read_items"]).read_items(path))
    return (
        [i.document() for i in found if not isinstance(i, BadRecord)],
        [i.message() for i in found if isinstance(i, BadRecord)],
    )


GOOD = json.dumps({"a": 1})


@pytest.mark.parametrize(
    "name, data, problem",
    [
        ("json.jsonl", f"{GOOD}\n{{broken\n{GOOD}\n", "invalid JSON on line 2, column 2"),
        (
            "utf8.jsonl",
            f"{GOOD}\n".encode() + b'{"a": "\xff"}\n' + f"{GOOD}\n".encode(),
            "not UTF-8 text on line 2",
        ),
        ("scalar.jsonl", f"{GOOD}\n42\n{GOOD}\n", "not a JSON object on line 2 (a JSON number)"),
        (
            "deep.jsonl",
            f"{GOOD}\n" + "[" * 100_000 + "]" * 100_000 + f"\n{GOOD}\n",
            "nested too deeply on line 2",
        ),
        (
            "deep_object.jsonl",
            f"{GOOD}\n" + '{"a":' * 300 + "1" + "}" * 300 + f"\n{GOOD}\n",
            "nested too deeply on line 2",
        ),
    ],
)
def test_a_bad_line_is_skipped_and_named_and_the_rest_is_read(tmp_path, name, data, problem):
    docs, bad = items(_write(tmp_path, name, data))
    assert docs == [{"a": 1}, {"a": 1}]
    assert len(bad) == 1 and bad[0].startswith(problem), bad


def test_a_json_array_of_numbers_is_reported_not_silently_empty(tmp_path):
    docs, bad = items(_write(tmp_path, "numbers.json", '[1, 2, {"a": 1}, 3]'))
    assert docs == [{"a": 1}]
    assert bad == [
        "not a JSON object on item 1 (a JSON number)",
        "not a JSON object on item 2 (a JSON number)",
        "not a JSON object on item 4 (a JSON number)",
    ]


def test_a_line_over_the_limit_is_skipped_as_it_streams(tmp_path, monkeypatch):
    import t1114.inputs as inputs

    monkeypatch.setattr(inputs, "MAX_LINE_BYTES", 4096)
    monkeypatch.setattr(inputs, "BLOCK_BYTES", 1000)
    long_line = json.dumps({"a": "x" * 50_000})
    docs, bad = items(_write(tmp_path, "long.jsonl", f"{GOOD}\n{long_line}\n{GOOD}\n{long_line}"))
    assert docs == [{"a": 1}, {"a": 1}]
    assert bad == [
        "line too long on line 2 (over 4,096 bytes)",
        "line too long on line 4 (over 4,096 bytes)",
    ]


def test_a_truncated_gzip_keeps_what_came_before(tmp_path):
    whole = gzip.compress(
        "".join(json.dumps({"n": n, "pad": "y" * 200}) + "\n" for n in range(2000)).encode()
    )
    docs, bad = items(_write(tmp_path, "cut.jsonl.gz", whole[: len(whole) // 2]))
    assert 0 < len(docs) < 2000 and docs == [{"n": n, "pad": "y" * 200} for n in range(len(docs))]
    assert (
        len(bad) == 1
        and bad[0].startswith("not a readable gzip stream")
        and "rest of the file is skipped" in bad[0]
    )


def test_a_corrupt_gzip_is_one_bad_record(tmp_path):
    docs, bad = items(_write(tmp_path, "bad.gz", b"\x1f\x8b\x08\x00garbage-garbage-garbage"))
    assert docs == [] and len(bad) == 1 and bad[0].startswith("not a readable gzip stream")


def test_a_damaged_evtx_record_is_skipped_and_the_others_read(tmp_path):
    from evtx_writer import CHUNK_HEADER, FILE_HEADER

    event = {
        "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
            "EventID": "1",
            "Channel": "Microsoft-Windows-Sysmon/Operational",
        },
        "EventData": {"CommandLine": "cmd /c echo x", "Image": "C:\\Windows\\cmd.exe"},
    }
    path = tmp_path / "damaged.evtx"
    write_evtx(path, [event] * 5)
    data = bytearray(path.read_bytes())
    at = FILE_HEADER + CHUNK_HEADER + 300  # inside the first record
    data[at : at + 40] = b"\xff" * 40
    path.write_bytes(bytes(data))
    docs, bad = items(path)
    assert len(docs) == 4
    assert len(bad) == 1 and bad[0].startswith("damaged EVTX record on record 1")


def test_split_points_start_lines_and_cover_the_file(tmp_path):
    from t1114.inputs import read_items, split_points

    lines = [json.dumps({"n": n}) for n in range(500)]
    path = _write(tmp_path, "many.jsonl", "\n".join(lines) + "\n")
    ranges = split_points(path, 1000)
    assert len(ranges) > 5 and ranges[0][0] == 0 and ranges[-1][1] is None
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    read = [r.document()["n"] for start, end in ranges for r in read_items(path, start, end)]
    assert read == list(range(500))
    assert split_points(_write(tmp_path, "a.json", json.dumps([{"n": 1}] * 300)), 100) == [
        (0, None)
    ]
