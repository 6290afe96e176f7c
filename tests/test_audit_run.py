"""The whole audit over the fixture tenant, and over bad input."""

from __future__ import annotations

import json
import shutil

from audit_helpers import BAD, DATA, TENANT, TUNING, tenant_audit
from t1114.audit.findings import RANK
from t1114.audit.run import audit_paths, tenant_from_tuning

EXPECTED = json.loads((DATA / "expected.json").read_text())


def test_every_expected_finding_with_at_least_its_severity_and_its_target():
    result = tenant_audit()
    assert not result.errors, result.errors
    got = {(f.finding, f.object, f.external_target): f for f in result.findings}
    for want in EXPECTED["findings"]:
        key = (want["finding"], want["object"], want["external_target"])
        assert key in got, key
        assert RANK[got[key].severity] >= RANK[want["severity"]], (key, got[key].severity)
    assert len(result.findings) == len(EXPECTED["findings"]), "a finding not in expected.json"


def test_nothing_internal_cleared_or_inherited_is_external():
    result = tenant_audit()
    for obj in EXPECTED["never_external"]:
        mine = [f for f in result.findings if f.object == obj]
        assert mine, obj
        assert all(f.external_target is None for f in mine), obj


def test_every_export_is_read():
    files = tenant_audit().files
    assert len(files) == len(list(TENANT.iterdir())) and all(s.kind for s in files)


def test_bad_files_are_reported_and_the_others_still_audited(tmp_path):
    for p in list(BAD.iterdir()) + [TENANT / "inbox_rules.csv"]:
        shutil.copy(p, tmp_path / p.name)
    result = audit_paths([tmp_path], tenant_from_tuning(TUNING))
    messages = sorted(str(e).replace(str(tmp_path) + "/", "") for e in result.errors)
    assert messages == [
        "broken.json:3: broken JSON: Expecting ',' delimiter (column 48)",
        "broken_row.csv:3: broken row: 4 fields where the header has 5",
        "entity_bomb.xml:2: XML declares a DTD or entities; CLIXML has none, "
        "refusing to expand them",
        "missing_column.csv: looks like Get-InboxRule output but has no column Name",
        "type_name.csv:2: column ForwardTo holds the type name "
        "'System.Collections.ArrayList', not the addresses; "
        "export it joined, e.g. @{n='ForwardTo';e={$_.ForwardTo -join ';'}}",
        "unknown_shape.csv: unknown export shape (columns: Department, DisplayName, Office); "
        "see docs/audit.md for the exports t1114 audit reads",
    ]
    sources = {f.source_file.rsplit("/", 1)[1] for f in result.findings}
    assert sources == {"inbox_rules.csv", "broken_row.csv"}
    assert {
        f.external_target for f in result.findings if f.source_file.endswith("broken_row.csv")
    } == {"ok@evil.example.net", "carol.x@evil.example.net"}


def test_missing_paths_and_empty_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.md").write_text("not an export")
    result = audit_paths(
        [tmp_path / "empty", tmp_path / "nope.csv", tmp_path / "notes"], tenant_from_tuning(None)
    )
    assert [e.message for e in result.errors] == [
        "no export files in the folder",
        "no such file or folder",
        "no export files in the folder",
    ]
