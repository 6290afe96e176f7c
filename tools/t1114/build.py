"""``t1114 build``: compile every rule for every build target and write ``dist/``.

Output is staged in a sibling directory and swapped in only when complete, so a failed build
leaves the previous ``dist/`` untouched and never a partial one. Nothing time- or
machine-dependent is written: the same input gives byte-identical output.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

from t1114 import __version__
from t1114.attack import use_offline_attack_data
from t1114.errors import PackError, PackErrors
from t1114.loader import Pack
from t1114.targets import CompiledQuery, Target
from t1114.verify import check_syntax


def compile_pack(pack: Pack, targets: Iterable[Target]) -> list[CompiledQuery]:
    """Every rule compiled for every target; each query must parse in its own language."""
    use_offline_attack_data()
    compiled, errors = [], []
    for target in targets:
        for rule in pack.rules:
            path = pack.project.relative(rule.path)
            try:
                query = target.compile_rule(pack.collection([rule]), rule.id, path, tuning=pack.tuning)
                if query is not None:
                    check_syntax(query, path)
            except PackError as e:
                errors.append(e)
                continue
            if query is not None:
                compiled.append(query)
    if errors:
        raise PackErrors(errors)
    return compiled


def _manifest(pack: Pack, compiled: list[CompiledQuery]) -> dict:
    rules = []
    for rule in pack.rules:
        rules.append(
            {
                "id": rule.id,
                "name": rule.name,
                "title": rule.title,
                "level": rule.level,
                "analytic": rule.analytic,
                "detection_strategy": rule.detection_strategy,
                "tags": rule.tags,
                "source": pack.project.relative(rule.path),
                "queries": {
                    q.target: f"queries/{q.target}/{q.rule_name}.{q.extension}"
                    for q in compiled
                    if q.rule_id == rule.id
                },
            }
        )
    return {"pack": "t1114", "version": __version__, "rules": rules}


def write_queries(staging: Path, compiled: list[CompiledQuery]) -> None:
    for q in compiled:
        path = staging / "queries" / q.target / f"{q.rule_name}.{q.extension}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(q.text, encoding="utf-8")


def build(pack: Pack, targets: list[Target], out: Path) -> list[CompiledQuery]:
    compiled = compile_pack(pack, targets)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        write_queries(staging, compiled)
        (staging / "manifest.json").write_text(
            json.dumps(_manifest(pack, compiled), indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        os.chmod(staging, 0o755)
        _swap_in(staging, out)
    except OSError as e:
        shutil.rmtree(staging, ignore_errors=True)
        raise PackError(out, f"cannot write build output: {e.strerror or e}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return compiled


def _swap_in(staging: Path, out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise PackError(out, "build output path exists and is not a directory")
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}-old-{os.getpid()}")
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
