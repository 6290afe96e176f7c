"""``t1114 scan``: run the pack over recorded event files and report every hit.

Each hit is one JSON object; the shape is a stable interface used by checks outside the
project: ``rule_id``, ``rule_title``, ``level``, ``file``, ``event_index`` (0-based position of
the event in its file), ``event_indices`` (all contributing events, for correlations) and
``group`` (the correlation's group-by values; empty for single-event rules).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Iterator

from t1114 import engine
from t1114.errors import PackError
from t1114.events import read_events
from t1114.loader import Pack
from t1114.targets import Target, applicable_rules

EVENT_FILE_SUFFIXES = (".json", ".jsonl", ".ndjson")
# Linux audit logs keep auditd's names: audit.log and its rotations audit.log.1, ...
AUDIT_LOG_NAME = re.compile(r"audit\.log(\.\d+)?")


def _is_event_file(path: Path) -> bool:
    return path.suffix.lower() in EVENT_FILE_SUFFIXES or AUDIT_LOG_NAME.fullmatch(path.name) is not None


def event_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file() and _is_event_file(f)))
        elif p.exists():
            files.append(p)
        else:
            raise PackError(p, "no such file or directory")
    return files


def scan(pack: Pack, target: Target, paths: Iterable[Path]) -> Iterator[dict]:
    applicable = applicable_rules(target, pack)
    rules = engine.compile_sql(pack.collection(applicable), target.evaluation_pipeline(pack.tuning))
    for path in event_files(paths):
        events = list(read_events(path))
        hits = engine.run(rules, events, target.timestamp_fields)
        records = []
        for hit in hits:
            indices = sorted(hit.event_indices)
            records.append(
                {
                    "rule_id": hit.rule_id,
                    "rule_title": hit.rule_title,
                    "level": hit.level,
                    "file": str(path),
                    # A correlation fires on the event that completes it: its last one.
                    "event_index": indices[-1],
                    "event_indices": indices,
                    "group": hit.group,
                }
            )
        records.sort(key=lambda r: (r["event_index"], r["rule_id"], r["event_indices"]))
        yield from records
