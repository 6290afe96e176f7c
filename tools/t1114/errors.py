"""Errors about the pack's input. Each names the file it is about, so the CLI can print
``path: problem`` and exit non-zero instead of a traceback."""

from __future__ import annotations

from pathlib import Path

# `t1114 scan` finished, but skipped bad records (reported on stderr); 2 stays "bad input".
EXIT_RECORDS_SKIPPED = 4


class PackError(Exception):
    """One problem in one input file."""

    def __init__(self, path: Path | str | None, message: str):
        self.path = str(path) if path is not None else None
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class PackErrors(Exception):
    """Several input problems found in one pass, reported together."""

    def __init__(self, errors: list[PackError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
