"""The review as Markdown for a pull-request comment (``review.json`` keeps everything)."""

from __future__ import annotations

import json

MAX_DIFF_LINES = 200  # per query diff in the Markdown; the JSON keeps everything
MAX_COMMENT_CHARS = 60000  # GitHub refuses comments over 65536 characters


def _cell(value) -> str:
    if value is None:
        return "—"
    text = (
        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )
    text = " ".join(text.split())
    if len(text) > 160:
        text = text[:157] + "..."
    return text.replace("|", "\\|")


def _change(before, after) -> str:
    return f"{before}" if before == after else f"{before} → {after}"


def _clip_diff(diff: str) -> str:
    lines = diff.splitlines()
    if len(lines) <= MAX_DIFF_LINES:
        return diff.rstrip("\n")
    return "\n".join(
        lines[:MAX_DIFF_LINES] + [f"... {len(lines) - MAX_DIFF_LINES} more lines in review.json"]
    )


def _rule_section(entry: dict, kind: str) -> list[str]:
    out = [
        f"#### `{entry['name']}` ({kind})",
        "",
        f"{entry['title']} · {entry.get('analytic') or 'no analytic'}",
        "",
    ]
    if entry["metadata"] and kind == "changed":
        out += ["| field | before | after |", "|---|---|---|"]
        out += [
            f"| `{k}` | {_cell(v['before'])} | {_cell(v['after'])} |"
            for k, v in entry["metadata"].items()
        ]
        out.append("")
    for target, q in entry["queries"].items():
        out += [
            f"<details><summary>{target} query {q['status']}</summary>",
            "",
            "```diff",
            _clip_diff(q["diff"]),
            "```",
            "",
            "</details>",
            "",
        ]
    changed = [
        row
        for row in entry["fixtures"]
        if row["before"] != row["after"] or row["after"] in ("fail", "disagree", "syntax")
    ]
    if changed:
        out += ["| target | case | before | after | detail |", "|---|---|---|---|---|"]
        out += [
            f"| {r['target']} | `{r['case']}` | {r['before']} | {r['after']} | {_cell(r['reason'])} |"
            for r in changed
        ]
        out.append("")
    before = ", ".join(f"{t} {v}" for t, v in entry["fixtures_before"].items()) or "none"
    after = ", ".join(f"{t} {v}" for t, v in entry["fixtures_after"].items()) or "none"
    out += [f"Fixture verdicts passing: before {before}; after {after}.", ""]
    return out


def markdown(report: dict) -> str:
    s = report["summary"]
    verdict = (
        "✅ no regressions" if report["ok"] else f"❌ {len(report['regressions'])} regression(s)"
    )
    out = [
        "## T1114 pack review",
        "",
        f"{report['base']['label']} → {report['head']['label']}: **{verdict}**",
        "",
        "| | base | head |",
        "|---|---|---|",
        f"| rules | {s['rules'][0]} | {s['rules'][1]} |",
        f"| fixture verdicts passing | {s['fixture_verdicts_passing'][0]}/{s['fixture_verdicts'][0]} | "
        f"{s['fixture_verdicts_passing'][1]}/{s['fixture_verdicts'][1]} |",
        f"| query checks agreeing with the rule | {s['query_checks_agreeing'][0]}/{s['query_checks'][0]} | "
        f"{s['query_checks_agreeing'][1]}/{s['query_checks'][1]} |",
        f"| validator findings | {s['findings'][0]} | {s['findings'][1]} |",
        "",
    ]
    for side in ("base", "head"):
        for note in report[side]["notes"]:
            out.append(f"> {side}: {note}")
        for error in report[side]["errors"]:
            out += [f"> **{side}: {error.splitlines()[0]}**", "", "```", error, "```"]
    if report["regressions"]:
        out += ["### Regressions", ""]
        for r in report["regressions"]:
            if r["kind"] == "fixture":
                out.append(
                    f"- `{r['rule']}` [{r['target']}] `{r['case']}` passed before and fails now: {r['reason']}"
                )
            elif r["kind"] == "query":
                out.append(
                    f"- `{r['rule']}` [{r['target']}] `{r['case']}`: the shipped query agreed with the rule "
                    f"before and does not now: {r['reason']}"
                )
            elif r["kind"] == "target":
                out.append(f"- `{r['rule']}` no longer compiles for {r['target']}")
            else:
                out.append(f"- the working tree does not build: {r['reason'].splitlines()[-1]}")
        out.append("")
    rules = report["rules"]
    out += [
        "### Rules",
        "",
        f"{len(rules['added'])} added, {len(rules['removed'])} removed, {len(rules['changed'])} changed, "
        f"{len(rules['affected'])} affected without a change of their own (a pipeline or a correlated rule changed).",
        "",
    ]
    for kind in ("added", "removed", "changed", "affected"):
        for entry in rules[kind]:
            out += _rule_section(entry, kind)
    findings = report["findings"]
    out += ["### Validator findings", ""]
    if not findings["new"] and not findings["resolved"]:
        out += ["No change.", ""]
    out += [f"- new: {_cell(f)}" for f in findings["new"]]
    out += [f"- resolved: {_cell(f)}" for f in findings["resolved"]]
    out += [
        "",
        "### Coverage",
        "",
        "| analytic | platform | rules | fixture cases | techniques |",
        "|---|---|---|---|---|",
    ]
    for a in report["coverage"]["analytics"]:
        b, x = a["before"], a["after"]
        mark = " **changed**" if a["changed"] else ""
        cells = [_change(b[k], x[k]) for k in ("rules", "cases")]
        cells.append(
            _change(", ".join(b["techniques"]) or "none", ", ".join(x["techniques"]) or "none")
        )
        out.append(f"| {a['analytic']}{mark} | {a['platform']} | " + " | ".join(cells) + " |")
    scores = ", ".join(
        f"{t['technique']} {t['before']} → {t['after']}"
        for t in report["coverage"]["techniques"]
        if t["before"] != t["after"]
    )
    out += ["", f"Rules per technique changed: {scores or 'none'}.", ""]
    out += [
        "<details><summary>Fixture verdicts per rule</summary>",
        "",
        "| rule | before | after |",
        "|---|---|---|",
    ]
    for row in report["fixtures"]["per_rule"]:
        b = ", ".join(f"{t} {v}" for t, v in row["before"].items()) or "—"
        a = ", ".join(f"{t} {v}" for t, v in row["after"].items()) or "—"
        out.append(f"| `{row['rule']}` | {b} | {a} |")
    out += ["", "</details>", ""]
    text = "\n".join(out) + "\n"
    if len(text) > MAX_COMMENT_CHARS:
        text = (
            text[:MAX_COMMENT_CHARS]
            + "\n\n… cut to fit a comment; review.json has the whole review.\n"
        )
    return text
