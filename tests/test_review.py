"""``t1114 review``: on a throw-away git repository holding the pack, each kind of change is
reported as what it is, and regressions fail the command."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

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


def review(cli, repo: Path, base: str = "HEAD~1"):
    out = repo / "review-out"
    result = cli("review", "--base", base, "--out", str(out), cwd=repo)
    report = json.loads((out / "review.json").read_text()) if (out / "review.json").exists() else None
    return result, report, out


def names(report, kind):
    return [r["name"] for r in report["rules"][kind]]


def test_editing_one_rule_reports_exactly_that_rule(cli, repo):
    commit(
        repo,
        "sigma/windows/win_exchange_new_mailbox_export_request.yml",
        "CommandLine|contains: New-MailboxExportRequest",
        "CommandLine|contains|all:\n      - New-MailboxExportRequest\n      - -FilePath",
    )
    result, report, out = review(cli, repo)
    assert result.returncode == 0, result.stderr
    assert names(report, "changed") == ["win_exchange_new_mailbox_export_request"]
    assert names(report, "added") == names(report, "removed") == names(report, "affected") == []
    entry = report["rules"]["changed"][0]
    assert list(entry["metadata"]) == ["detection"]
    assert set(entry["queries"]) == {"splunk", "elastic"}
    assert '+`t1114_windows_process_creation` EventCode IN (1, 4688) CommandLine="*New-MailboxExportRequest*" CommandLine="*-FilePath*"' in entry["queries"]["splunk"]["diff"]
    assert entry["fixtures_before"] == entry["fixtures_after"]
    assert report["regressions"] == [] and report["ok"]
    md = (out / "review.md").read_text()
    assert "0 added, 0 removed, 1 changed, 0 affected" in md
    assert "#### `win_exchange_new_mailbox_export_request` (changed)" in md
    assert md.count("#### ") == 1


def test_metadata_change_is_listed_field_by_field(cli, repo):
    commit(repo, "sigma/m365/m365_mailbox_sync_access.yml", "level: low", "level: medium")
    result, report, out = review(cli, repo)
    assert result.returncode == 0, result.stderr
    assert names(report, "changed") == ["m365_mailbox_sync_access"]
    entry = report["rules"]["changed"][0]
    assert entry["metadata"] == {"level": {"before": "low", "after": "medium"}}
    assert entry["queries"] == {}
    assert "| `level` | low | medium |" in (out / "review.md").read_text()


def test_a_pipeline_change_affects_rules_without_changing_them(cli, repo):
    # Each side is built by its own pipelines: renaming a Splunk macro changes every search
    # of that source, though no rule file changed.
    commit(repo, "pipelines/splunk.py", 'macro="t1114_o365_management_activity"', 'macro="t1114_o365_audit"')
    result, report, _ = review(cli, repo)
    assert result.returncode == 0, result.stderr
    assert names(report, "changed") == []
    assert names(report, "affected") == [
        "m365_forwarding_rule_and_mailbox_sync",
        "m365_inbox_rule_forwarding",
        "m365_mailbox_sync_access",
    ]
    for entry in report["rules"]["affected"]:
        assert list(entry["queries"]) == ["splunk"]
        assert "+`t1114_o365_audit`" in entry["queries"]["splunk"]["diff"].replace("[ search ", "")


def test_a_fixture_that_now_fails_is_a_regression(cli, repo):
    commit(
        repo,
        "sigma/windows/win_exchange_new_mailbox_export_request.yml",
        "CommandLine|contains: New-MailboxExportRequest",
        "CommandLine|contains: New-MailboxExportRequestX",
    )
    result, report, out = review(cli, repo)
    assert result.returncode == 1
    fixture = [r for r in report["regressions"] if r["kind"] == "fixture"]
    assert fixture and {r["rule"] for r in fixture} == {"win_exchange_new_mailbox_export_request"}
    assert all(r["reason"] == "expected a match and got none" for r in fixture)
    assert "❌" in (out / "review.md").read_text()
    assert "regression: fixture win_exchange_new_mailbox_export_request" in result.stderr


def test_a_rule_losing_a_target_is_a_regression(cli, repo):
    # The Elastic target no longer builds: every rule loses its Elastic query.
    commit(
        repo,
        "tools/t1114/targets/elastic.py",
        "class ElasticTarget(Target):\n",
        "class ElasticTarget(Target):\n    builds = False\n",
    )
    result, report, _ = review(cli, repo)
    assert result.returncode == 1
    lost = {(r["rule"], r["target"]) for r in report["regressions"] if r["kind"] == "target"}
    assert {t for _, t in lost} == {"elastic"} and len(lost) == 4


def test_a_base_whose_own_code_cannot_run_is_built_with_this_tool(cli, repo):
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
    assert report["rules"]["changed"] == report["rules"]["affected"] == [] and report["summary"]["rules"] == [4, 4]
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
