"""Coverage of DET0476: which analytic, platform and technique the pack's rules cover, with
what fixtures and on which targets.

The model is computed from plain data, a build manifest and fixture verdicts (as
``t1114 test --format json`` reports them), so ``t1114 review`` can compute it for any
commit's build. It is written as an ATT&CK Navigator layer, a Markdown matrix, an SVG of the
same matrix and the model itself as JSON.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.sax.saxutils import escape

from t1114.attack import load_attack
from t1114.audit.mitigation import mitigation_coverage, technique_note
from t1114.output import write_text

DETECTION_STRATEGY = "DET0476"
PARENT_TECHNIQUE = "T1114"
NAVIGATOR_VERSION = "5.1.0"
LAYER_VERSION = "4.5"


def _technique_ids(tags: list[str]) -> list[str]:
    found = set()
    for tag in tags:
        m = re.fullmatch(r"attack\.(t\d{4}(?:\.\d{3})?)", tag.lower())
        if m:
            found.add(m.group(1).upper())
    return sorted(found)


def model(manifest: dict, results: list[dict]) -> dict:
    """The coverage model of one build.

    ``manifest`` is dist/manifest.json; ``results`` are fixture verdicts with at least
    rule_id, target, file, case, expected and passed.
    """
    attack = load_attack()
    strategy = attack.detection_strategies.get(DETECTION_STRATEGY, {}).get("analytics", {})
    targets = sorted(
        {r["target"] for r in results} | {t for rule in manifest["rules"] for t in rule["queries"]}
    )
    shipped = sorted({t for rule in manifest["rules"] for t in rule["queries"]})
    rows: dict[str, list[dict]] = {a: [] for a in sorted(strategy)}
    for rule in sorted(manifest["rules"], key=lambda r: (r.get("analytic") or "", r["name"])):
        mine = [r for r in results if r["rule_id"] == rule["id"]]
        cases = {(r["file"], r["case"], r["expected"]) for r in mine}
        per_target = {}
        for target in targets:
            verdicts = [r for r in mine if r["target"] == target]
            per_target[target] = {
                "query": target in rule["queries"],
                "passed": sum(bool(r["passed"]) for r in verdicts),
                "total": len(verdicts),
            }
        rows.setdefault(rule.get("analytic") or "none", []).append(
            {
                "id": rule["id"],
                "name": rule["name"],
                "title": rule["title"],
                "techniques": _technique_ids(rule["tags"]),
                "cases": {
                    "match": sum(1 for c in cases if c[2] == "match"),
                    "no_match": sum(1 for c in cases if c[2] == "no_match"),
                },
                "targets": per_target,
            }
        )
    analytics = [
        {"id": a, "platform": strategy.get(a, {}).get("platform", "unknown"), "rules": rows[a]}
        for a in sorted(rows)
    ]
    return {
        "detection_strategy": DETECTION_STRATEGY,
        "attack_version": attack.version,
        "targets": targets,
        "shipped_targets": shipped,
        "analytics": analytics,
        "techniques": _technique_scores(analytics),
        # Mitigations the pack implements beside its rules (M1047: t1114 audit).
        "mitigations": mitigation_coverage(),
    }


def _technique_scores(analytics: list[dict]) -> dict[str, dict]:
    """Rules per technique; a technique counts the rules of its sub-techniques too."""
    attack = load_attack()
    wanted = {t for t in attack.techniques if t.split(".")[0] == PARENT_TECHNIQUE}
    rules_by: dict[str, set[str]] = {}
    for a in analytics:
        for rule in a["rules"]:
            for tid in rule["techniques"]:
                for key in {tid, tid.split(".")[0]}:
                    rules_by.setdefault(key, set()).add(rule["name"])
    wanted |= set(rules_by)
    return {
        tid: {
            "name": attack.techniques[tid].name if tid in attack.techniques else tid,
            "rules": sorted(rules_by.get(tid, set())),
        }
        for tid in sorted(wanted)
    }


def navigator_layer(cov: dict) -> dict:
    attack = load_attack()
    techniques = []
    for tid, info in cov["techniques"].items():
        technique = attack.techniques.get(tid)
        for tactic in (technique.tactics if technique else ()) or ("",):
            entry = {
                "techniqueID": tid,
                "score": len(info["rules"]),
                "comment": "; ".join(
                    filter(
                        None,
                        [
                            ("Rules: " + ", ".join(info["rules"]))
                            if info["rules"]
                            else "No rule in the pack",
                            technique_note(tid),
                        ],
                    )
                ),
                "enabled": True,
                "metadata": [{"name": "rule", "value": r} for r in info["rules"]],
                "showSubtechniques": "." not in tid,
            }
            if tactic:
                entry["tactic"] = tactic
            techniques.append(entry)
    top = max([len(i["rules"]) for i in cov["techniques"].values()] + [1])
    return {
        "name": "T1114 Email Collection pack",
        "versions": {
            "attack": cov["attack_version"].split(".")[0],
            "navigator": NAVIGATOR_VERSION,
            "layer": LAYER_VERSION,
        },
        "domain": "enterprise-attack",
        "description": f"Rules of the T1114 pack per technique (detection strategy {cov['detection_strategy']}); "
        "the score is the number of rules, a technique counting those of its sub-techniques.",
        "sorting": 3,
        "layout": {
            "layout": "side",
            "showID": True,
            "showName": True,
            "expandedSubtechniques": "annotated",
        },
        "hideDisabled": False,
        "techniques": techniques,
        "gradient": {"colors": ["#ffe0e0", "#8ec843"], "minValue": 0, "maxValue": top},
        "legendItems": [],
        "showTacticRowBackground": False,
        "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
    }


def _target_cell(cell: dict, shipped: bool) -> str:
    if not cell["query"] and not cell["total"]:
        return "—"  # the target does not apply to the rule
    verdicts = f"{cell['passed']}/{cell['total']}" if cell["total"] else "no cases"
    if not shipped:
        return verdicts
    return ("✓ " if cell["query"] else "✗ ") + verdicts


def matrix_rows(cov: dict) -> tuple[list[str], list[list[str]]]:
    """The per-rule matrix as a header and rows of plain cells (shared by Markdown and SVG)."""
    header = ["Analytic", "Platform", "Rule", "ATT&CK", "Cases (match / no match)"] + cov["targets"]
    rows = []
    for a in cov["analytics"]:
        if not a["rules"]:
            rows.append(
                [a["id"], a["platform"], "no rule yet", "", ""] + [""] * len(cov["targets"])
            )
        for rule in a["rules"]:
            rows.append(
                [
                    a["id"],
                    a["platform"],
                    rule["name"],
                    ", ".join(rule["techniques"]),
                    f"{rule['cases']['match']} / {rule['cases']['no_match']}",
                ]
                + [
                    _target_cell(rule["targets"][t], t in cov["shipped_targets"])
                    for t in cov["targets"]
                ]
            )
    return header, rows


def summary_rows(cov: dict) -> tuple[list[str], list[list[str]]]:
    header = ["Analytic", "Platform", "Rules", "Techniques", "Fixture cases"] + [
        f"{t} queries" for t in cov["shipped_targets"]
    ]
    rows = []
    for a in cov["analytics"]:
        techniques = sorted({t for r in a["rules"] for t in r["techniques"]})
        cases = sum(r["cases"]["match"] + r["cases"]["no_match"] for r in a["rules"])
        rows.append(
            [
                a["id"],
                a["platform"],
                str(len(a["rules"])),
                ", ".join(techniques) or "none",
                str(cases),
            ]
            + [
                str(sum(r["targets"][t]["query"] for r in a["rules"]))
                for t in cov["shipped_targets"]
            ]
        )
    return header, rows


def _md_table(
    header: list[str], rows: list[list[str]], code_column: int | None = None
) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [
            f"`{c}`" if i == code_column and c and c != "no rule yet" else c
            for i, c in enumerate(row)
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines


def matrix_markdown(cov: dict) -> str:
    header, rows = summary_rows(cov)
    lines = [
        f"Detection strategy {cov['detection_strategy']} (ATT&CK v{cov['attack_version']}):",
        "",
    ]
    lines += _md_table(header, rows)
    header, rows = matrix_rows(cov)
    lines += ["", "Per rule:", ""]
    lines += _md_table(header, rows, code_column=2)
    shipped = ", ".join(cov["shipped_targets"]) or "none"
    lines += [
        "",
        f"Per target: ✓ the rule ships a query ({shipped}), ✗ it does not; n/m fixture verdicts "
        "passing on that target (every case the rule must or must not match); — the target does "
        "not apply to the rule.",
    ]
    techniques = ", ".join(f"{tid} {len(i['rules'])}" for tid, i in cov["techniques"].items())
    lines += ["", f"Rules per technique: {techniques}."]
    return "\n".join(lines) + "\n"


# --- SVG -----------------------------------------------------------------------------------
CHAR_WIDTH = 7.2  # average advance of the 12px sans-serif text below, generous
ROW_HEIGHT = 24
PAD = 8
COLOURS = {
    "header": "#24425f",
    "ok": "#d9f2d0",
    "fail": "#f8d0d0",
    "none": "#eeeeee",
    "plain": "#ffffff",
}


def _cell_colour(text: str) -> str:
    m = re.search(r"(\d+)/(\d+)$", text)
    if text.startswith("✗") or (m and m.group(1) != m.group(2)):
        return COLOURS["fail"]
    if m:
        return COLOURS["ok"]
    if text in ("", "—", "no cases", "no rule yet"):
        return COLOURS["none"]
    return COLOURS["plain"]


def matrix_svg(cov: dict) -> str:
    """The per-rule matrix as a self-contained SVG (system fonts, no external resources)."""
    header, rows = matrix_rows(cov)
    widths = [
        int(max(len(c) for c in [h] + [r[i] for r in rows]) * CHAR_WIDTH + 2 * PAD)
        for i, h in enumerate(header)
    ]
    title_h = 30
    title = (
        f"Coverage of {cov['detection_strategy']} (ATT&CK v{cov['attack_version']}): "
        "analytic × platform × rule × fixtures × target"
    )
    width = max(sum(widths), int(len(title) * CHAR_WIDTH * 14 / 12))
    height = title_h + ROW_HEIGHT * (len(rows) + 1) + 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 2}" height="{height + 2}" '
        f'viewBox="0 0 {width + 2} {height + 2}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
        f"<title>T1114 pack coverage, detection strategy {escape(cov['detection_strategy'])}</title>",
        f'<text x="1" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for r, row in enumerate([header] + rows):
        y = title_h + r * ROW_HEIGHT
        x = 1
        for c, (text, w) in enumerate(zip(row, widths, strict=True)):
            fill = (
                COLOURS["header"]
                if r == 0
                else (_cell_colour(text) if c >= 4 else COLOURS["plain"])
            )
            colour = "#ffffff" if r == 0 else "#000000"
            out.append(
                f'<rect x="{x}" y="{y}" width="{w}" height="{ROW_HEIGHT}" fill="{fill}" stroke="#999999"/>'
            )
            weight = ' font-weight="bold"' if r == 0 else ""
            out.append(
                f'<text x="{x + PAD}" y="{y + 16}" fill="{colour}"{weight}>{escape(text)}</text>'
            )
            x += w
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write(cov: dict, out: Path) -> None:
    write_text(
        out / "coverage.json", json.dumps(cov, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    write_text(
        out / "navigator_layer.json",
        json.dumps(navigator_layer(cov), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
    )
    write_text(out / "matrix.md", "# T1114 pack coverage\n\n" + matrix_markdown(cov))
    write_text(out / "matrix.svg", matrix_svg(cov))
