"""Target platforms, discovered from the modules of this package (each defines ``TARGET``)."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from t1114.targets.base import CompiledQuery, Target

__all__ = ["CompiledQuery", "Target", "all_targets", "build_targets", "get_target", "unsupported_rules"]


@lru_cache(maxsize=1)
def all_targets() -> dict[str, Target]:
    found: dict[str, Target] = {}
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        target = getattr(module, "TARGET", None)
        if isinstance(target, Target):
            found[target.name] = target
    return found


def build_targets() -> dict[str, Target]:
    return {n: t for n, t in all_targets().items() if t.builds}


def get_target(name: str) -> Target:
    try:
        return all_targets()[name]
    except KeyError:
        raise ValueError(f"unknown target '{name}' (known: {', '.join(all_targets())})") from None


def unsupported_rules(target: Target, collection) -> dict[str, str]:
    """Rule id -> why the target cannot run it, over a resolved collection (correlations need
    their referenced rules)."""
    found = {}
    for rule in collection:
        if (reason := target.unsupported(rule)) is not None:
            found[str(rule.id)] = reason
    return found
