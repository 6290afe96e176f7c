"""The scan as it was before streaming, kept as the oracle of the differential tests: every
event of a file read with the standard library, loaded into one table, every rule run over
it by the fixture-test engine (t1114.engine.run)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from t1114 import engine
from t1114.events import Event, documents_from_json, flatten
from t1114.scan import compile_pack, hit_record


def reference_documents(path: Path) -> list[dict]:
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8")
    head = text.lstrip()
    first_line = text.split("\n", 1)[0]
    whole = head.startswith("[")
    if head.startswith("{"):
        try:
            json.loads(first_line)
        except ValueError:
            whole = True
    if whole:
        return list(documents_from_json(json.loads(text)))
    docs = []
    for line in text.splitlines():
        if line.strip():
            docs.extend(documents_from_json(json.loads(line)))
    return docs


def reference_hits(pack, target, files, documents=reference_documents) -> list[dict]:
    rules = compile_pack(pack, target)
    out = []
    for path in files:
        events = [Event(i, flatten(d)) for i, d in enumerate(documents(path))]
        records = [hit_record(h, path) for h in engine.run(rules, events, target.timestamp_fields)]
        records.sort(key=lambda r: (r["event_index"], r["rule_id"], r["event_indices"]))
        out.extend(records)
    return out
