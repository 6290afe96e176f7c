"""Shape renderers: one event as it happened, written as each platform's collector delivers it.

A fixture case (and a generated corpus) holds each event once, in its raw form as recorded at
the source (the ``native`` shape). The families here recognise a raw event and derive what each
collector of each target makes of it: the Splunk add-on's extracted fields, the Elastic
integration's document, or another native rendering (flat EventData, flat Sigma taxonomy,
Cloud Logging). What a collector records is grounded in the vendors' own test vectors
(tests/test_shapes_conformance.py) and documented in docs/collectors.md.

Every family module exposes ``recognise(raw) -> bool``, ``collectors(raw) -> {target:
(collector, ...)}`` (the first is the target's usual collector for the event) and
``render(raw, target, collector) -> dict``.
"""

from __future__ import annotations

import copy
from types import ModuleType

from t1114.targets.renderers import google, linux, macos, microsoft, windows

TARGETS = ("native", "splunk", "elastic")
# The shape events are written in once (fixtures, corpora): as recorded at the source.
RAW = "native"
# Collectors the pipelines do not map yet: rendered, but not part of a case's renderings.
PENDING: frozenset[str] = frozenset()
# Collectors that deliver a source's events without the fields its rules read: no rule can
# match there. (target, collector) -> why. The cross-target checks count a verdict that
# differs there as a documented platform difference, and fail on a match there.
BLIND: dict[tuple[str, str], str] = {
    ("elastic", "gcp.audit"): (
        "the gcp integration's audit pipeline copies nothing of protoPayload.metadata and its "
        "clean-up's remove processor (field: [_conf, _temp, json]) deletes the parsed entry: a "
        "Workspace event's name, type and parameters are not indexed, only the Cloud Audit "
        "envelope (methodName as event.action, principal, caller address); the opt-in keep_json "
        "setting keeps the entry as the flattened gcp.audit.flattened, which the pack does not read"
    ),
}


def blind(target: str, collector: str) -> str | None:
    """Why no rule can match on ``collector`` of ``target`` (None: it delivers the fields)."""
    return BLIND.get((target, collector))


# Order matters: the first family that recognises an event renders it.
FAMILIES: tuple[ModuleType, ...] = (windows, linux, macos, microsoft, google)


class UnknownShape(ValueError):
    """A raw event no family recognises."""


def family_of(raw: dict) -> ModuleType:
    for family in FAMILIES:
        if family.recognise(raw):
            return family
    raise UnknownShape(f"no shape renderer recognises the event with keys {sorted(raw)[:8]}")


def collectors(raw: dict, target: str) -> tuple[str, ...]:
    """The collectors of ``target`` that record the event (none: the target lacks the source)."""
    return tuple(family_of(raw).collectors(raw).get(target, ()))


def render(raw: dict, target: str, collector: str | None = None) -> list[dict]:
    """``raw`` as ``collector`` (default: the target's usual one) delivers it on ``target``: a
    list, since some collectors split one event (Splunk's ``linux:audit``: one per record)."""
    family = family_of(raw)
    names = family.collectors(raw).get(target, ())
    if not names:
        raise UnknownShape(f"target {target} has no collector for this event")
    collector = collector or names[0]
    if collector not in names:
        raise UnknownShape(
            f"collector {collector!r} does not record this event on {target} ({', '.join(names)})"
        )
    if target == RAW and collector == names[0]:
        return [copy_event(raw)]
    out = family.render(copy_event(raw), target, collector)
    return out if isinstance(out, list) else [out]


def copy_event(value):
    """A private copy of an event to change (a renderer's, a corpus's): ``copy.deepcopy``'s
    result, several times faster on the dicts, lists and scalars events are made of (a
    generated corpus copies every event, and deepcopy was half of making one)."""
    kind = type(value)
    if kind is dict:
        return {k: copy_event(v) for k, v in value.items()}
    if kind is list:
        return [copy_event(v) for v in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


_IMMUTABLE = frozenset({str, int, float, bool, type(None)})
