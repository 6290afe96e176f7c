"""Problems in an export: each names the file and, where there is one, the line."""

from __future__ import annotations

from pathlib import Path

from t1114.errors import PackError


class AuditInputError(PackError):
    """One unreadable file, or one unusable row of a file (``path:line: problem``)."""

    def __init__(self, path: Path | str, message: str, line: int | None = None):
        self.line = line
        super().__init__(f"{path}:{line}" if line else path, message)
        self.file = str(path)
