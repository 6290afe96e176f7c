"""``t1114 review``: the comparison and its Markdown as pure functions over sides built once per
test session, the side builder on its own, and the whole command once, end to end, on a
throw-away git repository holding a small pack."""

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from t1114.review import REPORT_JSON, REPORT_MD, Side, compare, markdown
from t1114.review.sides import build_side

ROOT = Path(__file__).resolve().parents[1]
# A pack small enough to build in seconds: event rules only, on two platforms' sources (a
# correlation's ES|QL alone costs each child process seconds of parsing).
SMALL_PACK = ("google_workspace", "entra")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}
NEVER = "t1114-review-never-matches"
# The tests over the session's built side share one worker, so the side is built once.
pytestmark = pytest.mark.xdist_group("review")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def small_pack(dest: Path) -> Path:
    """The pack's code and a few of its rules with their fixtures, in ``dest``."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("config", "tools", "pipelines"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in SMALL_PACK:
        for rule in sorted((ROOT / "sigma" / name).glob("*.yml")):
            if "correlation" in yaml.safe_load(rule.read_text(encoding="utf-8")):
                continue
            for kind, suffix in (("sigma", ".yml"), ("fixtures", ".json")):
                (dest / kind / name).mkdir(parents=True, exist_ok=True)
                shutil.copy(ROOT / kind / name / f"{rule.stem}{suffix}", dest / kind / name)
    shutil.copy(ROOT / "fixtures" / "tuning.yml", dest / "fixtures" / "tuning.yml")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, dest / name)
    return dest


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git repository holding the small pack (inputs and code), one commit."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = small_pack(tmp_path / "repo")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pack")
    return repo


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Side:
    """The small pack built, tested and validated as a review side, once."""
    root = small_pack(tmp_path_factory.mktemp("side") / "pack")
    side = build_side(Side("built", root), tmp_path_factory.mktemp("scratch"))
    assert side.errors == [] and side.rules and side.results, side.errors
    return side


def sides(built: Side) -> tuple[Side, Side]:
    """Base and head as two independent copies of the built side, head to be changed."""
    return copy.deepcopy(built), copy.deepcopy(built)


def names(report, kind):
    return [r["name"] for r in report["rules"][kind]]


def a_rule(side: Side) -> dict:
    """A rule shipped for more than one target."""
    return next(r for r in side.manifest["rules"] if len(r["queries"]) > 1)


# --- the comparison and its Markdown, over built sides ---------------------------------------


def test_editing_one_rule_reports_exactly_that_rule(built):
    base, head = sides(built)
    rule = a_rule(head)
    doc = head.docs[rule["id"]]
    level = "critical" if doc["level"] != "critical" else "high"
    doc["level"] = level
    doc["detection"]["review_edit"] = {"events.name": NEVER}
    for target in rule["queries"]:
        head.queries[(rule["id"], target)] += f"{NEVER}\n"

    report = compare(base, head)
    assert names(report, "changed") == [rule["name"]]
    assert names(report, "added") == names(report, "removed") == names(report, "affected") == []
    entry = report["rules"]["changed"][0]
    assert list(entry["metadata"]) == ["detection", "level"]
    assert entry["metadata"]["level"] == {"before": base.docs[rule["id"]]["level"], "after": level}
    assert set(entry["queries"]) == set(rule["queries"])
    for q in entry["queries"].values():
        assert q["status"] == "changed"
        assert [line for line in q["diff"].splitlines() if line.startswith("+") and NEVER in line]
    assert entry["fixtures_before"] == entry["fixtures_after"]
    assert report["regressions"] == [] and report["ok"]

    md = markdown(report)
    assert "0 added, 0 removed, 1 changed, 0 affected" in md
    assert f"#### `{rule['name']}` (changed)" in md
    assert md.count("#### ") == 1
    assert f"| `level` | {base.docs[rule['id']]['level']} | {level} |" in md


def test_a_changed_query_without_a_changed_rule_is_affected(built):
    # What a pipeline change does: searches of one source change, no rule file does.
    base, head = sides(built)
    macro = next(
        m for text in head.queries.values() for m in text.split("`")[1::2] if m.startswith("t1114_")
    )
    expected = {}
    for (rid, target), text in head.queries.items():
        if f"`{macro}`" in text:
            head.queries[(rid, target)] = text.replace(f"`{macro}`", "`t1114_renamed_source`")
            expected.setdefault(head.rules[rid]["name"], set()).add(target)
    assert expected

    report = compare(base, head)
    assert names(report, "changed") == []
    assert names(report, "affected") == sorted(expected)
    for entry in report["rules"]["affected"]:
        assert set(entry["queries"]) == expected[entry["name"]]
        assert all("`t1114_renamed_source`" in q["diff"] for q in entry["queries"].values())
    assert report["ok"]


def test_regressions_fail_the_review(built):
    # A rule that no longer matches its positive cases, and a target no longer built.
    base, head = sides(built)
    rule = a_rule(head)
    for result in head.results:
        if result["rule_id"] == rule["id"] and result["expected"] == "match":
            result.update(passed=False, reason="expected a match and got none")
    lost_target = sorted(rule["queries"])[0]
    for r in head.manifest["rules"]:
        r["queries"].pop(lost_target, None)
    head.queries = {k: v for k, v in head.queries.items() if k[1] != lost_target}

    report = compare(base, head)
    assert not report["ok"]
    fixture = [r for r in report["regressions"] if r["kind"] == "fixture"]
    assert fixture and {r["rule"] for r in fixture} == {rule["name"]}
    assert all(r["reason"] == "expected a match and got none" for r in fixture)
    lost = {(r["rule"], r["target"]) for r in report["regressions"] if r["kind"] == "target"}
    assert lost == {
        (r["name"], lost_target) for r in base.manifest["rules"] if lost_target in r["queries"]
    }
    assert "❌" in markdown(report)


def test_comparing_a_side_with_itself_finds_nothing(built):
    report = compare(*sides(built))
    assert report["ok"] and report["regressions"] == []
    assert all(report["rules"][kind] == [] for kind in ("added", "removed", "changed", "affected"))
    assert report["summary"]["rules"] == [len(built.rules)] * 2
    assert "0 added, 0 removed, 0 changed, 0 affected" in markdown(report)


def test_compare_flags_a_query_check_that_no_longer_agrees():
    def side(status: str) -> Side:
        s = Side("x", ROOT)
        s.manifest = {
            "rules": [
                {
                    "id": "r1",
                    "name": "rule_one",
                    "title": "Rule one",
                    "analytic": "AN1309",
                    "tags": [],
                    "queries": {"splunk": ["q"]},
                }
            ]
        }
        s.queries = {("r1", "splunk"): "index=x\n"}
        s.docs = {"r1": {"title": "Rule one"}}
        s.results = [
            {
                "rule_id": "r1",
                "rule_name": "rule_one",
                "target": "splunk",
                "case": "c",
                "file": "f",
                "expected": "match",
                "passed": True,
                "reason": "ok",
            }
        ]
        s.checks = [
            {
                "rule_id": "r1",
                "rule_name": "rule_one",
                "target": "splunk",
                "case": "c",
                "status": status,
                "reason": status,
            }
        ]
        return s

    report = compare(side("agree"), side("disagree"))
    assert report["regressions"] == [
        {"kind": "query", "rule": "rule_one", "target": "splunk", "case": "c", "reason": "disagree"}
    ]
    assert [r["name"] for r in report["rules"]["affected"]] == ["rule_one"]
    assert compare(side("agree"), side("unverified"))["regressions"] == []
    assert compare(side("disagree"), side("agree"))["ok"]


# --- building a side -------------------------------------------------------------------------


def test_a_side_whose_own_code_cannot_run_is_built_with_this_tool(tmp_path):
    root = small_pack(tmp_path / "pack")
    build = root / "tools" / "t1114" / "build.py"
    build.write_text(build.read_text() + '\nraise RuntimeError("old tool")\n')
    side = build_side(Side("base", root), tmp_path / "scratch")
    assert side.errors == []
    assert any("built with the working tree's tool" in n and "old tool" in n for n in side.notes)
    assert {r["name"] for r in side.manifest["rules"]} == {
        p.stem for p in (root / "sigma").rglob("*.yml")
    }


# --- the command, end to end -------------------------------------------------------------------


def test_review_end_to_end(cli, repo):
    rule = sorted((repo / "sigma").rglob("*.yml"))[0]
    doc = yaml.safe_load(rule.read_text())
    doc["level"] = "critical" if doc["level"] != "critical" else "high"
    rule.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    git(repo, "commit", "-q", "-am", f"edit {rule.stem}")

    out = repo / "review-out"
    result = cli("review", "--base", "HEAD~1", "--out", str(out), cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(out / REPORT_MD), str(out / REPORT_JSON)]
    report = json.loads((out / REPORT_JSON).read_text())
    assert names(report, "changed") == [rule.stem] and report["ok"]
    assert list(report["rules"]["changed"][0]["metadata"]) == ["level"]
    assert (out / REPORT_MD).read_text() == markdown(report)
    assert "0 added, 0 removed, 1 changed, 0 affected" in result.stderr
    assert git(repo, "worktree", "list").count("\n") == 1


def test_an_unknown_base_is_a_clear_error(cli, repo):
    out = repo / "review-out"
    result = cli("review", "--base", "no-such-branch", "--out", str(out), cwd=repo)
    assert result.returncode == 2
    assert "--base no-such-branch: not a commit" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert git(repo, "worktree", "list").count("\n") == 1


def test_the_example_workflow_posts_what_review_writes():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "review.yml").read_text())
    steps = workflow["jobs"]["review"]["steps"]
    run = "\n".join(s.get("run", "") for s in steps)
    assert '.venv/bin/t1114 review --base "origin/${{ github.base_ref }}" --out review' in run
    assert f'gh pr comment "$PR" --body-file review/{REPORT_MD}' in run
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    assert any(f"review/{REPORT_JSON}" in s.get("if", "") for s in steps)
    assert workflow["permissions"]["pull-requests"] == "write"
