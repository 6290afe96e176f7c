"""Byte-reproducible .tgz archives: same files in, same bytes out.

Entries are sorted, owned by root, dated at a fixed time, with fixed modes; the gzip header
carries no file name and mtime 0.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

# 2000-01-01T00:00:00Z: a fixed date that unpacking tools do not flag as bogus (epoch 0 is).
ENTRY_MTIME = 946684800


def _entry(name: str, kind: bytes, mode: int, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.size = size
    info.mtime = ENTRY_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def write_tgz(source: Path, archive: Path) -> None:
    """Pack directory ``source`` as ``<source.name>/...`` into ``archive``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_entry(source.name, tarfile.DIRTYPE, 0o755))
        for path in sorted(source.rglob("*"), key=lambda p: p.relative_to(source).as_posix()):
            name = f"{source.name}/{path.relative_to(source).as_posix()}"
            if path.is_symlink():
                raise ValueError(f"{path}: symbolic links are not packaged")
            if path.is_dir():
                tar.addfile(_entry(name, tarfile.DIRTYPE, 0o755))
            else:
                data = path.read_bytes()
                tar.addfile(_entry(name, tarfile.REGTYPE, 0o644, len(data)), io.BytesIO(data))
    with open(archive, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(buffer.getvalue())
