"""``t1114 scan``: run the pack over recorded event files and report every hit.

Each hit is one JSON object; the shape is a stable interface used by checks outside the
project: ``rule_id``, ``rule_title``, ``level``, ``file``, ``event_index`` (0-based position of
the event in its file; skipped bad records take no position), ``event_indices`` (all
contributing events, for correlations) and ``group`` (the correlation's group-by values; empty
for single-event rules). Hits come file by file, each file's sorted by event, rule and
contributing events.

How a scan runs:

* the rules are compiled once: to the SQLite engine's form (``t1114.engine``, the fixture
  tests' oracle), to one literal prefilter (``t1114.prefilter``) and, from the same condition
  trees, to generated Python predicates (``t1114.predicates``) and streamed correlations
  (``t1114.correlate``);
* files are cut into *chunks*: a plain JSON Lines file at line starts every ``CHUNK_BYTES``,
  any other file whole. A chunk's events are read, prefiltered, flattened and evaluated by
  the predicates, in worker processes when ``jobs`` > 1, and come back in order with their
  event hits and the matches each correlation needs;
* the main process numbers events across chunks, feeds the correlation matches (bounded
  state per group and window) and merges the file's event hits with its correlation hits.

The chunks, and so the results, are the same whatever ``jobs`` is: a parallel scan prints
exactly what a single-process one does. Rules or correlations the compiled engine does not
take (``predicates.Unsupported``) are run by the SQLite engine instead: event rules event by
event, correlations over a per-file table of their candidate events.
"""

from __future__ import annotations

import collections
import gc
import heapq
import itertools
import multiprocessing
import os
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from t1114 import engine
from t1114.correlate import Correlation, CorrelationState, compile_correlation, plan_seconds
from t1114.errors import PackError
from t1114.events import Event, flatten, is_audit_document, plain_document
from t1114.inputs import (
    BadRecord,
    LineBatch,
    batch_items,
    event_files,
    is_line_stream,
    line_batches,
    read_items,
    split_points,
)
from t1114.loader import Pack
from t1114.predicates import Dispatch, DocumentRow, Row, Unsupported, compile_trees, tree_fields
from t1114.prefilter import (
    TRUE,
    Prefilter,
    RulePrefilter,
    disjunction,
    field_name_words,
    necessary_condition,
)
from t1114.targets import Target, applicable_rules
from t1114.verdicts import Memo

HIT_FIELDS = ("rule_id", "rule_title", "level", "file", "event_index", "event_indices", "group")
CHUNK_BYTES = 8 << 20  # JSON Lines bytes per unit of parallel work
WINDOW = 2  # pieces handed to each worker ahead of the one being merged
REPORTED_IN_FULL = 10  # skipped records described one by one; the rest are counted


def default_jobs() -> int:
    """Worker processes by default: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass
class ScanStats:
    files: int = 0
    events: int = 0
    evaluated: int = 0  # events the prefilter let through to the engine
    hits: int = 0
    by_rule: dict = field(default_factory=dict)  # rule id -> hits
    skipped: int = 0  # bad records
    skipped_by_problem: dict = field(default_factory=dict)  # problem -> count
    reported: list = field(default_factory=list)  # the first skipped records, "path: message"
    second_passes: int = 0  # correlations evaluated again over a file out of time order


def compile_pack(pack: Pack, target: Target) -> list[engine.SqlRule]:
    """The rules the target applies, through its pipeline with the pack's tuning, as the
    fixture tests compile them."""
    collection = pack.collection(applicable_rules(target, pack))
    return engine.compile_sql(collection, target.evaluation_pipeline(pack.tuning))


class CompiledPack:
    """Everything a chunk's evaluation needs; built once, inherited by worker processes."""

    def __init__(
        self,
        rules: list[engine.SqlRule],
        timestamp_fields: Iterable[str],
        prefilter: bool = True,
    ):
        self.timestamp_fields = tuple(timestamp_fields)
        event_rules = sorted((r for r in rules if r.plan is None), key=lambda r: r.id)  # stable
        compiled = compile_trees([r.tree for r in event_rules])
        self.entries = event_rules  # entry number -> rule, in output order
        self.predicates = compiled.functions
        self.dispatch = Dispatch([r.tree for r in event_rules])
        self.unsupported = {r.id: e for r, e in zip(event_rules, compiled.errors, strict=True) if e}
        self.entries_by_id: dict[str, list[int]] = {}
        for n, rule in enumerate(event_rules):
            self.entries_by_id.setdefault(rule.id, []).append(n)
        self.streamed: list[Correlation] = []
        self.fallback: list[engine.SqlRule] = []  # correlations the SQLite plan runs
        for rule in rules:
            if rule.plan is None:
                continue
            try:
                self.streamed.append(compile_correlation(rule))
            except Unsupported as e:
                self.unsupported[rule.id] = str(e)
                self.fallback.append(rule)
        self.fallback_ids = frozenset(r.id for r in self.fallback)
        self.streamed_ids = frozenset(c.rule.id for c in self.streamed)
        # The trees of the correlations' rules that are no event rule, dispatched like event
        # rules: a correlation evaluates only the rules whose trees the event's cells admit.
        slot_trees: dict[tuple[str, int], Any] = {}
        for correlation in self.streamed:
            for slot, trees in zip(
                correlation.slots, correlation.rule.referenced_trees, strict=False
            ):
                if slot.rule_id not in self.entries_by_id:
                    for tree in trees:
                        slot_trees.setdefault((slot.rule_id, id(tree)), tree)
        self.slot_rules = [rule_id for rule_id, _ in slot_trees]
        self.slot_dispatch = Dispatch(list(slot_trees.values()))
        self.entry_fields = [
            tree_fields(r.tree) if f is not None else None
            for r, f in zip(event_rules, self.predicates, strict=True)
        ]
        self._slot_fields = [tree_fields(t) for t in slot_trees.values()]
        self.slot_entries_by_id: dict[str, list[int]] = {}
        for n, rule_id in enumerate(self.slot_rules):
            self.slot_entries_by_id.setdefault(rule_id, []).append(n)
        specs, poor_anchors = prefilter_rules(rules, self.streamed)
        # Without the prefilter (for its tests, and to rule it out when debugging) every
        # rule holds for every event's text: the same as text it cannot judge.
        self.prefilter = Prefilter(
            specs if prefilter else (RulePrefilter(r.rule_id, TRUE) for r in specs), poor_anchors
        )
        self.every_rule = frozenset(r.rule_id for r in specs)
        self._entry_lists: dict[frozenset, tuple[int, ...]] = {}
        self._slot_entry_lists: dict[frozenset, tuple[int, ...]] = {}
        self.memo = Memo()

    def fields_read(self, rules: frozenset) -> frozenset[str] | None:
        """The fields the event rules and the correlations' dispatch read for an event the
        prefilter left ``rules``; ``None`` if a tree's are not known or a rule is run by
        the SQLite engine."""
        fields: set[str] = set()
        for found in itertools.chain(
            (self.entry_fields[n] for n in self.entries_for(rules)),
            (self._slot_fields[n] for n in self.slot_entries_for(rules)),
        ):
            if found is None:
                return None
            fields |= found
        return frozenset(fields)

    def entries_for(self, rules: frozenset) -> tuple[int, ...]:
        return _entries(rules, self.entries_by_id, self._entry_lists)

    def slot_entries_for(self, rules: frozenset) -> tuple[int, ...]:
        return _entries(rules, self.slot_entries_by_id, self._slot_entry_lists)

    def correlation_candidates(
        self, row: Row | DocumentRow, rules: frozenset, matched: frozenset
    ) -> frozenset:
        """The rules a correlation may find the event matches: its event rules that did,
        and its other rules whose trees the event's cells admit."""
        admitted = self.slot_dispatch.admit(row, self.slot_entries_for(rules))
        if not admitted:
            return matched
        slot_rules = self.slot_rules
        return matched.union(slot_rules[n] for n in admitted)


def prefilter_rules(
    rules: list[engine.SqlRule], streamed: Iterable[Correlation] | None = None
) -> tuple[list[RulePrefilter], frozenset]:
    """The prefilter's inputs for compiled rules: each rule's necessary condition (by rule id,
    sorted) and the field names' words (``Prefilter``'s ``poor_anchors``). ``scan`` and
    ``hunt`` build their ``Prefilter`` from this, so an event one skips the other skips too.

    A correlation ``streamed`` (``correlate.compile_correlation`` took it; by default every one
    it takes) is evaluated where one of its rules may match: the prefilter holds the
    referenced rules (as event rules they may not be), not the correlation. Another
    correlation keeps its own condition, the disjunction of its rules' (the SQLite plan runs
    it over its candidate events)."""
    correlations: list[Correlation] = []
    if streamed is not None:
        correlations = list(streamed)
    else:
        for rule in rules:
            if rule.plan is not None:
                try:
                    correlations.append(compile_correlation(rule))
                except Unsupported:
                    pass  # the SQLite plan runs it, over its own condition's candidates
    streamed_ids = {c.rule.id for c in correlations}
    filters = {r.id: r.prefilter for r in rules if r.id not in streamed_ids}
    for correlation in correlations:
        for slot, trees in zip(correlation.slots, correlation.rule.referenced_trees, strict=False):
            filters.setdefault(slot.rule_id, disjunction(necessary_condition(t) for t in trees))
    trees = [r.tree for r in rules] + [
        t for r in rules for ts in r.referenced_trees if ts for t in ts
    ]
    return [RulePrefilter(i, f) for i, f in sorted(filters.items())], field_name_words(trees)


def _entries(rules: frozenset, by_id: dict[str, list[int]], cache: dict) -> tuple[int, ...]:
    entries = cache.get(rules)
    if entries is None:
        if len(cache) >= 4096:  # one per set of rules the prefilter leaves: few
            cache.clear()
        entries = cache[rules] = tuple(sorted(n for r in rules for n in by_id.get(r, ())))
    return entries


@dataclass
class ChunkResult:
    """One chunk's evaluation, event numbers and lines counted from the chunk's start."""

    events: int = 0
    evaluated: int = 0
    lines: int = 0
    hits: array = field(default_factory=lambda: array("q"))  # event, entry, event, entry...
    matches: list = field(default_factory=list)  # (correlation, ts, event, slot, key, value)
    fallback_events: list = field(default_factory=list)  # (event, fields)
    bad: list = field(default_factory=list)  # BadRecord


@dataclass(frozen=True)
class Piece:
    """A unit of work: a byte range of a file, or a batch of a compressed stream's lines (or
    the bad record that ended that stream)."""

    path: Path
    start: int = 0
    end: int | None = None
    batch: LineBatch | BadRecord | None = None


def pieces(path: Path, chunk_bytes: int) -> Iterator[Piece]:
    """How a file is cut: plain JSON Lines at line starts, gzip JSON Lines into line batches
    (read as they are handed out), anything else whole."""
    if is_line_stream(path):
        for batch in line_batches(path, chunk_bytes):
            yield Piece(path, batch=batch)
        return
    for start, end in split_points(path, chunk_bytes):
        yield Piece(path, start, end)


def evaluate_piece(pack: CompiledPack, piece: Piece, strict: bool) -> ChunkResult:
    position: dict = {}
    return evaluate_chunk(pack, piece.path, _piece_items(piece, position), position, strict)


def _piece_items(piece: Piece, position: dict) -> Iterable:
    if isinstance(piece.batch, BadRecord):
        return [piece.batch]
    if piece.batch is not None:
        return batch_items(piece.batch, position)
    return read_items(piece.path, piece.start, piece.end, position)


def evaluate_chunk(
    pack: CompiledPack,
    path: Path,
    items: Iterable,
    position: dict,
    strict: bool,
    only: Correlation | None = None,
) -> ChunkResult:
    """Evaluate one piece's items. ``only``: just that correlation's matches (a second pass)."""
    result = ChunkResult()
    candidates = pack.prefilter.candidates
    every_rule = pack.every_rule
    hits, memo = result.hits, pack.memo
    streamed = [only] if only is not None else pack.streamed
    fallback_ids = frozenset() if only is not None else pack.fallback_ids
    # the correlations an event's possible rules concern, by those rules: few sets of them
    relevant_for: dict[frozenset, list[tuple[int, Correlation]]] = {}
    for item in items:
        if type(item) is BadRecord:
            result.bad.append(item)
            if strict:
                break
            continue
        index = result.events
        result.events += 1
        rules = candidates(item.text)
        if rules is None:
            rules = every_rule
        elif not rules:
            continue
        try:
            row = _row(item)
        except (ValueError, RecursionError) as e:
            result.events -= 1  # not an event after all: it takes no position
            result.bad.append(BadRecord(item_unit(path), item.line, "not an event", f": {e}"))
            if strict:
                break
            continue
        result.evaluated += 1
        matched_rules: set | frozenset | None = None
        possible: frozenset = rules
        if only is None:
            if type(row) is DocumentRow:
                plan, memo_key, verdict = memo.find(row, rules, pack.fields_read)
                if verdict is None:
                    verdict = _verdict(pack, row, rules, index)
                    memo.keep(plan, memo_key, verdict)
            else:
                verdict = _verdict(pack, row, rules, index)
            matched_entries, matched_rules, possible = verdict
            for entry in matched_entries:
                hits.append(index)
                hits.append(entry)
        ts: float | bool | None = (
            False  # not looked up yet: most candidates match no referenced rule
        )
        relevant = relevant_for.get(possible)
        if relevant is None:
            if len(relevant_for) >= 4096:
                relevant_for.clear()
            relevant = relevant_for[possible] = [
                (n, c) for n, c in enumerate(streamed) if not c.slot_ids.isdisjoint(possible)
            ]
        for n, correlation in relevant:
            found = correlation.matches(row, possible, matched_rules, pack.entries_by_id)
            if found and ts is False:
                ts = plan_seconds(engine.timestamp_of(row.fields(), pack.timestamp_fields))
            if ts is None:
                break  # no time, no window: the plan drops the event
            for slot, key, value in found:
                result.matches.append((n, ts, index, slot, key, value))
        if fallback_ids and not fallback_ids.isdisjoint(rules):
            result.fallback_events.append((index, row.fields()))
    result.lines = position.get("lines", 0)
    return result


def _verdict(
    pack: CompiledPack, row: Row | DocumentRow, rules: frozenset, index: int
) -> tuple[tuple[int, ...], frozenset, frozenset]:
    """The event rules the event matches, and the rules a correlation may find it matches."""
    matched_entries = []
    document_row = row if type(row) is DocumentRow else None
    for entry in pack.dispatch.admit(row, pack.entries_for(rules)):
        predicate = pack.predicates[entry]
        if predicate is None:
            matched = _sqlite_matches(
                pack.entries[entry], index, row.fields(), pack.timestamp_fields
            )
        elif document_row is not None:
            # One rule's answer, remembered by its own fields: it repeats where the
            # verdict of all rules (remembered by all their fields) does not.
            plan, key, matched = pack.memo.find(document_row, entry, pack.entry_fields.__getitem__)
            if matched is None:
                matched = predicate(row)
                pack.memo.keep(plan, key, matched)
        else:
            matched = predicate(row)
        if matched:
            matched_entries.append(entry)
    matched_rules = frozenset(pack.entries[entry].id for entry in matched_entries)
    possible = pack.correlation_candidates(row, rules, matched_rules) if pack.streamed else rules
    return tuple(matched_entries), matched_rules, possible


def _row(item) -> Row | DocumentRow:
    """The event's cells; a plain JSON document is not flattened whole (``DocumentRow``)."""
    if item.flat and item.doc is not None:
        return Row(item.doc)
    document = item.document()
    if is_audit_document(document):
        return Row(flatten(document))
    return DocumentRow(plain_document(document))


def item_unit(path: Path) -> str:
    return "record" if str(path).lower().endswith(".evtx") else "line"


def _sqlite_matches(rule: engine.SqlRule, index: int, fields: dict, timestamp_fields) -> bool:
    return bool(engine.run([rule], [Event(index, fields)], timestamp_fields))


# --- worker processes ------------------------------------------------------------------------

_WORKER_PACK: CompiledPack | None = None  # set before the pool forks: workers inherit it


def _evaluate_job(job: tuple) -> ChunkResult:
    piece, strict = job
    assert _WORKER_PACK is not None, "the pool's initialiser sets the pack"
    return evaluate_piece(_WORKER_PACK, piece, strict)


class Scanner:
    """The pack compiled for one target, ready to scan any number of files."""

    def __init__(
        self,
        pack: Pack,
        target: Target,
        jobs: int = 1,
        strict: bool = False,
        chunk_bytes: int = CHUNK_BYTES,
        prefilter: bool = True,
    ):
        rules = compile_pack(pack, target)
        self.rules = {r.id: r for r in rules}
        self.compiled = CompiledPack(rules, target.timestamp_fields, prefilter)
        self.jobs = max(1, jobs)
        self.strict = strict
        self.chunk_bytes = chunk_bytes
        self.stats = ScanStats()

    def scan(
        self, paths: Iterable[Path], progress: Callable[[ScanStats], None] | None = None
    ) -> Iterator[dict]:
        files = event_files(paths)
        jobs = ((piece, self.strict) for path in files for piece in pieces(path, self.chunk_bytes))
        current: _FileScan | None = None
        for job, result in self._run(jobs):
            path = job[0].path
            if current is not None and current.path != path:
                yield from current.finish()
                current = None
            if current is None:
                current = _FileScan(self, path)
            current.add(result)
            if progress:
                progress(self.stats)
        if current is not None:
            yield from current.finish()
        # A file without events still counts as scanned.
        self.stats.files = len(files)

    def _run(self, jobs: Iterator[tuple]) -> Iterator[tuple[tuple, ChunkResult]]:
        """Results in job order. Jobs are made as results are taken, at most ``WINDOW`` per
        worker ahead, so a compressed file's batches are never all held at once."""
        global _WORKER_PACK
        first = next(jobs, None)
        if first is None:
            return
        second = next(jobs, None)
        if self.jobs == 1 or second is None:
            for job in itertools.chain([first], [second] if second else [], jobs):
                yield job, evaluate_piece(self.compiled, *job)
            return
        _WORKER_PACK = self.compiled
        # The compiled pack is old and immortal: collections need not walk it again, in the
        # workers (forked with it) or here.
        gc.freeze()
        try:
            with multiprocessing.get_context("fork").Pool(self.jobs) as pool:
                pending: collections.deque = collections.deque()
                for job in itertools.chain([first, second], jobs):
                    pending.append((job, pool.apply_async(_evaluate_job, (job,))))
                    if len(pending) >= WINDOW * self.jobs:
                        job, result = pending.popleft()
                        yield job, result.get()
                while pending:
                    job, result = pending.popleft()
                    yield job, result.get()
        finally:
            _WORKER_PACK = None


class _FileScan:
    """One file's chunks put together: numbering, correlations, the file's ordered hits."""

    def __init__(self, scanner: Scanner, path: Path):
        self.scanner = scanner
        self.path = path
        self.compiled = scanner.compiled
        self.events = 0
        self.lines = 0
        self.hits = array("q")
        self.states = [CorrelationState(c) for c in self.compiled.streamed]
        # the SQLite table of fallback correlations' candidate events
        self.store: engine.EventTable | None = None

    def add(self, result: ChunkResult) -> None:
        stats = self.scanner.stats
        offset = self.events
        for bad in result.bad:
            self._skip(bad, self.lines)
        hits = result.hits
        if offset:
            hits = array("q", (v + offset if not n % 2 else v for n, v in enumerate(hits)))
        self.hits.extend(hits)
        states = self.states
        for n, ts, index, slot, key, value in result.matches:
            states[n].add(ts, index + offset, slot, key, value)
        if result.fallback_events:
            if self.store is None:
                self.db = engine.connect("")  # a private file on disk
                self.store = engine.EventTable(self.db, self.compiled.timestamp_fields)
            self.store.insert(Event(i + offset, f) for i, f in result.fallback_events)
        self.events += result.events
        self.lines += result.lines
        stats.events += result.events
        stats.evaluated += result.evaluated

    def _skip(self, bad: BadRecord, line_offset: int) -> None:
        stats = self.scanner.stats
        number = bad.number + line_offset if bad.unit == "line" else bad.number
        if self.scanner.strict:
            raise PackError(self.path, bad.message(number))
        stats.skipped += 1
        stats.skipped_by_problem[bad.problem] = stats.skipped_by_problem.get(bad.problem, 0) + 1
        if len(stats.reported) < REPORTED_IN_FULL:
            stats.reported.append(f"{self.path}: {bad.message(number)}")

    def finish(self) -> Iterator[dict]:
        alerts: list[tuple] = []
        for state in self.states:
            if state.late:
                state = self._again(state.correlation)
            alerts.extend(state.finish())
        if self.store is not None:
            try:
                for rule in self.compiled.fallback:
                    for hit in engine.run_rule(self.db, rule):
                        record = hit_record(hit, self.path)
                        alerts.append(
                            (
                                (
                                    record["event_index"],
                                    hit.rule_id,
                                    tuple(record["event_indices"]),
                                ),
                                hit,
                            )
                        )
            finally:
                self.db.close()
        alerts.sort(key=lambda a: a[0])
        stats = self.scanner.stats
        for record in heapq.merge(
            self._event_hits(), (hit_record(h, self.path) for _, h in alerts), key=_order
        ):
            stats.hits += 1
            stats.by_rule[record["rule_id"]] = stats.by_rule.get(record["rule_id"], 0) + 1
            yield record

    def _again(self, correlation: Correlation) -> CorrelationState:
        """A correlation whose matches came too far out of order: the whole file again, with
        nothing dropped (exact, at the cost of holding the file's matches)."""
        self.scanner.stats.second_passes += 1
        state = CorrelationState(correlation, lateness=float("inf"))
        result = evaluate_chunk(
            self.compiled, self.path, read_items(self.path), {}, False, only=correlation
        )
        for _, ts, index, slot, key, value in result.matches:
            state.add(ts, index, slot, key, value)
        return state

    def _event_hits(self) -> Iterator[dict]:
        entries, path, hits = self.compiled.entries, str(self.path), self.hits
        for n in range(0, len(hits), 2):
            index, rule = hits[n], entries[hits[n + 1]]
            yield {
                "rule_id": rule.id,
                "rule_title": rule.title,
                "level": rule.level,
                "file": path,
                "event_index": index,
                "event_indices": [index],
                "group": {},
            }


def _order(record: dict) -> tuple:
    return record["event_index"], record["rule_id"], record["event_indices"]


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


def scan(
    pack: Pack, target: Target, paths: Iterable[Path], progress=None, jobs: int = 1
) -> Iterator[dict]:
    """Every hit of the pack in the files, file by file."""
    return Scanner(pack, target, jobs=jobs).scan(paths, progress)
