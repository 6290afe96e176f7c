"""docs/coverage.md: the coverage matrix (the same as dist/coverage/matrix.md)."""

from __future__ import annotations

from t1114.docs import Generator, Sources
from t1114.package import coverage


def render(sources: Sources) -> str:
    return coverage.matrix_markdown(sources.coverage)


GENERATOR = Generator("coverage-matrix", "docs/coverage.md", render)
