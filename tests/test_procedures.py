"""The procedure catalogue: checked against the pack, and docs/procedures.md kept in step."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from t1114 import procedures
from t1114.errors import PackError
from t1114.loader import load_pack
from t1114.project import Project
from t1114.validate import run_procedure_checks

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def catalogue(pack) -> list[procedures.Procedure]:
    return procedures.load_checked(pack)


def test_every_atomic_and_attack_source_is_listed(catalogue):
    refs = {p.ref.split()[0] for p in catalogue if p.kind == "attack"}
    # The ATT&CK v18.1 groups, software and campaigns that 'use' each technique.
    assert {"G0114", "C0024", "S0413", "G1004", "S0395"} <= refs
    atomic = {p.ref for p in catalogue if p.kind == "atomic"}
    assert any("3f1b5096-0139-4736-9b78-19bcb02bb1cb" in r for r in atomic)
    assert all(p.covered or p.reason for p in catalogue)


def _broken_copy(tmp_path: Path, edit) -> Project:
    for name in ("sigma", "fixtures", "config", "procedures"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    path = tmp_path / procedures.CATALOGUE
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return Project(tmp_path)


RULER = "win_security_ruler_workstation_logon"
RULER_CASE = f"{RULER}/ruler_ntlm_logon_to_exchange"


def _procedure(
    pid: str, rules: tuple[str, ...], cases: tuple[str, ...], reason: str = ""
) -> procedures.Procedure:
    """A Windows tool procedure; only its rules, cases and reason vary between tests."""
    return procedures.Procedure(
        pid, "T1114", "t", "tool", "r", "https://e", ("windows",), rules, cases, reason
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (f"rules: [{RULER}]\n", "rules: [win_no_such_rule]\n", "unknown rule 'win_no_such_rule'"),
        (f"{RULER_CASE}]", f"{RULER}/nope]", "unknown fixture case"),
        (
            f"{RULER_CASE}]",
            f"{RULER}/ordinary_workstation_logon]",
            "does not expect any of the procedure's rules",
        ),
    ],
)
def test_catalogue_claims_are_checked(tmp_path, old, new, expected):
    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    project = _broken_copy(tmp_path, edit)
    findings = run_procedure_checks(load_pack(project))
    assert any(expected in f.message for f in findings), findings
    assert all(f.path == "procedures/catalogue.yml" for f in findings)


def test_procedure_without_rules_needs_a_reason(tmp_path):
    lines = (ROOT / procedures.CATALOGUE).read_text(encoding="utf-8").splitlines(keepends=True)
    line = next(x for x in lines if x.startswith("    reason: A Chrome extension"))

    def edit(text: str) -> str:
        assert line in text
        return text.replace(line, "", 1)

    findings = run_procedure_checks(load_pack(_broken_copy(tmp_path, edit)))
    assert [f.message for f in findings] == [
        "procedure 'attack-t1114-s1201': names no rule: "
        "give the reason none can catch it (and no cases)"
    ]


def test_malformed_catalogue_is_one_clear_error(tmp_path):
    project = _broken_copy(tmp_path, lambda t: t + "  - id: Bad Id\n")
    with pytest.raises(PackError, match="malformed catalogue"):
        procedures.load_checked(load_pack(project))


def test_rule_without_proving_case_is_reported(pack):
    rules = (RULER, "win_mail_collection_script_run")
    p = _procedure("x", rules, (RULER_CASE,))
    errors = procedures.check(pack, [p], "c.yml")
    assert [e.message for e in errors] == [
        "procedure 'x': rule 'win_mail_collection_script_run' "
        "is not proven by any of its fixture cases"
    ]


def test_rules_and_reason_together_are_refused(pack):
    p = _procedure("y", (RULER,), (RULER_CASE,), "because")
    assert [e.message for e in procedures.check(pack, [p], "c.yml")] == [
        "procedure 'y': names rules and a reason; a reason is only for procedures no rule catches"
    ]


def test_proven_targets_are_those_where_a_case_matches(pack):
    proven = _procedure("p", (RULER,), (RULER_CASE,))
    # A negative case of the rule proves nothing on any target.
    negative = _procedure("n", (RULER,), (f"{RULER}/ordinary_workstation_logon",))
    found = procedures.proven_targets(pack, [proven, negative])
    assert {"native", "splunk", "elastic"} <= set(found["p"])
    assert found["n"] == ()
