"""Generated documentation: the parts of ``docs/*.md`` that are computed from the pack.

A generated block sits between ``<!-- generated:NAME (t1114 docs) -->`` and
``<!-- /generated:NAME -->`` in a hand-written document; the prose around it stays the
author's. Each module of this package that defines ``GENERATOR`` owns one block, so adding a
generated document is adding a module (found the way ``t1114.targets`` finds targets).
``t1114 docs`` rewrites every block; ``t1114 docs --check`` (and a test) names the stale ones.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from t1114.build import pack_coverage
from t1114.errors import PackError
from t1114.loader import Pack
from t1114.targets import build_targets

BENCH_RECORD = "docs/data/bench.json"


class Sources:
    """What generators read, each computed at most once (the coverage model compiles and tests
    the whole pack, so a caller that has one already passes it in)."""

    def __init__(self, pack: Pack, coverage: dict | None = None):
        self.pack = pack
        if coverage is not None:
            self.__dict__["coverage"] = coverage

    @cached_property
    def coverage(self) -> dict:
        return pack_coverage(self.pack, build_targets().values())

    @cached_property
    def bench(self) -> dict | None:
        """The recorded bench run the performance page shows, if one is committed."""
        path = self.pack.project.root / BENCH_RECORD
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise PackError(path, f"not a recorded bench run: {e}") from None


@dataclass(frozen=True)
class Generator:
    name: str  # the block's marker name
    document: str  # the document holding it, relative to the project root
    render: Callable[[Sources], str]  # the block's Markdown

    @property
    def start(self) -> str:
        return f"<!-- generated:{self.name} (t1114 docs) -->"

    @property
    def end(self) -> str:
        return f"<!-- /generated:{self.name} -->"

    def apply(self, text: str, sources: Sources, where: str) -> str:
        """``text`` with this block regenerated."""
        start, end = text.find(self.start), text.find(self.end)
        if start < 0 or end < start:
            raise PackError(where, f"no generated block markers {self.start} ... {self.end}")
        body = self.render(sources).rstrip("\n")
        return text[: start + len(self.start)] + "\n" + body + "\n" + text[end:]


def generators() -> list[Generator]:
    found = []
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{mod.name}")
        if isinstance(getattr(module, "GENERATOR", None), Generator):
            found.append(module.GENERATOR)
    return found


def updated(sources: Sources) -> dict[Path, tuple[str, str]]:
    """Document path -> (text on disk, text with every block regenerated)."""
    root = sources.pack.project.root
    docs: dict[Path, tuple[str, str]] = {}
    for gen in generators():
        path = root / gen.document
        if path not in docs:
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as e:
                raise PackError(path, f"cannot read: {e.strerror or e}") from None
            docs[path] = (text, text)
        before, after = docs[path]
        docs[path] = (before, gen.apply(after, sources, sources.pack.project.relative(path)))
    return docs


def stale(sources: Sources) -> list[str]:
    """The documents whose generated blocks are out of date."""
    return [
        sources.pack.project.relative(p) for p, (old, new) in updated(sources).items() if old != new
    ]


def write(sources: Sources) -> list[str]:
    """Regenerate every block in place; returns the documents that changed."""
    changed = []
    for path, (old, new) in updated(sources).items():
        if old != new:
            path.write_text(new, encoding="utf-8")
            changed.append(sources.pack.project.relative(path))
    return changed
