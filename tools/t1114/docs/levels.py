"""docs/levels.md: the pack's rules at each level, from each rule's own metadata, so the
page that says what a level means also shows which rules carry it."""

from __future__ import annotations

from t1114.docs import Generator, Sources

LEVELS = ("critical", "high", "medium", "low", "informational")


def render(sources: Sources) -> str:
    rules = sources.pack.rules
    lines = ["| Level | Rules | Of which correlations | Names |", "|---|---:|---:|---|"]
    for level in LEVELS:
        chosen = sorted((r for r in rules if r.level == level), key=lambda r: r.name)
        correlations = sum(1 for r in chosen if r.is_correlation)
        names = "<br>".join(f"`{r.name}`" for r in chosen) or "-"
        lines.append(f"| `{level}` | {len(chosen)} | {correlations} | {names} |")
    return "\n".join(lines)


GENERATOR = Generator("rules-by-level", "docs/levels.md", render)
