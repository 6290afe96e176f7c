"""The two sides of a review: the base commit checked out in a temporary ``git worktree`` and
the working tree as it is, each built, tested and validated by its own code in a child process
(its ``tools/t1114`` and ``pipelines/`` first on the import path), so a change to a pipeline
shows in the compiled queries it changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from t1114.errors import PackError
from t1114.project import Project
from t1114.safeyaml import load_yaml_documents

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


def _git(cwd: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(cwd), *args], capture_output=True, text=True, timeout=300
        )
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
        (overlay / "sigma" / "pipelines" / "t1114").symlink_to(
            pipelines.resolve(), target_is_directory=True
        )
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(overlay), env.get("PYTHONPATH", "")) if p
        )
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
            "its own code failed to run ("
            + _last_lines(built.stderr, 1)
            + "); built with the working tree's tool"
        )
        env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
        built = _run(env, side.root, scratch, "build", "--out", str(dist))
    if built.returncode != 0:
        side.errors.append("build failed:\n" + _last_lines(built.stderr, 20))
        return side
    side.manifest = json.loads((dist / "manifest.json").read_text(encoding="utf-8"))
    for rule in side.manifest["rules"]:
        for target, rels in rule["queries"].items():
            # One path per rule, or (since one file holds one query) a list of them.
            paths = [rels] if isinstance(rels, str) else rels
            side.queries[(rule["id"], target)] = "\n".join(
                (dist / rel).read_text(encoding="utf-8") for rel in paths
            )
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


def head_side(project: Project) -> Side:
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
        raise PackError(
            None, f"--base {ref}: not a commit of the repository at {toplevel}"
        ) from None


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
        subprocess.run(
            ["git", "-C", str(project.root), "worktree", "remove", "--force", str(tree)],
            capture_output=True,
        )
