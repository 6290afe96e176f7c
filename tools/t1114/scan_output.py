"""Writing scan results: hits as JSON Lines or CSV, and the per-rule summary."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TextIO

from t1114.loader import Pack
from t1114.scan import HIT_FIELDS, ScanStats


def write_hits(hits: Iterable[dict], out: TextIO, fmt: str = "jsonl") -> int:
    """Write hit records; returns how many. CSV cells of lists and objects hold their JSON."""
    count = 0
    if fmt == "jsonl":
        for hit in hits:
            out.write(json.dumps(hit) + "\n")
            count += 1
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HIT_FIELDS)
        for hit in hits:
            writer.writerow([_csv_cell(hit[f]) for f in HIT_FIELDS])
            count += 1
    else:
        raise ValueError(f"unknown output format '{fmt}'")
    return count


def _csv_cell(value):
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def write_skipped(stats: ScanStats, out: TextIO) -> None:
    """The first skipped records one by one, then how many of each problem."""
    if not stats.skipped:
        return
    for line in stats.reported:
        out.write(f"warning: skipped {line}\n")
    rest = stats.skipped - len(stats.reported)
    if rest:
        out.write(f"warning: skipped {rest:,} more bad records\n")
    problems = ", ".join(
        f"{n:,} {p}"
        for p, n in sorted(stats.skipped_by_problem.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    out.write(f"warning: {stats.skipped:,} bad records skipped in all ({problems})\n")


def write_summary(pack: Pack, stats: ScanStats, out: TextIO) -> None:
    """Hits per rule, every rule of the pack listed (a rule that never fired says 0)."""
    rows = []
    for rule in pack.rules:
        rows.append((stats.by_rule.get(rule.id, 0), rule.level, rule.name))
    width = max((len(f"{n:,}") for n, _, _ in rows), default=1)
    out.write(f"{'hits':>{width}}  level     rule\n")
    for n, level, name in sorted(rows, key=lambda r: (-r[0], r[2])):
        out.write(f"{n:>{width},}  {level:<8}  {name}\n")
    out.write(
        f"{stats.files} files, {stats.events:,} events, {stats.evaluated:,} evaluated by the engine, {stats.hits:,} hits\n"
    )
