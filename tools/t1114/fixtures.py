"""Fixture files: recorded events with the rules that must and must not match them.

One JSON file per rule, beside the rule's place in the tree
(``sigma/m365/x.yml`` -> ``fixtures/m365/x.json``). See fixtures/README.md for the format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Set
from typing import Iterable

import jsonschema

from t1114.errors import PackError, PackErrors
from t1114.events import Event, flatten
from t1114.loader import Pack
from t1114.safeyaml import load_json
from t1114.targets import shapes

_EVENT_LIST = {"type": "array", "minItems": 1, "items": {"type": "object"}}
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
                        "type": "object",
                        "minProperties": 1,
                        # Keyed by the shapes the targets read (checked in load_fixture).
                        "additionalProperties": _EVENT_LIST,
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
    events: dict[str, tuple[Event, ...]] = field(hash=False)

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
    errors = sorted(jsonschema.Draft202012Validator(FIXTURE_SCHEMA).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        raise PackError(path, f"malformed fixture at {where}: {e.message}")

    def resolve(ref: str, what: str) -> str:
        rule = pack.find(ref)
        if rule is None:
            raise PackError(path, f"{what} names unknown rule '{ref}'")
        return rule.id

    known = shapes()
    for n, raw in enumerate(data["cases"]):
        unknown = sorted(set(raw["events"]) - set(known))
        if unknown:
            raise PackError(
                path,
                f"malformed fixture at cases/{n}/events: no target reads {', '.join(map(repr, unknown))} "
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
            raise PackError(path, f"case '{raw['name']}' lists a rule in both 'match' and 'no_match'")
        try:
            events = {
                shape: tuple(Event(i, flatten(doc)) for i, doc in enumerate(docs))
                for shape, docs in raw["events"].items()
            }
        except ValueError as e:
            raise PackError(path, f"case '{raw['name']}': {e}") from None
        cases.append(Case(path, raw["name"], raw["description"], raw["source"], match, no_match, events))
    return FixtureFile(path, owner, tuple(cases))


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
    pack: Pack, fixtures: list[FixtureFile], shapes: Iterable[str], exempt: Set[tuple[str, str]] = frozenset()
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
                    gaps.append(PackError(rule.path, f"no {label} fixture case with '{shape}' events"))
    return gaps
