"""Target platforms, discovered from the modules of this package (each defines ``TARGET``)."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from t1114.targets.base import CompiledQuery, Target

__all__ = ["CompiledQuery", "Target", "all_targets", "applicable_rules", "build_targets", "get_target"]


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



def applicable_rules(target: Target, pack) -> list:
    """The pack's rules the target applies to, judged on resolved rules: whether a target has a
    form of a correlation depends on the rules it references."""
    ids = {str(rule.id) for rule in pack.collection() if target.applies_to(rule)}
    return [rule for rule in pack.rules if rule.id in ids]
