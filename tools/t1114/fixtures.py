"""Fixture files: recorded events with the rules that must and must not match them.

One JSON file per rule, beside the rule's place in the tree
(``sigma/m365/x.yml`` -> ``fixtures/m365/x.json``). See fixtures/README.md for the format.

A case holds its events once, in their raw form; ``t1114.targets.renderers`` derives what every
collector of every target makes of them (the case's renderings). A case may pin the
collectors a target is tested with, replace a target's renderings by hand-written events
where the platform records something the raw events cannot hold (``recorded``, with why), and
document a platform difference in verdict (``platform_differences``, with why). Cases still
written once per shape (``events`` as an object of shapes) load as before, as one rendering
per shape; ``t1114 validate`` reports them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema

from t1114.errors import PackError, PackErrors
from t1114.events import Event, flatten
from t1114.loader import Pack
from t1114.safeyaml import load_json
from t1114.targets import renderers as shape_renderers
from t1114.targets import shapes as target_shapes

_EVENT_LIST = {"type": "array", "minItems": 1, "items": {"type": "object"}}
_WHY = {"type": "string", "minLength": 10}
_TARGET_KEY = "^[a-z_]+(/[A-Za-z0-9_.:-]+)?$"
FIXTURE_SCHEMA = {
    "type": "object",
    "required": ["rule", "cases"],
    "additionalProperties": False,
    "properties": {
        "$comment": {"type": "string"},
        "rule": {"type": "string", "minLength": 1},
        "cases": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "description", "source", "events"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.-]*$"},
                    "description": {"type": "string", "minLength": 1},
                    "source": {"type": "string", "minLength": 1},
                    "match": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                    "no_match": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                    "events": {
                        "oneOf": [
                            _EVENT_LIST,
                            # Written per shape, keyed by the shapes the targets read (checked in load_fixture).
                            {
                                "type": "object",
                                "minProperties": 1,
                                "additionalProperties": _EVENT_LIST,
                            },
                        ]
                    },
                    # Keyed by shape, like events written per shape (checked in load_fixture).
                    "collectors": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "string"},
                            "uniqueItems": True,
                        },
                    },
                    "recorded": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "required": ["events", "why"],
                            "additionalProperties": False,
                            "properties": {"events": _EVENT_LIST, "why": _WHY},
                        },
                    },
                    "skip": {"type": "object", "additionalProperties": _WHY},
                    "platform_differences": {
                        "type": "object",
                        "propertyNames": {"pattern": _TARGET_KEY},
                        # why (every rule of the case), or the rules it concerns and why
                        "additionalProperties": {
                            "oneOf": [
                                _WHY,
                                {
                                    "type": "object",
                                    "required": ["rules", "why"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "rules": {
                                            "type": "array",
                                            "minItems": 1,
                                            "items": {"type": "string"},
                                        },
                                        "why": _WHY,
                                    },
                                },
                            ]
                        },
                    },
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Case:
    file: Path
    name: str
    description: str
    source: str
    match: tuple[str, ...]  # rule ids
    no_match: tuple[str, ...]  # rule ids
    events: dict[str, tuple[Event, ...]] = field(hash=False)  # per shape: its first rendering
    # shape -> collector (or "recorded", or "written" for a case written per shape) -> events
    renderings: dict[str, dict[str, tuple[Event, ...]]] = field(
        default_factory=dict, hash=False, compare=False
    )
    # "shape" or "shape/collector" -> (rule ids it concerns, or () for all; why the verdict differs there)
    differences: dict[str, tuple[tuple[str, ...], str]] = field(
        default_factory=dict, hash=False, compare=False
    )
    written_once: bool = True

    def difference(self, shape: str, collector: str, rule_id: str) -> str | None:
        for key in (f"{shape}/{collector}", shape):
            rules, why = self.differences.get(key, ((), ""))
            if why and (not rules or rule_id in rules):
                return why
        return None

    def expectation(self, rule_id: str) -> str | None:
        if rule_id in self.match:
            return "match"
        if rule_id in self.no_match:
            return "no_match"
        return None


@dataclass(frozen=True)
class FixtureFile:
    path: Path
    rule_id: str
    cases: tuple[Case, ...]


def fixture_files(dirs: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        d = Path(d)
        if d.is_file():
            files.append(d)
        elif d.is_dir():
            files.extend(p for p in d.rglob("*.json") if p.is_file())
        else:
            raise PackError(d, "no such file or directory")
    return sorted(set(files))


def load_fixture(path: Path, pack: Pack) -> FixtureFile:
    data = load_json(path)
    errors = sorted(
        jsonschema.Draft202012Validator(FIXTURE_SCHEMA).iter_errors(data),
        key=lambda e: list(e.path),
    )
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        raise PackError(path, f"malformed fixture at {where}: {e.message}")

    def resolve(ref: str, what: str) -> str:
        rule = pack.find(ref)
        if rule is None:
            raise PackError(path, f"{what} names unknown rule '{ref}'")
        return rule.id

    known = target_shapes()
    for n, raw in enumerate(data["cases"]):
        for key in ("events", "collectors", "recorded", "skip", "platform_differences"):
            value = raw.get(key)
            if not isinstance(value, dict):
                continue
            unknown = sorted({k.partition("/")[0] for k in value} - set(known))
            if unknown:
                raise PackError(
                    path,
                    f"malformed fixture at cases/{n}/{key}: no target reads {', '.join(map(repr, unknown))} "
                    f"events (shapes: {', '.join(known)})",
                )

    owner = resolve(data["rule"], "'rule'")
    cases = []
    seen = set()
    for raw in data["cases"]:
        if raw["name"] in seen:
            raise PackError(path, f"case name '{raw['name']}' is used twice")
        seen.add(raw["name"])
        match = tuple(resolve(r, f"case '{raw['name']}'") for r in raw.get("match", []))
        no_match = tuple(resolve(r, f"case '{raw['name']}'") for r in raw.get("no_match", []))
        if not match and not no_match:
            raise PackError(path, f"case '{raw['name']}' names no rule in 'match' or 'no_match'")
        if set(match) & set(no_match):
            raise PackError(
                path, f"case '{raw['name']}' lists a rule in both 'match' and 'no_match'"
            )
        try:
            renderings = {
                shape: {
                    name: tuple(Event(i, flatten(doc)) for i, doc in enumerate(docs))
                    for name, docs in variants.items()
                }
                for shape, variants in case_renderings(raw).items()
            }
        except ValueError as e:
            raise PackError(path, f"case '{raw['name']}': {e}") from None
        events = {
            shape: next(iter(variants.values()))
            for shape, variants in renderings.items()
            if variants
        }
        differences = {
            key: ((), value)
            if isinstance(value, str)
            else (
                tuple(
                    resolve(r, f"case '{raw['name']}' platform_differences") for r in value["rules"]
                ),
                value["why"],
            )
            for key, value in raw.get("platform_differences", {}).items()
        }
        for key in differences:
            shape, _, collector = key.partition("/")
            if shape not in renderings or (collector and collector not in renderings[shape]):
                raise PackError(
                    path,
                    f"case '{raw['name']}': platform_differences names '{key}', which the case has no events for",
                )
        cases.append(
            Case(
                path,
                raw["name"],
                raw["description"],
                raw["source"],
                match,
                no_match,
                events,
                renderings,
                differences,
                isinstance(raw["events"], list),
            )
        )
    return FixtureFile(path, owner, tuple(cases))


def case_renderings(raw: dict) -> dict[str, dict[str, list[dict]]]:
    """A case's events on each shape, per collector: ``{shape: {collector: [documents]}}``.

    One variant per collector any of the case's events has on the shape (an event without
    that collector keeps its usual one); a shape some event has no collector for gets none.
    ``collectors`` narrows a shape to the named collectors, ``recorded`` replaces a shape's
    variants by its hand-written events, ``skip`` leaves a shape out (with why). Raises ValueError for an event no renderer knows.
    """
    events = raw["events"]
    if isinstance(events, dict):  # written per shape
        return {shape: {"written": docs} for shape, docs in events.items()}
    pinned = raw.get("collectors", {})
    out: dict[str, dict[str, list[dict]]] = {}
    for shape in target_shapes():
        if shape in raw.get("recorded", {}):
            out[shape] = {"recorded": raw["recorded"][shape]["events"]}
            continue
        if shape in raw.get("skip", {}):
            continue
        per_event = [
            tuple(
                c for c in shape_renderers.collectors(e, shape) if c not in shape_renderers.PENDING
            )
            for e in events
        ]
        if not all(per_event):
            continue
        names: list[str] = []
        for options in per_event:
            names.extend(n for n in options if n not in names)
        if shape in pinned:
            unknown = [n for n in pinned[shape] if n not in names]
            if unknown:
                raise ValueError(
                    f"no event of the case has collector '{unknown[0]}' on {shape} ({', '.join(names)})"
                )
            names = list(pinned[shape])
        variants: dict[str, list[dict]] = {}
        seen: set[str] = set()
        for name in names:
            docs = [
                d
                for e, options in zip(events, per_event, strict=True)
                for d in shape_renderers.render(e, shape, name if name in options else options[0])
            ]
            key = json.dumps(docs, sort_keys=True, default=str)
            if key not in seen:
                seen.add(key)
                variants[name] = docs
        out[shape] = variants
    return out


def load_fixtures(pack: Pack, dirs: Iterable[Path] | None = None) -> list[FixtureFile]:
    dirs = list(dirs) if dirs else [pack.project.fixtures_dir]
    errors, loaded = [], []
    for path in fixture_files(dirs):
        try:
            loaded.append(load_fixture(path, pack))
        except PackError as e:
            errors.append(e)
    if errors:
        raise PackErrors(errors)
    return loaded


def coverage_gaps(
    pack: Pack,
    fixtures: list[FixtureFile],
    shapes: Iterable[str],
    exempt: Set[tuple[str, str]] = frozenset(),
) -> list[PackError]:
    """Rules lacking a positive or a negative case with events of a shape they run on.

    ``exempt``: (rule id, shape) pairs that need no cases, for a target that cannot run the rule.
    """
    shapes = list(shapes)
    gaps = []
    for rule in pack.rules:
        for shape in shapes:
            if (rule.id, shape) in exempt:
                continue
            kinds = {
                case.expectation(rule.id)
                for f in fixtures
                for case in f.cases
                if shape in case.events
            }
            for kind, label in (("match", "positive"), ("no_match", "negative")):
                if kind not in kinds:
                    gaps.append(
                        PackError(rule.path, f"no {label} fixture case with '{shape}' events")
                    )
    return gaps
