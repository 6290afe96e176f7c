"""``t1114 audit`` as users run it: formats, --out, --fail-on, --baseline, exit codes."""

from __future__ import annotations

import json
import shutil

from audit_helpers import BAD, TENANT, TUNING
from t1114.audit.findings import RANK

ARGS = ("audit", str(TENANT), "--tuning", str(TUNING))


def test_jsonl_to_a_file_and_exit_codes(cli, tmp_path):
    out = tmp_path / "audit.jsonl"
    result = cli(*ARGS, "--format", "jsonl", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    findings = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(findings) > 30 and f"{len(findings)} findings" in result.stderr
    assert max(RANK[f["severity"]] for f in findings) == RANK["critical"]
    assert cli(*ARGS, "--fail-on", "critical").returncode == 1


def test_fail_on_ignores_findings_below_it(cli):
    # The remote domains alone: the default one lets forwarding out (medium), nothing worse.
    args = ("audit", str(TENANT / "remote_domains.json"))
    assert cli(*args, "--fail-on", "high").returncode == 0
    assert cli(*args, "--fail-on", "medium").returncode == 1
    assert cli(*args).returncode == 0  # without --fail-on, findings alone never fail


def test_baseline_marks_what_is_new_and_fails_only_on_it(cli, tmp_path):
    baseline = tmp_path / "before.jsonl"
    assert cli(*ARGS, "--format", "jsonl", "--out", str(baseline)).returncode == 0
    same = cli(*ARGS, "--baseline", str(baseline), "--fail-on", "low")
    assert same.returncode == 0 and "0 new, 0 resolved since the baseline" in same.stderr
    lines = baseline.read_text().splitlines()
    dropped = json.loads(lines[0])
    baseline.write_text("\n".join(lines[1:]) + "\n")
    changed = cli(*ARGS, "--baseline", str(baseline), "--fail-on", "low", "--format", "jsonl")
    assert changed.returncode == 1
    new = [json.loads(line) for line in changed.stdout.splitlines() if json.loads(line)["new"]]
    assert [f["id"] for f in new] == [dropped["id"]]


def test_text_csv_and_html_formats(cli, tmp_path):
    text = cli(*ARGS)
    assert text.returncode == 0 and text.stdout.startswith("t1114 audit (M1047 Audit): ")
    csv_out = cli(*ARGS, "--format", "csv")
    assert csv_out.stdout.splitlines()[0].startswith(
        "id,severity,finding,object,mailbox,external_target"
    )
    page = tmp_path / "r.html"
    assert cli(*ARGS, "--format", "html", "--out", str(page)).returncode == 0
    assert page.read_text().startswith("<!DOCTYPE html>")


def test_bad_input_exits_2_names_file_and_line_and_still_audits_the_rest(cli, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(BAD / "broken_row.csv", folder / "rules.csv")
    shutil.copy(BAD / "unknown_shape.csv", folder / "people.csv")
    result = cli("audit", str(folder), "--format", "jsonl")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"error: {folder / 'rules.csv'}:3: broken row" in result.stderr
    assert f"error: {folder / 'people.csv'}: unknown export shape" in result.stderr
    assert {json.loads(line)["external_target"] for line in result.stdout.splitlines()} == {
        "ok@evil.example.net",
        "carol.x@evil.example.net",
    }


def test_unwritable_out_leaves_nothing_behind(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli(*ARGS, "--out", str(blocker / "report.txt"))
    assert (
        result.returncode == 2
        and "cannot write output" in result.stderr
        and "Traceback" not in result.stderr
    )
    assert blocker.read_text() == "x"


def test_bad_baseline_is_bad_input(cli, tmp_path):
    baseline = tmp_path / "b.jsonl"
    baseline.write_text("not json\n")
    result = cli(*ARGS, "--baseline", str(baseline))
    assert (
        result.returncode == 2
        and f"{baseline}:1: not a t1114 audit JSON Lines file" in result.stderr
    )
