"""``t1114 review``: on a throw-away git repository holding the pack, each kind of change is
reported as what it is, and regressions fail the command."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    import os

    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env={**os.environ, **GIT_ENV})
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git repository holding the pack (inputs and code), one commit."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("sigma", "fixtures", "config", "tools", "pipelines"):
        shutil.copytree(ROOT / name, repo / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, repo / name)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pack")
    return repo


def commit(repo: Path, path: str, old: str, new: str) -> None:
    file = repo / path
    text = file.read_text()
    assert old in text, (path, old)
    file.write_text(text.replace(old, new))
    git(repo, "commit", "-q", "-am", f"edit {path}")


def edit_doc(repo: Path, rule, change) -> None:
    """Change a rule's YAML document in place (``change(doc)``) and commit."""
    path = repo / rule.path.relative_to(ROOT)
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    git(repo, "commit", "-q", "-am", f"edit {rule.name}")


def standalone_process_rule(pack):
    """A process-creation rule that no correlation embeds: editing it changes only itself."""
    embedded = {name for r in pack.rules for name in r.referenced_names}
    for rule in pack.rules:
        if (
            not rule.is_correlation
            and rule.logsource.category == "process_creation"
            and rule.name not in embedded
            and rule.id not in embedded
        ):
            return rule
    pytest.skip("the pack has no process-creation rule outside correlations")


NEVER = "t1114-review-never-matches"


def review(cli, repo: Path, base: str = "HEAD~1"):
    out = repo / "review-out"
    result = cli("review", "--base", base, "--out", str(out), cwd=repo)
    report = json.loads((out / "review.json").read_text()) if (out / "review.json").exists() else None
    return result, report, out


def names(report, kind):
    return [r["name"] for r in report["rules"][kind]]


def test_editing_one_rule_reports_exactly_that_rule(cli, repo, pack, dist):
    rule = standalone_process_rule(pack)
    level = "critical" if rule.level != "critical" else "high"

    def change(doc):
        # A filter no fixture trips (the queries change, the verdicts do not), and a new level.
        doc["detection"]["review_edit"] = {"CommandLine|contains": NEVER}
        doc["detection"]["condition"] = f"({doc['detection']['condition']}) and not review_edit"
        doc["level"] = level

    edit_doc(repo, rule, change)
    result, report, out = review(cli, repo)
    assert result.returncode == 0, result.stderr
    assert names(report, "changed") == [rule.name]
    assert names(report, "added") == names(report, "removed") == names(report, "affected") == []
    entry = report["rules"]["changed"][0]
    assert list(entry["metadata"]) == ["detection", "level"]
    assert entry["metadata"]["level"] == {"before": rule.level, "after": level}
    built = json.loads((dist / "manifest.json").read_text())
    targets = next(r["queries"] for r in built["rules"] if r["id"] == rule.id)
    assert set(entry["queries"]) == set(targets)
    for q in entry["queries"].values():
        assert q["status"] == "changed"
        assert any(NEVER in line for line in q["diff"].splitlines() if line.startswith("+"))
    assert entry["fixtures_before"] == entry["fixtures_after"]
    assert report["regressions"] == [] and report["ok"]
    md = (out / "review.md").read_text()
    assert "0 added, 0 removed, 1 changed, 0 affected" in md
    assert f"#### `{rule.name}` (changed)" in md
    assert md.count("#### ") == 1
    assert f"| `level` | {rule.level} | {level} |" in md


def test_a_pipeline_change_affects_rules_without_changing_them(cli, repo, dist):
    # Each side is built by its own pipelines: renaming a Splunk source macro changes every
    # search of that source, though no rule file changed.
    macro = "t1114_o365_management_activity"
    commit(repo, "pipelines/splunk.py", f'macro="{macro}"', 'macro="t1114_renamed_source"')
    built = json.loads((dist / "manifest.json").read_text())
    expected = {
        r["name"]: {t for t, rel in r["queries"].items() if f"`{macro}`" in (dist / rel).read_text()}
        for r in built["rules"]
    }
    expected = {name: targets for name, targets in expected.items() if targets}
    assert expected
    result, report, _ = review(cli, repo)
    assert result.returncode == 0, result.stderr
    assert names(report, "changed") == []
    assert names(report, "affected") == sorted(expected)
    for entry in report["rules"]["affected"]:
        assert set(entry["queries"]) == expected[entry["name"]]
        for q in entry["queries"].values():
            assert "`t1114_renamed_source`" in q["diff"]


def test_regressions_fail_the_review(cli, repo, pack, dist):
    # One change, two regressions: a rule that no longer matches its positive cases, and the
    # Elastic target no longer built, so every rule loses its Elastic query.
    rule = standalone_process_rule(pack)
    path = repo / rule.path.relative_to(ROOT)
    doc = yaml.safe_load(path.read_text())
    doc["detection"]["review_edit"] = {"CommandLine|contains": NEVER}
    doc["detection"]["condition"] = f"({doc['detection']['condition']}) and review_edit"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    commit(repo, "tools/t1114/targets/elastic/__init__.py", "class ElasticTarget(Target):\n", "class ElasticTarget(Target):\n    builds = False\n")
    result, report, out = review(cli, repo)
    assert result.returncode == 1
    fixture = [r for r in report["regressions"] if r["kind"] == "fixture"]
    assert fixture and {r["rule"] for r in fixture} == {rule.name}
    assert all(r["reason"] == "expected a match and got none" for r in fixture)
    lost = {(r["rule"], r["target"]) for r in report["regressions"] if r["kind"] == "target"}
    built = json.loads((dist / "manifest.json").read_text())
    assert lost == {(r["name"], "elastic") for r in built["rules"] if "elastic" in r["queries"]}
    assert "❌" in (out / "review.md").read_text()
    assert f"regression: fixture {rule.name}" in result.stderr
    assert "regression: target" in result.stderr


def test_a_base_whose_own_code_cannot_run_is_built_with_this_tool(cli, repo, pack):
    build = repo / "tools" / "t1114" / "build.py"
    good = build.read_text()
    build.write_text(good + '\nraise RuntimeError("old tool")\n')
    git(repo, "commit", "-q", "-am", "a base whose build cannot run")
    build.write_text(good)
    git(repo, "commit", "-q", "-am", "fixed")
    result, report, out = review(cli, repo)
    assert result.returncode == 0, result.stderr
    assert report["base"]["errors"] == []
    assert any("built with the working tree's tool" in n and "old tool" in n for n in report["base"]["notes"])
    assert report["rules"]["changed"] == report["rules"]["affected"] == [] and report["summary"]["rules"] == [len(pack.rules)] * 2
    assert "built with the working tree's tool" in (out / "review.md").read_text()


def test_an_unknown_base_is_a_clear_error(cli, repo):
    result, report, out = review(cli, repo, base="no-such-branch")
    assert result.returncode == 2
    assert "--base no-such-branch: not a commit" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert git(repo, "worktree", "list").count("\n") == 1


def test_the_example_workflow_posts_what_review_writes():
    import yaml

    from t1114.review import REPORT_JSON, REPORT_MD

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "review.yml").read_text())
    steps = workflow["jobs"]["review"]["steps"]
    run = "\n".join(s.get("run", "") for s in steps)
    assert '.venv/bin/t1114 review --base "origin/${{ github.base_ref }}" --out review' in run
    assert f"gh pr comment \"$PR\" --body-file review/{REPORT_MD}" in run
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    assert any(f"review/{REPORT_JSON}" in s.get("if", "") for s in steps)
    assert workflow["permissions"]["pull-requests"] == "write"


def test_compare_flags_a_query_check_that_no_longer_agrees():
    from t1114.review import Side, compare

    def side(status: str) -> Side:
        s = Side("x", ROOT)
        s.manifest = {"rules": [{"id": "r1", "name": "rule_one", "title": "Rule one", "analytic": "AN1309", "tags": [], "queries": {"splunk": "q"}}]}
        s.queries = {("r1", "splunk"): "index=x\n"}
        s.docs = {"r1": {"title": "Rule one"}}
        s.results = [{"rule_id": "r1", "rule_name": "rule_one", "target": "splunk", "case": "c", "file": "f", "expected": "match", "passed": True, "reason": "ok"}]
        s.checks = [{"rule_id": "r1", "rule_name": "rule_one", "target": "splunk", "case": "c", "status": status, "reason": status}]
        return s

    report = compare(side("agree"), side("disagree"))
    assert report["regressions"] == [
        {"kind": "query", "rule": "rule_one", "target": "splunk", "case": "c", "reason": "disagree"}
    ]
    assert [r["name"] for r in report["rules"]["affected"]] == ["rule_one"]
    assert compare(side("agree"), side("unverified"))["regressions"] == []
    assert compare(side("disagree"), side("agree"))["ok"]
