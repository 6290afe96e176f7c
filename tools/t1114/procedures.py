"""The procedure catalogue: every public T1114 procedure, what catches it and what proves it.

``procedures/catalogue.yml`` lists each procedure once with its public source, the platforms
whose telemetry can show it, the rules that catch it and the fixture cases that prove it, or
the reason no rule can. This module loads the catalogue, checks it against the pack (a rule it
names must exist, a case must exist and must really expect one of the procedure's rules to
match, and every rule it names must be proven by one of its cases) and renders
``docs/procedures.md`` from it, so the document cannot claim what the fixtures do not show.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import jsonschema

from t1114.errors import PackError, PackErrors
from t1114.fixtures import Case, load_fixtures
from t1114.loader import Pack
from t1114.safeyaml import load_yaml_documents

CATALOGUE = Path("procedures") / "catalogue.yml"
DOC = Path("docs") / "procedures.md"

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
                    "platforms": {"type": "array", "items": {"enum": list(PLATFORMS)}, "uniqueItems": True},
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
    errors = sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(docs[0]), key=lambda e: list(e.path))
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
            Procedure(raw["id"], raw["technique"], raw["title"], src["kind"], src["ref"], src["url"],
                      tuple(raw["platforms"]), tuple(raw.get("rules", ())), tuple(raw.get("cases", ())),
                      raw.get("reason", ""))
        )
    return procedures


def _case_index(pack: Pack) -> dict[str, Case]:
    index = {}
    for fixture in load_fixtures(pack):
        owner = pack.find(fixture.rule_id)
        for case in fixture.cases:
            index[f"{owner.name}/{case.name}"] = case
    return index


def check(pack: Pack, procedures: list[Procedure], path: Path) -> list[PackError]:
    """Every claim of the catalogue held against the rules and fixtures."""
    cases = _case_index(pack)
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


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code_list(items: tuple[str, ...]) -> str:
    return "<br>".join(f"`{i}`" for i in items)


def _counts(procedures: list[Procedure]) -> list[str]:
    lines = ["| Source | Procedures | Caught (rules + fixture cases) | Not caught (reason given) |",
             "|---|---:|---:|---:|"]
    total, covered = Counter(p.kind for p in procedures), Counter(p.kind for p in procedures if p.covered)
    for kind, label in SOURCE_KINDS.items():
        if total[kind]:
            missed = total[kind] - covered[kind]
            lines.append(f"| {label} | {total[kind]} | {covered[kind]} | {missed} |")
    n, c = len(procedures), sum(covered.values())
    lines.append(f"| **All** | **{n}** | **{c}** | **{n - c}** |")
    return lines


def render(pack: Pack) -> str:
    """docs/procedures.md, from the checked catalogue."""
    procedures = load_checked(pack)
    out = [
        "# T1114 procedure catalogue",
        "",
        "Generated from `procedures/catalogue.yml` by `t1114.procedures.render`;",
        "do not edit by hand. Every procedure names the rules that catch it and the",
        "fixture cases (`<fixture rule>/<case>`) in which those rules must match; the",
        "pack's validation fails when a rule or case is missing or a case does not",
        "expect the rule. Where no rule catches a procedure, the reason is given.",
        "",
        *_counts(procedures),
        "",
        "Rule levels are shown in brackets;",
        "[docs/levels.md](levels.md) says what each level means.",
    ]
    for kind, label in SOURCE_KINDS.items():
        chosen = [p for p in procedures if p.kind == kind]
        if not chosen:
            continue
        header = "| Procedure | Technique | Source | Platforms | Rules | Fixture cases / reason |"
        out += ["", f"## {label}", "", header, "|---|---|---|---|---|---|"]
        for p in sorted(chosen, key=lambda p: (TECHNIQUES.index(p.technique), p.ref, p.id)):
            rules = "<br>".join(f"`{r}` [{pack.find(r).level}]" for r in p.rules)
            proof = _code_list(p.cases) if p.covered else f"*{_cell(p.reason)}*"
            out.append(
                f"| **{_cell(p.title)}** (`{p.id}`) | {p.technique} | [{_cell(p.ref)}]({p.url}) | "
                f"{', '.join(p.platforms) or '-'} | {rules or '-'} | {proof} |"
            )
    return "\n".join(out) + "\n"


def main() -> int:
    """``python -m t1114.procedures``: rewrite docs/procedures.md (until `t1114 docs` has it)."""
    import sys

    from t1114.attack import use_offline_attack_data
    from t1114.loader import load_pack
    from t1114.project import find_project

    use_offline_attack_data()
    try:
        pack = load_pack(find_project())
        text = render(pack)
    except (PackError, PackErrors) as e:
        print(e, file=sys.stderr)
        return 2
    (pack.project.root / DOC).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
