"""The benchmark's baseline: the pack run the straightforward way, as Zircolite runs Sigma.

Every event of a file is parsed and flattened into memory, an in-memory SQLite table with a
``TEXT COLLATE NOCASE`` column per field is created and filled, and each rule's query from
pySigma's SQLite backend (the same conversion ``t1114 scan`` uses) runs over the whole table;
correlations run as the backend's correlation plans. SQLite's own LIKE and NOCASE collation
compare ASCII case-insensitively and see a multivalue field as one string, so on some events
the baseline's verdict differs from the pack engine's: the benchmark reports both counts.

Run as ``python -m t1114.baseline --target T FILE...``; prints one JSON summary line.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import time
from pathlib import Path

import orjson
from sigma.backends.sqlite.runtime import ensure_fields, execute_plan

from t1114 import engine
from t1114.events import documents_from_json, flatten
from t1114.inputs import event_files


def _regexp(pattern, value):
    if pattern is None or value is None:
        return None
    return re.search(pattern, str(value)) is not None


def _documents(path: Path):
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield from documents_from_json(orjson.loads(line))


def run_file(rules: list[engine.SqlRule], path: Path, timestamp_fields) -> int:
    rows = []
    columns: dict[str, str] = {}
    for index, doc in enumerate(_documents(path)):
        flat = flatten(doc)
        fields = {k.lower(): v for k, v in flat.items()}
        for name in fields:
            columns.setdefault(name, name)
        rows.append((index, engine.timestamp_of(flat, timestamp_fields), fields))
    conn = sqlite3.connect(":memory:")
    conn.create_function("regexp", 2, _regexp, deterministic=True)
    names = sorted(columns)
    ddl = ", ".join(
        [f"{engine.INDEX_COLUMN} INTEGER PRIMARY KEY", f"{engine.TIME_COLUMN} TEXT"]
        + [f"{engine._quote(n)} TEXT COLLATE NOCASE" for n in names]
    )
    conn.execute(f"CREATE TABLE {engine.TABLE} ({ddl})")
    placeholders = ", ".join("?" * (len(names) + 2))
    conn.executemany(
        f"INSERT INTO {engine.TABLE} VALUES ({placeholders})",
        ([i, ts] + [engine._cell(f.get(n)) for n in names] for i, ts, f in rows),
    )
    del rows
    hits = 0
    for rule in rules:
        if rule.plan is None:
            ensure_fields(conn, {engine.TABLE: rule.required_fields})
            hits += sum(1 for _ in conn.execute(rule.sql))
        else:
            alerts, _ = execute_plan(conn, rule.plan, include_events=False)
            hits += len(alerts)
    conn.close()
    return hits


def main(argv=None) -> int:
    from t1114.attack import use_offline_attack_data
    from t1114.loader import load_pack
    from t1114.project import find_project
    from t1114.scan import compile_pack
    from t1114.targets import DEFAULT_EVENT_TARGET, get_target

    p = argparse.ArgumentParser(prog="python -m t1114.baseline")
    p.add_argument("--root")
    p.add_argument("--target", default=DEFAULT_EVENT_TARGET)
    p.add_argument("files", nargs="+")
    args = p.parse_args(argv)
    use_offline_attack_data()
    pack = load_pack(find_project(args.root))
    target = get_target(args.target)
    started = time.perf_counter()
    rules = compile_pack(pack, target)
    hits = sum(run_file(rules, f, target.timestamp_fields) for f in event_files(args.files))
    print(json.dumps({"hits": hits, "seconds": time.perf_counter() - started}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
