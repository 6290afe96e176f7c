"""The scan (compiled predicates, streamed correlations, chunks, worker processes) gives
exactly the hits of the fixture-test engine run over whole files.

The oracle (tests/reference_scan.py) is the scan as it was before streaming: every event read
with the standard library into one SQLite table, every rule run over it by t1114.engine.run.
Both run over every fixture and over generated corpora written in every style the readers
meet (wrappers, escapes, non-ASCII, case changes, numbers as text), for every target,
correlations included; chunks are made small so that correlation windows and event numbers
cross chunk boundaries, and a file out of time order takes the correlations' exact second pass.
"""

from __future__ import annotations

import gzip
import json
import random

import pytest

from reference_scan import reference_hits
from t1114.corpus import Corpus, Mix, fixture_cases
from t1114.events import AUDITD_RECORDS
from t1114.scan import Scanner
from t1114.targets import all_targets, applicable_rules

TARGETS = sorted(all_targets())


def _scan(pack, target, files, chunk_bytes=1 << 20, jobs=1):
    scanner = Scanner(pack, target, jobs=jobs, chunk_bytes=chunk_bytes)
    return list(scanner.scan(files)), scanner


@pytest.mark.parametrize("target_name", TARGETS)
def test_the_compiled_engine_takes_every_rule_of_the_pack(pack, target_name):
    """No rule of the pack falls back to the SQLite engine (which would be correct, but slow)."""
    scanner = Scanner(pack, all_targets()[target_name])
    assert scanner.compiled.unsupported == {}
    assert len(scanner.compiled.streamed) == sum(
        1 for r in scanner.rules.values() if r.plan is not None
    )


def _write_lines(path, docs):
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    return path


@pytest.mark.parametrize("target_name", TARGETS)
def test_every_fixture_case_gives_the_reference_hits(pack, tmp_path, target_name):
    target = all_targets()[target_name]
    cases = fixture_cases(pack, target.shape)
    every = cases.positive + cases.negative
    # Cases in groups of eight, and all in one file: correlations also meet other cases' events.
    files = [
        _write_lines(
            tmp_path / f"cases{i:03d}.jsonl", [e for events in every[i : i + 8] for e in events]
        )
        for i in range(0, len(every), 8)
    ]
    files.append(_write_lines(tmp_path / "all.jsonl", [e for events in every for e in events]))
    new, _ = _scan(pack, target, files)
    assert new == reference_hits(pack, target, files)
    applicable = {r.id for r in applicable_rules(target, pack)}
    assert {h["rule_id"] for h in new} >= applicable, "every rule fires on its own fixtures"


def _perturb(doc, rng):
    """The same event as another exporter might write it, or with values only Sigma's
    semantics still match (case, numbers as text)."""
    if isinstance(doc, dict):  # raw audit records stay parseable
        return {k: v if k == AUDITD_RECORDS else _perturb(v, rng) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_perturb(v, rng) for v in doc]
    if isinstance(doc, str):
        roll = rng.random()
        if roll < 0.05:
            return doc.swapcase()
        if roll < 0.07:
            return doc + " – ünïcödé"
        if roll < 0.09:  # letters Unicode case-folds to ASCII: K (Kelvin) is k, ſ is s
            return doc.replace("k", "\u212a").replace("s", "\u017f")
        return doc
    if isinstance(doc, int) and not isinstance(doc, bool) and rng.random() < 0.1:
        return rng.choice([str(doc), float(doc)])
    return doc


def _escaping_letters(value, rng) -> str:
    """JSON text with some ASCII letters written as \\u escapes, as JSON allows."""
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(
                _escaping_letters(k, rng) + ":" + _escaping_letters(v, rng)
                for k, v in value.items()
            )
            + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(_escaping_letters(v, rng) for v in value) + "]"
    if isinstance(value, str):
        return (
            '"'
            + "".join(
                f"\\u{ord(c):04x}" if c.isalpha() and rng.random() < 0.3 else json.dumps(c)[1:-1]
                for c in value
            )
            + '"'
        )
    return json.dumps(value)


def _line(doc, rng, shape) -> str:
    style = rng.random()
    if style < 0.05:
        return _escaping_letters(doc, rng)
    if style < 0.1:
        return json.dumps(doc, ensure_ascii=True)  # \u escapes for non-ASCII
    if style < 0.2:
        return json.dumps(doc, ensure_ascii=False).replace("/", "\\/")  # escaped slashes
    if style < 0.3 and shape == "splunk":
        return json.dumps({"preview": False, "offset": 0, "result": doc})
    if style < 0.3 and shape == "elastic":
        return json.dumps({"_index": "logs-x", "_id": str(rng.random()), "_source": doc})
    if style < 0.33:
        return json.dumps({"results": [doc]})
    if style < 0.35:
        return ""  # a blank line, not an event
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("target_name", TARGETS)
def test_generated_corpus_gives_the_reference_hits(pack, tmp_path, target_name):
    target = all_targets()[target_name]
    rng = random.Random(8)
    corpus = Corpus(pack, target.shape, seed=8, mix=Mix(attack=0.02))
    docs = [_perturb(d, rng) for d in corpus.events(2500)]
    lines = [_line(d, rng, target.shape) for d in docs]
    plain = tmp_path / "corpus.jsonl"
    plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    packed = tmp_path / "corpus.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    array = tmp_path / "corpus.json"
    array.write_text(json.dumps(docs, indent=1), encoding="utf-8")
    files = [plain, packed, array]
    # Small chunks make event numbers and correlation windows cross many chunk boundaries.
    new, scanner = _scan(pack, target, files, chunk_bytes=8192)
    expected = reference_hits(pack, target, files)
    assert new == expected
    assert corpus.planted > 5 and len(new) > corpus.planted
    if scanner.compiled.streamed:
        assert any(len(h["event_indices"]) > 1 for h in new), "correlations fired"
    assert scanner.stats.evaluated < 0.9 * scanner.stats.events, (
        "the prefilter spared the engine events"
    )
    parallel, _ = _scan(pack, target, files, chunk_bytes=8192, jobs=2)
    assert parallel == expected


@pytest.mark.parametrize("target_name", ["native", "elastic"])
def test_a_file_out_of_time_order_gives_the_reference_hits(pack, tmp_path, target_name):
    """Blocks of a corpus written in reverse: matches arrive long after their windows would
    have closed, and the correlations are evaluated again over the whole file."""
    target = all_targets()[target_name]
    corpus = Corpus(pack, target.shape, seed=11, mix=Mix(attack=0.03, mean_step_ms=5000.0))
    docs = list(corpus.events(1500))
    blocks = [docs[i : i + 300] for i in range(0, len(docs), 300)]
    path = _write_lines(tmp_path / "reversed.jsonl", [d for b in reversed(blocks) for d in b])
    new, scanner = _scan(pack, target, [path], chunk_bytes=16384)
    assert new == reference_hits(pack, target, [path])
    assert any(h["group"] for h in new), "correlations fired"
    assert scanner.stats.second_passes > 0, "the order was bad enough for the second pass"
