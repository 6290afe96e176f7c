"""The procedure catalogue: every public T1114 procedure, what catches it and what proves it.

``procedures/catalogue.yml`` lists each procedure once with its public source, the platforms
whose telemetry can show it, the rules that catch it and the fixture cases that prove it, or
the reason no rule can. This module loads the catalogue, checks it against the pack (a rule it
names must exist, a case must exist and must really expect one of the procedure's rules to
match, and every rule it names must be proven by one of its cases); ``t1114.docs.procedures``
renders ``docs/procedures.md`` from it, so the document cannot claim what the fixtures do not show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jsonschema

from t1114.errors import PackError, PackErrors
from t1114.fixtures import Case, load_fixtures
from t1114.loader import Pack, PackRule
from t1114.safeyaml import load_yaml_documents

CATALOGUE = Path("procedures") / "catalogue.yml"

# Where a procedure comes from, in the order the document lists them.
SOURCE_KINDS = {
    "atomic": "Atomic Red Team tests",
    "attack": "ATT&CK procedure examples",
    "tool": "Tools and their functions",
    "analytic": "ATT&CK analytics (DET0476)",
    "anchor": "Detection ideas of public rule packs",
}
PLATFORMS = ("windows", "exchange_server", "linux", "macos", "m365", "entra", "google_workspace")
TECHNIQUES = ("T1114", "T1114.001", "T1114.002", "T1114.003")

_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}
SCHEMA = {
    "type": "object",
    "required": ["procedures"],
    "additionalProperties": False,
    "properties": {
        "procedures": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "technique", "title", "source", "platforms"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.-]*$"},
                    "technique": {"enum": list(TECHNIQUES)},
                    "title": {"type": "string", "minLength": 1},
                    "source": {
                        "type": "object",
                        "required": ["kind", "ref", "url"],
                        "additionalProperties": False,
                        "properties": {
                            "kind": {"enum": list(SOURCE_KINDS)},
                            "ref": {"type": "string", "minLength": 1},
                            "url": {"type": "string", "pattern": "^https://"},
                        },
                    },
                    "platforms": {
                        "type": "array",
                        "items": {"enum": list(PLATFORMS)},
                        "uniqueItems": True,
                    },
                    "rules": _STRINGS,
                    "cases": _STRINGS,
                    "reason": {"type": "string", "minLength": 1},
                },
            },
        }
    },
}


@dataclass(frozen=True)
class Procedure:
    id: str
    technique: str
    title: str
    kind: str
    ref: str
    url: str
    platforms: tuple[str, ...]
    rules: tuple[str, ...]  # rule names as written
    cases: tuple[str, ...]  # "<fixture rule>/<case name>"
    reason: str

    @property
    def covered(self) -> bool:
        return bool(self.rules)


def load_catalogue(path: Path) -> list[Procedure]:
    docs = load_yaml_documents(path)
    if len(docs) != 1:
        raise PackError(path, "the catalogue must be one YAML document")
    errors = sorted(
        jsonschema.Draft202012Validator(SCHEMA).iter_errors(docs[0]), key=lambda e: list(e.path)
    )
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise PackError(path, f"malformed catalogue at {where}: {errors[0].message}")
    procedures, seen = [], set()
    for raw in docs[0]["procedures"]:
        if raw["id"] in seen:
            raise PackError(path, f"procedure id '{raw['id']}' is used twice")
        seen.add(raw["id"])
        src = raw["source"]
        procedures.append(
            Procedure(
                raw["id"],
                raw["technique"],
                raw["title"],
                src["kind"],
                src["ref"],
                src["url"],
                tuple(raw["platforms"]),
                tuple(raw.get("rules", ())),
                tuple(raw.get("cases", ())),
                raw.get("reason", ""),
            )
        )
    return procedures


def rule_named(pack: Pack, ref: str) -> PackRule:
    """The rule a checked catalogue or a loaded fixture names (both exist once checked)."""
    rule = pack.find(ref)
    if rule is None:
        raise PackError(CATALOGUE, f"no rule '{ref}' in the pack")
    return rule


def case_index(pack: Pack) -> dict[str, Case]:
    """Fixture cases by the catalogue's name for them, ``<fixture rule>/<case name>``."""
    index = {}
    for fixture in load_fixtures(pack):
        owner = rule_named(pack, fixture.rule_id)
        for case in fixture.cases:
            index[f"{owner.name}/{case.name}"] = case
    return index


def check(pack: Pack, procedures: list[Procedure], path: Path | str) -> list[PackError]:
    """Every claim of the catalogue held against the rules and fixtures."""
    cases = case_index(pack)
    errors = []
    for p in procedures:

        def err(message: str, p: Procedure = p) -> None:
            errors.append(PackError(path, f"procedure '{p.id}': {message}"))

        if p.rules and not p.cases:
            err("names rules but no fixture case proving them")
        if not p.rules and (p.cases or not p.reason):
            err("names no rule: give the reason none can catch it (and no cases)")
        if p.rules and p.reason:
            err("names rules and a reason; a reason is only for procedures no rule catches")
        if p.rules and not p.platforms:
            err("names rules but no platform whose telemetry shows it")
        rule_ids = {}
        for name in p.rules:
            rule = pack.find(name)
            if rule is None:
                err(f"names unknown rule '{name}'")
            else:
                rule_ids[rule.id] = name
        proven = set()
        for ref in p.cases:
            case = cases.get(ref)
            if case is None:
                err(f"names unknown fixture case '{ref}' (expected '<fixture rule>/<case name>')")
                continue
            hits = set(case.match) & set(rule_ids)
            if not hits:
                err(f"fixture case '{ref}' does not expect any of the procedure's rules to match")
            proven |= hits
        for rule_id, name in rule_ids.items():
            if rule_id not in proven:
                err(f"rule '{name}' is not proven by any of its fixture cases")
    return errors


def load_checked(pack: Pack) -> list[Procedure]:
    path = pack.project.root / CATALOGUE
    procedures = load_catalogue(path)
    errors = check(pack, procedures, pack.project.relative(path))
    if errors:
        raise PackErrors(errors)
    return procedures


def proven_targets(pack: Pack, procedures: list[Procedure]) -> dict[str, tuple[str, ...]]:
    """Procedure id -> the targets on which one of its cases proves it: every rendering of the
    case on that target matched by one of the procedure's rules. Only the cited cases are
    evaluated, so this costs a fraction of ``t1114 test``."""
    from t1114.fixtures import FixtureFile
    from t1114.targets import all_targets
    from t1114.testing import run_tests

    cited = {ref for p in procedures for ref in p.cases}
    fixtures = []
    for fixture in load_fixtures(pack):
        owner = rule_named(pack, fixture.rule_id).name
        cases = tuple(c for c in fixture.cases if f"{owner}/{c.name}" in cited)
        if cases:
            fixtures.append(FixtureFile(fixture.path, fixture.rule_id, cases))
    targets = list(all_targets().values())
    report = run_tests(pack, fixtures, targets, queries=False)
    owners = {pack.project.relative(f.path): rule_named(pack, f.rule_id).name for f in fixtures}
    verdicts: dict[tuple[str, str, str], bool] = {}  # (rule name, case ref, target) -> all matched
    for r in report.results:
        if r.expected != "match":
            continue
        key = (r.rule_name, f"{owners[r.file]}/{r.case}", r.target)
        verdicts[key] = verdicts.get(key, True) and r.passed
    out = {}
    for p in procedures:
        out[p.id] = tuple(
            t.name
            for t in targets
            if any(verdicts.get((rule, ref, t.name)) for rule in p.rules for ref in p.cases)
        )
    return out
