"""Target platforms: the plugin point through which everything else reaches a platform.

Targets are found the way pySigma finds its backends and pipelines, without a list to keep:

* every module or package of this package that defines ``TARGET`` (a ``Target`` instance);
* every ``t1114.targets`` entry point of an installed distribution (a ``Target`` instance or
  class), for a platform shipped outside the pack;
* every target given to ``register`` (a test's throw-away target, or an embedding tool's).

A name seen twice is an error: two modules claiming one platform would silently shadow each
other.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from t1114.compiled import CompiledQuery
from t1114.targets.base import Target

if TYPE_CHECKING:
    from t1114.loader import Pack, PackRule

__all__ = [
    "DEFAULT_EVENT_TARGET",
    "CompiledQuery",
    "Target",
    "all_targets",
    "applicable_rules",
    "build_targets",
    "get_target",
    "register",
    "shapes",
    "target_of_shape",
    "unregister",
]

ENTRY_POINT_GROUP = "t1114.targets"
# Events as recorded at their source: what bench and baseline read unless told otherwise.
DEFAULT_EVENT_TARGET = "native"

_REGISTERED: dict[str, Target] = {}


def _add(found: dict[str, Target], target: object, where: str) -> None:
    if isinstance(target, type) and issubclass(target, Target):
        target = target()
    if not isinstance(target, Target):
        raise TypeError(f"{where} is not a t1114 Target")
    if target.name in found:
        raise ValueError(f"target '{target.name}' is defined twice (again by {where})")
    found[target.name] = target


@lru_cache(maxsize=1)
def _discovered() -> dict[str, Target]:
    found: dict[str, Target] = {}
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        if hasattr(module, "TARGET"):
            _add(found, module.TARGET, module.__name__)
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        _add(found, point.load(), f"entry point {point.name} ({point.value})")
    return found


def all_targets() -> dict[str, Target]:
    """Every target: discovered ones in name order, then registered ones in their order."""
    found = dict(_discovered())
    for target in _REGISTERED.values():
        _add(found, target, f"register({target.name!r})")
    return found


def register(target: Target) -> Target:
    """Add a target at run time; ``unregister`` removes it."""
    if target.name in _REGISTERED or target.name in _discovered():
        raise ValueError(f"target '{target.name}' is already defined")
    _REGISTERED[target.name] = target
    return target


def unregister(name: str) -> None:
    _REGISTERED.pop(name, None)


def build_targets() -> dict[str, Target]:
    return {n: t for n, t in all_targets().items() if t.builds}


def get_target(name: str) -> Target:
    try:
        return all_targets()[name]
    except KeyError:
        raise ValueError(f"unknown target '{name}' (known: {', '.join(all_targets())})") from None


def shapes() -> list[str]:
    """The fixture event shapes the targets read, sorted."""
    return sorted({t.shape for t in all_targets().values()})


def target_of_shape(shape: str) -> Target:
    """The first target (by name) reading events of a shape; they all render it alike."""
    for target in all_targets().values():
        if target.shape == shape:
            return target
    raise ValueError(f"no target reads '{shape}' events (known shapes: {', '.join(shapes())})")


def applicable_rules(target: Target, pack: Pack) -> list[PackRule]:
    """The pack's rules the target applies to, judged on resolved rules: whether a target has a
    form of a correlation depends on the rules it references."""
    ids = {str(rule.id) for rule in pack.collection() if target.applies_to(rule)}
    return [rule for rule in pack.rules if rule.id in ids]
