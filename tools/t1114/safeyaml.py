"""YAML and JSON input that cannot hurt the tool.

Rule and fixture files come from pull requests, so a file may be hostile: a "billion laughs"
alias bomb, a deeply nested structure, a huge file, or a tag that constructs objects. Files
are size-checked, scanned event by event before construction, and built with the safe loader.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from t1114.errors import PackError

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 40


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    try:
        size = path.stat().st_size
        if size > limit:
            raise PackError(path, f"file is {size} bytes; the limit is {limit}")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise PackError(path, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise PackError(path, f"cannot read file: {e.strerror or e}") from None


# libyaml's parser where PyYAML was built with it (a rule file loads several times faster);
# the construction, and so the refusal of duplicate keys, is the same Python either way.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    """The safe loader, refusing duplicate mapping keys (YAML silently keeps the last one,
    which would drop half of a detection without a word)."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {seen[key] + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


def _mark(event: yaml.Event) -> str:
    m = event.start_mark
    if m is None:
        return "an unknown place"
    return f"line {m.line + 1}, column {m.column + 1}"


def load_yaml_documents(path: Path) -> list[Any]:
    """All documents of a YAML file, refusing aliases, anchors and excessive nesting."""
    text = read_text(path)
    try:
        depth = 0
        for event in yaml.parse(text, Loader=_SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise PackError(path, f"YAML aliases are not allowed ({_mark(event)})")
            if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
                raise PackError(path, f"YAML anchors are not allowed ({_mark(event)})")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise PackError(
                        path, f"nesting deeper than {MAX_DEPTH} levels ({_mark(event)})"
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return [doc for doc in yaml.load_all(text, Loader=_UniqueKeyLoader) if doc is not None]
    except yaml.YAMLError as e:
        where = ""
        mark = getattr(e, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise PackError(path, f"invalid YAML{where}: {problem}") from None


def load_json(path: Path) -> Any:
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise PackError(
            path, f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}"
        ) from None
    except RecursionError:
        raise PackError(path, "JSON nested too deeply") from None
