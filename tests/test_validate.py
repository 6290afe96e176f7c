"""Validation: the real pack is clean, and each kind of problem is reported with its file."""

import pytest

from t1114.loader import load_pack
from t1114.project import Project
from t1114.validate import run_conventions, run_sigma_validators, validate


def test_the_pack_validates_clean(pack):
    assert [str(f) for f in validate(pack)] == []


def edit(pack_copy, rule_rel, old, new):
    path = pack_copy / "sigma" / rule_rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("level: low", "", "missing required metadata 'level'"),
        (
            "falsepositives:\n  - Users forwarding their own mail to a colleague or a shared mailbox, which is routine;"
            " forwarding\n    outside the organisation alerts in m365_forwarding_external_recipient, so this rule"
            " is a hunting\n    signal and the base of m365_forwarding_rule_and_mailbox_sync\n",
            "",
            "'falsepositives'",
        ),
        ("  - attack.collection\n", "", "missing tag 'attack.collection'"),
        ("  - attack.t1114.003\n", "  - attack.t1078\n", "needs a T1114 technique"),
        ("analytic: AN1312", "analytic: AN9999", "'analytic' must be one of"),
        (
            "detection_strategy: DET0476",
            "detection_strategy: DET0001",
            "'detection_strategy' must be DET0476",
        ),
    ],
)
def test_convention_problems_are_reported(pack_copy, old, new, expected):
    path = edit(pack_copy, "m365/m365_inbox_rule_forwarding.yml", old, new)
    findings = run_conventions(load_pack(Project(pack_copy)))
    hits = [str(f) for f in findings if expected in f.message]
    assert hits, [str(f) for f in findings]
    assert all(h.startswith("sigma/m365/m365_inbox_rule_forwarding.yml") for h in hits), hits
    assert path.exists()


def test_duplicate_title_is_reported(pack_copy):
    edit(
        pack_copy,
        "m365/m365_mailbox_sync_access.yml",
        "title: Mailbox Items Accessed By Bulk Sync",
        "title: Inbox Rule Created Or Changed To Forward Or Redirect Mail",
    )
    findings = run_conventions(load_pack(Project(pack_copy)))
    assert sum("is used by more than one rule" in f.message for f in findings) == 2


def test_sigmahq_validators_run(pack_copy):
    edit(
        pack_copy,
        "windows/win_exchange_new_mailbox_export_request.yml",
        "status: experimental",
        "status: stable",
    )
    edit(
        pack_copy,
        "windows/win_exchange_new_mailbox_export_request.yml",
        "date: 2026-11-27",
        "date: 2026-11-27\nmodified: 2020-01-01",
    )
    findings = run_sigma_validators(load_pack(Project(pack_copy)))
    assert any("modified" in f.message.lower() or "date" in f.message.lower() for f in findings), (
        findings
    )


def test_a_validator_crash_is_a_finding_not_a_traceback(pack_copy):
    path = edit(
        pack_copy,
        "m365/m365_mailbox_sync_access.yml",
        "  - A user setting up Outlook on a new device syncs every folder once",
        "  - {odd: mapping}",
    )
    findings = run_sigma_validators(load_pack(Project(pack_copy)))
    assert [(f.path, f.check) for f in findings] == [("sigma/m365/" + path.name, "validator_error")]
