"""docs/procedures.md: the procedure catalogue, from procedures/catalogue.yml as the pack's
validation checks it, with the targets on which each procedure's fixture cases prove it."""

from __future__ import annotations

from collections import Counter

from t1114.docs import Generator, Sources
from t1114.procedures import (
    CATALOGUE,
    PLATFORMS,
    SOURCE_KINDS,
    TECHNIQUES,
    Procedure,
    load_checked,
    proven_targets,
    rule_named,
)
from t1114.targets import all_targets


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _by_source(procedures: list[Procedure]) -> list[str]:
    lines = [
        "| Source | Procedures | Caught (rules + fixture cases) | Not caught (reason given) |",
        "|---|---:|---:|---:|",
    ]
    total, covered = (
        Counter(p.kind for p in procedures),
        Counter(p.kind for p in procedures if p.covered),
    )
    for kind, label in SOURCE_KINDS.items():
        if total[kind]:
            lines.append(
                f"| {label} | {total[kind]} | {covered[kind]} | {total[kind] - covered[kind]} |"
            )
    n, c = len(procedures), sum(covered.values())
    lines.append(f"| **All** | **{n}** | **{c}** | **{n - c}** |")
    return lines


def _by_platform(
    procedures: list[Procedure], proven: dict[str, tuple[str, ...]], targets: list[str]
) -> list[str]:
    lines = [
        "| Platform | Procedures | " + " | ".join(f"caught on {t}" for t in targets) + " |",
        "|---|---:|" + "---:|" * len(targets),
    ]
    for platform in PLATFORMS:
        chosen = [p for p in procedures if platform in p.platforms]
        if chosen:
            cells = [str(sum(1 for p in chosen if t in proven[p.id])) for t in targets]
            lines.append(f"| {platform} | {len(chosen)} | " + " | ".join(cells) + " |")
    return lines


def render(sources: Sources) -> str:
    pack = sources.pack
    if not (pack.project.root / CATALOGUE).is_file():
        return f"This pack has no procedure catalogue (`{CATALOGUE.as_posix()}`)."
    procedures = load_checked(pack)
    proven = proven_targets(pack, procedures)
    targets = list(all_targets())
    out = [
        *_by_source(procedures),
        "",
        "Procedures per platform whose telemetry can show them, and on how many of them a",
        "fixture case proves the catch on each target (every rendering of the case matched):",
        "",
        *_by_platform(procedures, proven, targets),
    ]
    for kind, label in SOURCE_KINDS.items():
        chosen = [p for p in procedures if p.kind == kind]
        if not chosen:
            continue
        out += [
            "",
            f"### {label}",
            "",
            "| Procedure | Technique | Source | Platforms | Rules [level] | Fixture cases / reason | Proven on |",
            "|---|---|---|---|---|---|---|",
        ]
        for p in sorted(chosen, key=lambda p: (TECHNIQUES.index(p.technique), p.ref, p.id)):
            rules = "<br>".join(f"`{r}` [{rule_named(pack, r).level}]" for r in p.rules)
            proof = "<br>".join(f"`{c}`" for c in p.cases) if p.covered else f"*{_cell(p.reason)}*"
            out.append(
                f"| **{_cell(p.title)}** (`{p.id}`) | {p.technique} | [{_cell(p.ref)}]({p.url}) | "
                f"{', '.join(p.platforms) or '-'} | {rules or '-'} | {proof} | {', '.join(proven[p.id]) or '-'} |"
            )
    return "\n".join(out)


GENERATOR = Generator("procedure-catalogue", "docs/procedures.md", render)
