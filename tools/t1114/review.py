"""``t1114 review --base REF``: what a change does to every platform, for a pull-request comment.

Both sides are built the same way: the base commit checked out in a temporary ``git worktree``
and the working tree as it is. Each side is built, tested and validated by its own code (its
``tools/t1114`` and ``pipelines/`` put first on the import path of a child process, through
its command line), so a change to a pipeline shows in the compiled queries it changes. The
comparison (rules added, removed and changed, query diffs, fixture verdicts, validator
findings, coverage) is written as ``review.md`` and ``review.json``.

A regression, a fixture case that passed and now fails (on the rule, or on the shipped query
text where the side checks it), or a rule that no longer compiles for a target it had, makes
the command exit 1.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from t1114.errors import PackError
from t1114.output import write_atomically, write_text
from t1114.package import coverage
from t1114.project import Project
from t1114.safeyaml import load_yaml_documents

REPORT_MD = "review.md"
REPORT_JSON = "review.json"
MAX_DIFF_LINES = 200  # per query diff in the Markdown; the JSON keeps everything
MAX_COMMENT_CHARS = 60000  # GitHub refuses comments over 65536 characters
CHILD_TIMEOUT = 900


@dataclass
class Side:
    """One build of the pack: its manifest, queries, fixture verdicts and findings."""

    label: str
    root: Path
    commit: str | None = None
    manifest: dict = field(default_factory=lambda: {"rules": []})
    queries: dict[tuple[str, str], str] = field(default_factory=dict)  # (rule id, target) -> text
    docs: dict[str, dict] = field(default_factory=dict)  # rule id -> its YAML document
    results: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)  # query-level checks, where the side has them
    findings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rules(self) -> dict[str, dict]:
        return {r["id"]: r for r in self.manifest["rules"]}

    def verdicts(self) -> dict[tuple[str, str, str], dict]:
        return {(r["rule_id"], r["target"], r["case"]): r for r in self.results}

    def query_checks(self) -> dict[tuple[str, str, str], dict]:
        return {(c["rule_id"], c["target"], c["case"]): c for c in self.checks}


# --- building a side ------------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, timeout=300)
    except OSError as e:
        raise PackError(cwd, f"cannot run git: {e.strerror or e}") from None
    if done.returncode != 0:
        message = (done.stderr.strip() or done.stdout.strip()).splitlines()
        raise PackError(cwd, f"git {args[0]}: {message[-1] if message else 'failed'}")
    return done.stdout.strip()


def _code_env(root: Path, scratch: Path) -> dict[str, str]:
    """Environment that runs the pack's own code from ``root`` when it has it.

    The installed ``t1114`` and ``sigma.pipelines.t1114`` are shadowed by links to the side's
    sources; pySigma and the other dependencies stay the installed ones.
    """
    env = {k: v for k, v in os.environ.items() if k != "T1114_ROOT"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    tools, pipelines = root / "tools" / "t1114", root / "pipelines"
    if (tools / "__init__.py").is_file() and (pipelines / "__init__.py").is_file():
        overlay = scratch / "code"
        (overlay / "sigma" / "pipelines").mkdir(parents=True)
        (overlay / "t1114").symlink_to(tools.resolve(), target_is_directory=True)
        (overlay / "sigma" / "pipelines" / "t1114").symlink_to(pipelines.resolve(), target_is_directory=True)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(overlay), env.get("PYTHONPATH", "")) if p)
    return env


def _run(env: dict, root: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    # Run from the scratch directory: ``python -m`` puts its working directory first on the
    # import path, and the pack's own directories (sigma/ among them) must not be importable.
    return subprocess.run(
        [sys.executable, "-m", "t1114", "--root", str(root), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=CHILD_TIMEOUT,
    )


def _last_lines(text: str, n: int = 5) -> str:
    return "\n".join(text.strip().splitlines()[-n:])


def build_side(side: Side, scratch: Path) -> Side:
    """Build, test and validate one side into ``side`` (problems go to ``side.errors``)."""
    scratch.mkdir(parents=True, exist_ok=True)
    env = _code_env(side.root, scratch)
    dist = scratch / "dist"
    built = _run(env, side.root, scratch, "build", "--out", str(dist))
    if built.returncode not in (0, 2) and "PYTHONPATH" in env:
        # The side's own code cannot run here (too old, or broken): build its rules with
        # this tool, and say so.
        side.notes.append(
            "its own code failed to run (" + _last_lines(built.stderr, 1) + "); built with the working tree's tool"
        )
        env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
        built = _run(env, side.root, scratch, "build", "--out", str(dist))
    if built.returncode != 0:
        side.errors.append("build failed:\n" + _last_lines(built.stderr, 20))
        return side
    side.manifest = json.loads((dist / "manifest.json").read_text(encoding="utf-8"))
    for rule in side.manifest["rules"]:
        for target, rel in rule["queries"].items():
            side.queries[(rule["id"], target)] = (dist / rel).read_text(encoding="utf-8")
        source = side.root / rule["source"]
        docs = load_yaml_documents(source)
        side.docs[rule["id"]] = docs[0] if docs and isinstance(docs[0], dict) else {}
    tested = _run(env, side.root, scratch, "test", "--format", "json")
    try:
        report = json.loads(tested.stdout)
        side.results = report["results"]
        # The shipped query text checked against the same cases (sides whose tool does it).
        side.checks = (report.get("queries") or {}).get("checks", [])
    except (ValueError, KeyError, TypeError, AttributeError):
        side.errors.append("fixture tests failed to run:\n" + _last_lines(tested.stderr, 20))
    validated = _run(env, side.root, scratch, "validate")
    if validated.returncode in (0, 1):
        side.findings = sorted(line for line in validated.stdout.splitlines() if line.strip())
    else:
        side.errors.append("validate failed to run:\n" + _last_lines(validated.stderr, 20))
    return side


def _head(project: Project) -> Side:
    """The working tree, labelled with its commit and whether it has uncommitted changes."""
    try:
        commit = _git(project.root, "rev-parse", "HEAD")
        dirty = bool(_git(project.root, "status", "--porcelain", "--", "."))
    except PackError:
        return Side("working tree", project.root.resolve())
    label = f"working tree ({commit[:12]}{', with uncommitted changes' if dirty else ''})"
    return Side(label, project.root.resolve(), commit)


def resolve_base(project: Project, ref: str) -> str:
    toplevel = _git(project.root, "rev-parse", "--show-toplevel")
    try:
        return _git(project.root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except PackError:
        raise PackError(None, f"--base {ref}: not a commit of the repository at {toplevel}") from None


def build_base(project: Project, ref: str, commit: str, scratch: Path) -> Side:
    toplevel = Path(_git(project.root, "rev-parse", "--show-toplevel")).resolve()
    tree = scratch / "tree"
    _git(project.root, "worktree", "add", "--detach", str(tree), commit)
    try:
        root = tree / project.root.resolve().relative_to(toplevel)
        side = Side(f"base {ref} ({commit[:12]})", root, commit)
        if not (root / "sigma").is_dir():
            side.errors.append(f"{ref} has no pack at {root.relative_to(tree)}")
            return side
        return build_side(side, scratch / "base")
    finally:
        subprocess.run(["git", "-C", str(project.root), "worktree", "remove", "--force", str(tree)], capture_output=True)


# --- comparing ------------------------------------------------------------------------------


def _verdict(result: dict | None) -> str:
    if result is None:
        return "absent"
    return "pass" if result["passed"] else "fail"


def _diff(before: str, after: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{name}", f"b/{name}"
        )
    )


def _metadata_changes(before: dict, after: dict) -> dict:
    changes = {}
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changes[key] = {"before": before.get(key), "after": after.get(key)}
    return changes


def _rule_entry(side_rules: dict, rid: str) -> dict:
    rule = side_rules[rid]
    return {"id": rid, "name": rule["name"], "title": rule["title"], "analytic": rule.get("analytic")}


def _fixture_rows(base: Side, head: Side, rid: str) -> list[dict]:
    """A rule's fixture verdicts before and after, then its query-level checks."""
    rows = []
    for before, after, status, label in (
        (base.verdicts(), head.verdicts(), _verdict, "{}"),
        (base.query_checks(), head.query_checks(), _check_status, "{} query"),
    ):
        keys = sorted({k for k in before if k[0] == rid} | {k for k in after if k[0] == rid}, key=lambda k: (k[1], k[2]))
        for key in keys:
            b, a = before.get(key), after.get(key)
            rows.append(
                {
                    "target": label.format(key[1]),
                    "case": key[2],
                    "before": status(b),
                    "after": status(a),
                    "reason": (a or b)["reason"],
                }
            )
    return rows


def _check_status(check: dict | None) -> str:
    return "absent" if check is None else check["status"]


def _fixture_summary(side: Side, rid: str) -> dict[str, str]:
    out: dict[str, list[int]] = {}
    for r in side.results:
        if r["rule_id"] == rid:
            counts = out.setdefault(r["target"], [0, 0])
            counts[0] += bool(r["passed"])
            counts[1] += 1
    return {t: f"{p}/{n}" for t, (p, n) in sorted(out.items())}


def compare(base: Side, head: Side) -> dict:
    base_rules, head_rules = base.rules, head.rules
    added = sorted(set(head_rules) - set(base_rules), key=lambda r: head_rules[r]["name"])
    removed = sorted(set(base_rules) - set(head_rules), key=lambda r: base_rules[r]["name"])
    common = sorted(set(base_rules) & set(head_rules), key=lambda r: head_rules[r]["name"])
    targets = sorted({t for _, t in base.queries} | {t for _, t in head.queries})

    def details(rid: str) -> dict:
        entry = _rule_entry(head_rules if rid in head_rules else base_rules, rid)
        queries = {}
        for target in targets:
            b, a = base.queries.get((rid, target)), head.queries.get((rid, target))
            if b != a:
                name = f"queries/{target}/{entry['name']}"
                queries[target] = {
                    "status": "added" if b is None else "removed" if a is None else "changed",
                    "diff": _diff(b or "", a or "", name),
                }
        entry["metadata"] = _metadata_changes(base.docs.get(rid, {}), head.docs.get(rid, {}))
        entry["queries"] = queries
        entry["fixtures"] = _fixture_rows(base, head, rid)
        entry["fixtures_before"] = _fixture_summary(base, rid)
        entry["fixtures_after"] = _fixture_summary(head, rid)
        return entry

    changed, affected = [], []
    for rid in common:
        entry = details(rid)
        fixture_change = any(row["before"] != row["after"] for row in entry["fixtures"])
        if base.docs.get(rid) != head.docs.get(rid):
            changed.append(entry)
        elif entry["queries"] or fixture_change:
            affected.append(entry)

    regressions = []
    before, after = base.verdicts(), head.verdicts()
    for key, b in sorted(before.items(), key=lambda kv: (kv[1]["rule_name"], kv[0][1], kv[0][2])):
        a = after.get(key)
        if b["passed"] and a is not None and not a["passed"]:
            regressions.append(
                {"kind": "fixture", "rule": b["rule_name"], "target": key[1], "case": key[2], "reason": a["reason"]}
            )
    checks_before, checks_after = base.query_checks(), head.query_checks()
    for key, b in sorted(checks_before.items(), key=lambda kv: (kv[1]["rule_name"], kv[0][1], kv[0][2])):
        a = checks_after.get(key)
        if b["status"] == "agree" and a is not None and a["status"] in ("disagree", "syntax"):
            regressions.append(
                {"kind": "query", "rule": b["rule_name"], "target": key[1], "case": key[2], "reason": a["reason"]}
            )
    for rid in common:
        for target in targets:
            if (rid, target) in base.queries and (rid, target) not in head.queries:
                regressions.append({"kind": "target", "rule": head_rules[rid]["name"], "target": target})
    if head.errors and not base.errors:
        regressions.append({"kind": "build", "rule": None, "target": None, "reason": head.errors[0]})

    return {
        "base": {"label": base.label, "commit": base.commit, "errors": base.errors, "notes": base.notes},
        "head": {"label": head.label, "commit": head.commit, "errors": head.errors, "notes": head.notes},
        "summary": {
            "rules": [len(base_rules), len(head_rules)],
            "fixture_verdicts_passing": [sum(r["passed"] for r in base.results), sum(r["passed"] for r in head.results)],
            "fixture_verdicts": [len(base.results), len(head.results)],
            "query_checks_agreeing": [sum(c["status"] == "agree" for c in side.checks) for side in (base, head)],
            "query_checks": [len(base.checks), len(head.checks)],
            "findings": [len(base.findings), len(head.findings)],
        },
        "rules": {
            "added": [details(rid) for rid in added],
            "removed": [details(rid) for rid in removed],
            "changed": changed,
            "affected": affected,
        },
        "fixtures": {
            "per_rule": [
                {
                    "rule": (head_rules.get(rid) or base_rules[rid])["name"],
                    "before": _fixture_summary(base, rid),
                    "after": _fixture_summary(head, rid),
                }
                for rid in sorted(set(base_rules) | set(head_rules), key=lambda r: (head_rules.get(r) or base_rules[r])["name"])
            ],
            "failing": [
                {"rule": r["rule_name"], "target": r["target"], "case": r["case"], "reason": r["reason"]}
                for r in head.results
                if not r["passed"]
            ],
        },
        "findings": {
            "new": sorted(set(head.findings) - set(base.findings)),
            "resolved": sorted(set(base.findings) - set(head.findings)),
        },
        "coverage": _coverage_change(base, head),
        "regressions": regressions,
        "ok": not regressions,
    }


def _coverage_of(side: Side) -> dict:
    return coverage.model(side.manifest, side.results)


def _coverage_change(base: Side, head: Side) -> dict:
    b, a = _coverage_of(base), _coverage_of(head)

    def per_analytic(cov: dict) -> dict:
        return {
            x["id"]: {
                "platform": x["platform"],
                "rules": len(x["rules"]),
                "cases": sum(r["cases"]["match"] + r["cases"]["no_match"] for r in x["rules"]),
                "techniques": sorted({t for r in x["rules"] for t in r["techniques"]}),
            }
            for x in cov["analytics"]
        }

    pb, pa = per_analytic(b), per_analytic(a)
    analytics = []
    for aid in sorted(set(pb) | set(pa)):
        empty = {"platform": (pa.get(aid) or pb.get(aid))["platform"], "rules": 0, "cases": 0, "techniques": []}
        x, y = pb.get(aid, empty), pa.get(aid, empty)
        analytics.append({"analytic": aid, "platform": y["platform"], "before": x, "after": y, "changed": x != y})
    techniques = []
    for tid in sorted(set(b["techniques"]) | set(a["techniques"])):
        x = len(b["techniques"].get(tid, {}).get("rules", []))
        y = len(a["techniques"].get(tid, {}).get("rules", []))
        techniques.append({"technique": tid, "before": x, "after": y})
    return {"analytics": analytics, "techniques": techniques}


# --- reporting ------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
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
    return "\n".join(lines[:MAX_DIFF_LINES] + [f"... {len(lines) - MAX_DIFF_LINES} more lines in review.json"])


def _rule_section(entry: dict, kind: str) -> list[str]:
    out = [f"#### `{entry['name']}` ({kind})", "", f"{entry['title']} · {entry.get('analytic') or 'no analytic'}", ""]
    if entry["metadata"] and kind == "changed":
        out += ["| field | before | after |", "|---|---|---|"]
        out += [f"| `{k}` | {_cell(v['before'])} | {_cell(v['after'])} |" for k, v in entry["metadata"].items()]
        out.append("")
    for target, q in entry["queries"].items():
        out += [f"<details><summary>{target} query {q['status']}</summary>", "", "```diff", _clip_diff(q["diff"]), "```", "", "</details>", ""]
    changed = [
        row for row in entry["fixtures"] if row["before"] != row["after"] or row["after"] in ("fail", "disagree", "syntax")
    ]
    if changed:
        out += ["| target | case | before | after | detail |", "|---|---|---|---|---|"]
        out += [
            f"| {r['target']} | `{r['case']}` | {r['before']} | {r['after']} | {_cell(r['reason'])} |" for r in changed
        ]
        out.append("")
    before = ", ".join(f"{t} {v}" for t, v in entry["fixtures_before"].items()) or "none"
    after = ", ".join(f"{t} {v}" for t, v in entry["fixtures_after"].items()) or "none"
    out += [f"Fixture verdicts passing: before {before}; after {after}.", ""]
    return out


def markdown(report: dict) -> str:
    s = report["summary"]
    verdict = "✅ no regressions" if report["ok"] else f"❌ {len(report['regressions'])} regression(s)"
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
                out.append(f"- `{r['rule']}` [{r['target']}] `{r['case']}` passed before and fails now: {r['reason']}")
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
    out += ["", "### Coverage", "", "| analytic | platform | rules | fixture cases | techniques |", "|---|---|---|---|---|"]
    for a in report["coverage"]["analytics"]:
        b, x = a["before"], a["after"]
        mark = " **changed**" if a["changed"] else ""
        cells = [_change(b[k], x[k]) for k in ("rules", "cases")]
        cells.append(_change(", ".join(b["techniques"]) or "none", ", ".join(x["techniques"]) or "none"))
        out.append(f"| {a['analytic']}{mark} | {a['platform']} | " + " | ".join(cells) + " |")
    scores = ", ".join(
        f"{t['technique']} {t['before']} → {t['after']}" for t in report["coverage"]["techniques"] if t["before"] != t["after"]
    )
    out += ["", f"Rules per technique changed: {scores or 'none'}.", ""]
    out += ["<details><summary>Fixture verdicts per rule</summary>", "", "| rule | before | after |", "|---|---|---|"]
    for row in report["fixtures"]["per_rule"]:
        b = ", ".join(f"{t} {v}" for t, v in row["before"].items()) or "—"
        a = ", ".join(f"{t} {v}" for t, v in row["after"].items()) or "—"
        out.append(f"| `{row['rule']}` | {b} | {a} |")
    out += ["", "</details>", ""]
    text = "\n".join(out) + "\n"
    if len(text) > MAX_COMMENT_CHARS:
        text = text[:MAX_COMMENT_CHARS] + "\n\n… cut to fit a comment; review.json has the whole review.\n"
    return text


def review(project: Project, ref: str, out: Path) -> dict:
    """Build ``ref`` and the working tree, compare them, write the report; returns it."""
    commit = resolve_base(project, ref)
    with tempfile.TemporaryDirectory(prefix="t1114-review-") as tmp:
        scratch = Path(tmp)
        # The two sides are independent child processes: build them side by side.
        with ThreadPoolExecutor(max_workers=2) as pool:
            base = pool.submit(build_base, project, ref, commit, scratch)
            head = pool.submit(build_side, _head(project), scratch / "head")
            report = compare(base.result(), head.result())

    def write(staging: Path) -> None:
        write_text(staging / REPORT_JSON, json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        write_text(staging / REPORT_MD, markdown(report))

    write_atomically(out, write)
    return report
