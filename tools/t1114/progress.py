"""Progress of long work on a terminal: one line on stderr, rewritten in place.

Only a terminal gets it; a pipe or a file (CI logs, ``2> log``) stays quiet.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(
        self, stream: TextIO | None = None, interval: float = 0.5, enabled: bool | None = None
    ):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self.interval = interval
        self.started = time.monotonic()
        self._last = 0.0
        self._shown = False

    def __call__(self, stats) -> None:
        """Report scan statistics (anything with ``events`` and ``hits``)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        elapsed = max(now - self.started, 1e-9)
        line = f"{stats.events:,} events read  {stats.events / elapsed:,.0f} events/s  {stats.hits:,} hits"
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
