"""Writing an output directory all at once.

Output is staged in a sibling directory and swapped in only when complete, so a failed run
leaves the previous directory untouched and never a partial one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from t1114.errors import PackError


def write_atomically(out: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(staging)`` and replace ``out`` with what it wrote."""
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise PackError(out, "output path exists and is not a directory")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    except OSError as e:
        raise PackError(out, f"cannot write output: {e.strerror or e}") from None
    try:
        write(staging)
        os.chmod(staging, 0o755)
        _swap_in(staging, out)
    except OSError as e:
        shutil.rmtree(staging, ignore_errors=True)
        raise PackError(out, f"cannot write output: {e.strerror or e}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_in(staging: Path, out: Path) -> None:
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}-old-{os.getpid()}")
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_text(path: Path, text: str) -> None:
    """A text file with LF line ends whatever the platform, its directories created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
