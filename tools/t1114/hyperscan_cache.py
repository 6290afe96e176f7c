"""Compiled Hyperscan databases kept between runs.

Compiling the prefilter's two databases is the largest single cost of starting a scan (about
a quarter of a second for the pack); loading a serialized one takes a millisecond. A database
is stored under the digest of everything its compilation depends on (the patterns, their ids
and flags, the Hyperscan version, the machine), so a changed rule set never meets a stale
database: it has another name. The file holds the payload's digest too, and a file that does
not match it, or that Hyperscan refuses, is compiled again, never trusted.

The directory is ``$T1114_CACHE_DIR``, else ``$XDG_CACHE_HOME/t1114``, else
``~/.cache/t1114``; it keeps the newest ``KEPT`` databases. A directory that cannot be
written only means compiling every time.
"""

from __future__ import annotations

import hashlib
import os
import platform
import tempfile
from collections.abc import Callable
from pathlib import Path

import hyperscan

_VERSION = b"t1114-hyperscan-cache-1"
_DIGEST_BYTES = 32
KEPT = 64  # databases kept in the directory (two per pack and target)


def cache_dir() -> Path:
    configured = os.environ.get("T1114_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "t1114"


def database_key(expressions: list[bytes], ids: list[int], flags: list[int]) -> str:
    digest = hashlib.sha256(_VERSION)
    for part in (
        str(getattr(hyperscan, "__version__", "")).encode(),
        platform.machine().encode(),
        repr((expressions, ids, flags)).encode(),
    ):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def cached_database(
    expressions: list[bytes],
    ids: list[int],
    flags: list[int],
    compile_database: Callable[[], hyperscan.Database],
) -> hyperscan.Database:
    """The block-mode database of these patterns: loaded if stored, else compiled and stored."""
    path = cache_dir() / f"{database_key(expressions, ids, flags)}.hsdb"
    loaded = _load(path)
    if loaded is not None:
        return loaded
    db = compile_database()
    _store(path, hyperscan.dumpb(db))
    return db


def _load(path: Path) -> hyperscan.Database | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    digest, payload = data[:_DIGEST_BYTES], data[_DIGEST_BYTES:]
    if not payload or hashlib.sha256(payload).digest() != digest:
        return None
    try:
        return hyperscan.loadb(payload, hyperscan.HS_MODE_BLOCK)
    except hyperscan.error:
        return None


def _store(path: Path, payload: bytes) -> None:
    """Written whole under a temporary name, then renamed: a reader sees all or nothing."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".hsdb")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        _prune(path.parent)
    except OSError:
        pass  # not stored: compiled again next time


def _prune(directory: Path) -> None:
    """The newest ``KEPT`` databases stay: every edit of the rules makes new ones."""
    stored = sorted(directory.glob("*.hsdb"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in stored[KEPT:]:
        old.unlink(missing_ok=True)
