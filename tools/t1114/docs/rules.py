"""docs/rules.md: the rule catalogue, from each rule's own metadata."""

from __future__ import annotations

import re

from t1114.docs import Generator, Sources
from t1114.loader import PackRule

_TECHNIQUE = re.compile(r"attack\.(t\d{4}(?:\.\d{3})?)$")


def techniques(rule: PackRule) -> list[str]:
    return sorted(m.group(1).upper() for t in rule.tags if (m := _TECHNIQUE.match(t)))


def log_source(rule: PackRule) -> str:
    if rule.is_correlation:
        kind = rule.doc.get("correlation", {}).get("type", "correlation")
        return f"{kind} correlation of " + ", ".join(f"`{n}`" for n in rule.referenced_names)
    ls = rule.sigma.logsource  # type: ignore[attr-defined]
    return " / ".join(p for p in (ls.product, ls.category, ls.service) if p)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render(sources: Sources) -> str:
    rules = sorted(sources.pack.rules, key=lambda r: (r.analytic or "", r.name))
    lines = [
        f"{len(rules)} rules. Every rule's file is `sigma/<platform>/<name>.yml`; its description says"
        " what it looks for and its `falsepositives` what else trips it.",
        "",
        "| rule | title | analytic | techniques | level | status | log source |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rules:
        status = r.sigma.status.name.lower() if r.sigma.status else ""
        cells = [
            f"`{r.name}`",
            r.title,
            r.analytic or "",
            ", ".join(techniques(r)),
            r.level,
            status,
            log_source(r),
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


GENERATOR = Generator("rule-catalogue", "docs/rules.md", render)
