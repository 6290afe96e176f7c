"""The command as users run it: exit codes, messages naming files, no tracebacks, dist/."""

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from conftest import run_cli


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def assert_clean_failure(result, *needles):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_build_writes_queries_and_is_deterministic(tmp_path, dist):
    # The console entry point in a process of its own (its own hash seed), against the
    # session's build of the same pack.
    a = tmp_path / "a"
    assert run_cli("build", "--out", str(a)).returncode == 0
    digest = tree_digest(a)
    assert digest == tree_digest(dist)
    assert "queries/splunk/m365_inbox_rule_forwarding.spl" in digest
    assert "queries/elastic/win_exchange_new_mailbox_export_request.eql" in digest
    # Import-ready artifacts, the reproducible app archive among them, are part of the same tree.
    assert "elastic/rules.ndjson" in digest
    assert "splunk/DA-ESS-T1114-EmailCollection-0.1.0.tgz" in digest
    assert "splunk/DA-ESS-T1114-EmailCollection/default/savedsearches.conf" in digest
    assert "coverage/navigator_layer.json" in digest and "coverage/matrix.svg" in digest
    manifest = json.loads((a / "manifest.json").read_text())
    assert {r["analytic"] for r in manifest["rules"]} == {"AN1309", "AN1310", "AN1311", "AN1312"}


def test_validate_and_test_pass(cli):
    v = cli("validate")
    assert v.returncode == 0, v.stdout + v.stderr
    # Every fixture case on every target, and the cross-target corpus check on a corpus
    # smaller than the default (test_testing compares verdicts on the larger one).
    t = cli("test", "--format", "json", "--corpus-events", "200")
    assert t.returncode == 0, t.stdout
    report = json.loads(t.stdout)
    assert report["failed"] == 0
    assert report["corpus"]["events"] == 200 and report["corpus"]["disagreements"] == []


def test_broken_rule_fails_build_without_touching_dist(cli, pack_copy, dist):
    out = pack_copy / "dist"
    shutil.copytree(dist, out)  # a previous build's output
    before = tree_digest(out)
    rule = pack_copy / "sigma" / "m365" / "m365_inbox_rule_forwarding.yml"
    rule.write_text(
        rule.read_text().replace(
            "condition: (selection and forwarding)", "condition: (selection and ("
        )
    )
    result = cli("build", "--out", str(out), cwd=pack_copy)
    assert_clean_failure(result, "m365_inbox_rule_forwarding.yml")
    assert tree_digest(out) == before
    assert [p.name for p in pack_copy.iterdir() if p.name.startswith(".dist")] == []


def test_broken_rule_fails_validate_and_test(cli, pack_copy):
    rule = pack_copy / "sigma" / "windows" / "win_exchange_new_mailbox_export_request.yml"
    rule.write_text(rule.read_text().replace("CommandLine|re|i:", "CommandLine|re|ii|contans:"))
    for command in ("validate", "test"):
        assert_clean_failure(
            cli(command, cwd=pack_copy), "win_exchange_new_mailbox_export_request.yml"
        )


def test_duplicate_id_fails_validate(cli, pack_copy):
    src = pack_copy / "sigma" / "m365" / "m365_mailbox_sync_access.yml"
    text = src.read_text().replace(
        "4e2a9c71-6b3d-4a08-8f15-2d7c9e0b3a43", "8d6f0e2b-1c47-4f3e-a5d2-7b9e4c1a0f32"
    )
    src.write_text(text)
    result = cli("validate", cwd=pack_copy)
    assert_clean_failure(result, "m365_mailbox_sync_access.yml", "is already used by")


def test_broken_fixture_fails_test(cli, pack_copy):
    fixture = pack_copy / "fixtures" / "m365" / "m365_mailbox_sync_access.json"
    fixture.write_text(fixture.read_text()[:-20])
    assert_clean_failure(
        cli("test", cwd=pack_copy), "m365_mailbox_sync_access.json", "invalid JSON"
    )


def test_fixture_naming_unknown_rule_fails(cli, pack_copy):
    fixture = pack_copy / "fixtures" / "m365" / "m365_mailbox_sync_access.json"
    fixture.write_text(
        fixture.read_text().replace('"rule": "m365_mailbox_sync_access"', '"rule": "ghost_rule"')
    )
    assert_clean_failure(
        cli("test", cwd=pack_copy), "m365_mailbox_sync_access.json", "unknown rule 'ghost_rule'"
    )


def test_a_failing_fixture_case_is_reported(cli, pack_copy):
    fixture = pack_copy / "fixtures" / "windows" / "win_exchange_new_mailbox_export_request.json"
    fixture.write_text(
        fixture.read_text().replace(
            "New-MailboxExportRequest -Mailbox ceo", "Get-Mailbox -Identity ceo"
        )
    )
    result = cli("test", "--rule", "win_exchange_new_mailbox_export_request", cwd=pack_copy)
    assert result.returncode == 1
    # The case's one raw event changed: it fails on every target's rendering of it.
    assert (
        "FAIL win_exchange_new_mailbox_export_request [native evtx] export_to_unc_share"
        in result.stdout
    )
    assert (
        "FAIL win_exchange_new_mailbox_export_request [elastic endpoint] export_to_unc_share"
        in result.stdout
    )
    assert "expected a match and got none" in result.stdout


def test_unreadable_rule_file(cli, pack_copy):
    rule = pack_copy / "sigma" / "m365" / "m365_mailbox_sync_access.yml"
    rule.unlink()
    rule.symlink_to(pack_copy / "sigma" / "does-not-exist.yml")
    assert_clean_failure(
        cli("validate", cwd=pack_copy), "m365_mailbox_sync_access.yml", "cannot read"
    )


def test_unknown_rule_filter(cli):
    assert_clean_failure(cli("test", "--rule", "nope"), "unknown rule 'nope'")


BAD_INPUTS = {
    "malformed_yaml": (
        "sigma/m365/m365_mailbox_sync_access.yml",
        lambda t: t + "\n  - : [\n",
        "invalid YAML",
    ),
    "unknown_modifier": (
        "sigma/m365/m365_mailbox_sync_access.yml",
        lambda t: t.replace(
            "Operation: MailItemsAccessed", "Operation|startwith: MailItemsAccessed"
        ),
        "startwith",
    ),
    "duplicate_id": (
        "sigma/m365/m365_mailbox_sync_access.yml",
        lambda t: t.replace(
            "4e2a9c71-6b3d-4a08-8f15-2d7c9e0b3a43", "3b1c7a52-8e0f-4d2a-9b61-5c0e7d9f2a11"
        ),
        "is already used by",
    ),
    "fixture_unknown_rule": (
        "fixtures/m365/m365_mailbox_sync_access.json",
        lambda t: t.replace(
            '"match": [\n        "m365_mailbox_sync_access"',
            '"match": [\n        "no_such_rule"',
            1,
        ),
        "unknown rule 'no_such_rule'",
    ),
    "fixture_broken_json": (
        "fixtures/m365/m365_mailbox_sync_access.json",
        lambda t: t.replace("{", "{{", 1),
        "invalid JSON",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
@pytest.mark.parametrize("command", ["validate", "test", "build"])
def test_bad_input_gives_a_clear_error_and_no_partial_dist(cli, pack_copy, kind, command):
    rel, change, message = BAD_INPUTS[kind]
    path = pack_copy / rel
    path.write_text(change(path.read_text()))
    args = ["build", "--out", str(pack_copy / "dist")] if command == "build" else [command]
    # Building reads fixtures too: the coverage matrix reports their verdicts.
    result = cli(*args, cwd=pack_copy)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert path.name in result.stderr + result.stdout
    assert message in result.stderr + result.stdout
    assert not (pack_copy / "dist").exists()
    assert not [p for p in pack_copy.iterdir() if p.name.startswith(".dist")]


def test_validate_narrowed_to_a_path(cli):
    result = cli("validate", "sigma/windows")
    assert result.returncode == 0, result.stdout + result.stderr
