"""``t1114 scan``: run the pack over recorded event files and report every hit.

Each hit is one JSON object; the shape is a stable interface used by checks outside the
project: ``rule_id``, ``rule_title``, ``level``, ``file``, ``event_index`` (0-based position of
the event in its file), ``event_indices`` (all contributing events, for correlations) and
``group`` (the correlation's group-by values; empty for single-event rules). Hits come file by
file, each file's sorted by event, rule and contributing events.

The rules are compiled once, to the SQL of the engine the fixture tests use and to one
literal prefilter. Events stream through: the prefilter drops those no rule can match (most
of them) from their JSON text; the others are evaluated in batches by the same SQLite engine,
so a hit here is a hit in ``t1114 test``. Correlations see every event that can belong to
them: those are kept, per file, in a SQLite file on disk with each file's hits until the
file ends, so memory stays flat however many events a file holds.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from t1114 import engine
from t1114.events import Event
from t1114.inputs import event_files, read_records
from t1114.loader import Pack
from t1114.prefilter import Prefilter, RulePrefilter
from t1114.targets import Target, applicable_rules

HIT_FIELDS = ("rule_id", "rule_title", "level", "file", "event_index", "event_indices", "group")
BATCH_EVENTS = 2000
PROGRESS_EVERY = 1 << 13  # events between progress reports


@dataclass
class ScanStats:
    files: int = 0
    events: int = 0
    evaluated: int = 0  # events the prefilter let through to the engine
    hits: int = 0
    by_rule: dict = field(default_factory=dict)  # rule id -> hits


def compile_pack(pack: Pack, target: Target) -> list[engine.SqlRule]:
    """The rules the target applies, through its pipeline with the pack's tuning, as the
    fixture tests compile them."""
    collection = pack.collection(applicable_rules(target, pack))
    return engine.compile_sql(collection, target.evaluation_pipeline(pack.tuning))


class Scanner:
    """The pack compiled for one target, ready to scan any number of files."""

    def __init__(self, pack: Pack, target: Target, batch_size: int = BATCH_EVENTS):
        rules = compile_pack(pack, target)
        self.rules = {r.id: r for r in rules}
        self.event_rules = frozenset(r.id for r in rules if r.plan is None)
        self.correlations = [r for r in rules if r.plan is not None]
        self.correlated = frozenset(r.id for r in self.correlations)
        self.every_rule = frozenset(self.rules)
        self.prefilter = Prefilter(RulePrefilter(r.id, r.prefilter) for r in rules)
        self.timestamp_fields = target.timestamp_fields
        self.batch_size = batch_size
        self.stats = ScanStats()

    def scan(self, paths: Iterable[Path], progress: Callable[[ScanStats], None] | None = None) -> Iterator[dict]:
        for path in event_files(paths):
            yield from self.scan_file(path, progress)

    def scan_file(self, path: Path, progress: Callable[[ScanStats], None] | None = None) -> Iterator[dict]:
        file_scan = _FileScan(self, path)
        try:
            file_scan.read(progress)
            yield from file_scan.sorted_hits()
        finally:
            file_scan.close()
        self.stats.files += 1


class _FileScan:
    """One file's scan: the batch being collected, the correlation store, the hit spool."""

    def __init__(self, scanner: Scanner, path: Path):
        self.scanner = scanner
        self.path = path
        self.batch: list[Event] = []  # events for the event rules
        self.batch_rules: set[str] = set()
        self.correlation_batch: list[Event] = []  # events for the correlation store
        # "" is a private temporary database on disk: it holds what the file needs kept.
        self.db = engine.connect("")
        self.db.execute("CREATE TABLE t1114_hits (event_index INTEGER, rule_id TEXT, indices TEXT, record TEXT)")
        self.store = engine.EventTable(self.db, scanner.timestamp_fields) if scanner.correlations else None

    def read(self, progress) -> None:
        s = self.scanner
        stats = s.stats
        candidates = s.prefilter.candidates
        every_rule, event_rules, correlated = s.every_rule, s.event_rules, s.correlated
        before = stats.events
        count = 0
        for count, record in enumerate(read_records(self.path), 1):
            if not count % PROGRESS_EVERY:
                stats.events = before + count
                if progress:
                    progress(stats)
            rules = candidates(record.text)
            if rules is None:
                rules = every_rule
            elif not rules:
                continue
            event = Event(count - 1, record.fields())
            stats.evaluated += 1
            if rules & event_rules:
                self.batch.append(event)
                self.batch_rules.update(rules & event_rules)
            if self.store is not None and rules & correlated:
                self.correlation_batch.append(event)
            if len(self.batch) + len(self.correlation_batch) >= s.batch_size:
                self._flush()
        stats.events = before + count
        self._flush()
        for rule in s.correlations:
            self._add_hits(engine.run_rule(self.db, rule))
        if progress:
            progress(stats)

    def _flush(self) -> None:
        if self.batch:
            rules = [self.scanner.rules[r] for r in sorted(self.batch_rules)]
            self._add_hits(engine.run(rules, self.batch, self.scanner.timestamp_fields))
        if self.correlation_batch and self.store is not None:
            self.store.insert(self.correlation_batch)
        self.batch, self.batch_rules, self.correlation_batch = [], set(), []

    def _add_hits(self, hits: list[engine.Hit]) -> None:
        rows = []
        stats = self.scanner.stats
        for hit in hits:
            record = hit_record(hit, self.path)
            indices = ",".join(f"{i:012d}" for i in record["event_indices"])
            rows.append((record["event_index"], record["rule_id"], indices, json.dumps(record)))
            stats.by_rule[hit.rule_id] = stats.by_rule.get(hit.rule_id, 0) + 1
        stats.hits += len(rows)
        self.db.executemany("INSERT INTO t1114_hits VALUES (?, ?, ?, ?)", rows)

    def sorted_hits(self) -> Iterator[dict]:
        # rowid last: records equal in every key keep the engine's order.
        cursor = self.db.execute("SELECT record FROM t1114_hits ORDER BY event_index, rule_id, indices, rowid")
        for (record,) in cursor:
            yield json.loads(record)

    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass


def hit_record(hit: engine.Hit, path: Path) -> dict:
    indices = sorted(hit.event_indices)
    return {
        "rule_id": hit.rule_id,
        "rule_title": hit.rule_title,
        "level": hit.level,
        "file": str(path),
        # A correlation fires on the event that completes it: its last one.
        "event_index": indices[-1],
        "event_indices": indices,
        "group": hit.group,
    }


def scan(pack: Pack, target: Target, paths: Iterable[Path], progress=None) -> Iterator[dict]:
    """Every hit of the pack in the files, file by file."""
    return Scanner(pack, target).scan(paths, progress)
