"""The judgement of each check, on the fixture tenant and on single records."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from audit_helpers import TENANT, by, tenant_audit
from t1114.audit.checks import CHECKS, Context
from t1114.audit.errors import AuditInputError
from t1114.audit.findings import RANK, Finding
from t1114.audit.readers import Record, Table, read_table
from t1114.audit.shapes import BY_KIND
from t1114.audit.tenant import Tenant


def run_check(kind: str, *rows: dict, tenant: Tenant | None = None):
    table = Table(TENANT / "x.csv", "csv", [Record(r, i + 2) for i, r in enumerate(rows)])
    return list(CHECKS[kind](Context(table, BY_KIND[kind], tenant or Tenant(["corp.example"]))))


RULE = {
    "Name": "r",
    "MailboxOwnerId": "a@corp.example",
    "Identity": "A\\1",
    "Enabled": "True",
    "ForwardTo": "x@outside.example",
}


def test_hiding_raises_and_disabling_lowers_an_inbox_rule():
    (plain,) = run_check("exchange.inbox_rule", RULE)
    (hidden,) = run_check("exchange.inbox_rule", {**RULE, "DeleteMessage": "True"})
    (disabled,) = run_check("exchange.inbox_rule", {**RULE, "Enabled": "False"})
    assert (plain.finding, plain.severity) == ("inbox_rule_forwards_external", "high")
    assert hidden.severity == "critical" and "hides mail: the rule deletes it" in hidden.reasons
    assert (disabled.finding, disabled.severity) == ("inbox_rule_disabled_forwards_external", "low")


def test_blocked_forwarding_is_lower_than_forwarding_that_works():
    result = tenant_audit()
    (blocked,) = by(result, "inbox_rule_forwards_external", "Alice Adams\\11868920270028193793")
    (works,) = by(result, "inbox_rule_forwards_external", "Dave Smith\\9930174563016851457")
    assert RANK[blocked.severity] < RANK[works.severity]
    assert "remote domain gmail.example has AutoForwardEnabled False" in blocked.reasons
    assert any("AutoForwardingMode On" in r for r in works.reasons)


def test_automatic_mode_is_flagged_ambiguous():
    result = tenant_audit()
    (f,) = by(result, "inbox_rule_forwards_external", "Grace Green\\18211548226563932161")
    assert any(r.startswith("ambiguous") for r in f.reasons)
    (policy,) = by(result, "outbound_policy_auto_forward_ambiguous", "Default")
    assert policy.severity == "low"


def test_punctuation_names_and_rss_folders_hide():
    result = tenant_audit()
    assert any(
        "has no letters or digits" in r
        for r in by(result, "inbox_rule_forwards_external", "Bob Brown\\4317866021913853953")[
            0
        ].reasons
    )
    (rss,) = by(result, "inbox_rule_hides_mail", "Frank Fox\\6634930487104176129")
    assert rss.technique == "T1564.008" and rss.severity == "medium"


def test_internal_cleared_and_inherited_are_never_external_forwarding():
    result = tenant_audit()
    for f in result.findings:
        if f.external_target:
            domain = f.external_target.split("@")[1]
            assert domain not in (
                "northwind.example",
                "northwind.onmicrosoft.com",
                "northwind.mail.onmicrosoft.com",
            )
    cleared = [f for f in result.findings if f.finding.endswith("_cleared")]
    assert {(f.object, f.severity, f.external_target) for f in cleared} == {
        ("erin@northwind.example", "low", None),
        ("nora@northwind.example", "low", None),
    }
    assert not [
        f for f in result.findings if "Organization Management" in str(f.evidence.get("User"))
    ]
    assert not [
        f
        for f in result.findings
        if "SELF" in str(f.evidence.get("User", f.evidence.get("Trustee")))
    ]


def test_mail_contact_behind_forwarding_address_is_external():
    (f,) = by(tenant_audit(), "mailbox_forwards_external", "bob@northwind.example")
    assert f.external_target == "drop@evil.example.net"


def test_allowed_targets_are_informational():
    (f,) = by(tenant_audit(), "mailbox_forwards_allowed_target", "grace@northwind.example")
    assert f.severity == "informational"


def test_transport_rule_in_audit_mode_is_low_and_bcc_outside_critical():
    result = tenant_audit()
    assert by(result, "transport_rule_forwards_external", "Test redirect")[0].severity == "low"
    assert (
        by(result, "transport_rule_forwards_external", "Compliance copy")[0].severity == "critical"
    )


def test_permissions_judged_by_who_holds_them():
    result = tenant_audit()
    assert by(result, "mailbox_permission_delegate", "Carol Chen")[0].severity == "high"  # a guest
    assert (
        by(result, "mailbox_permission_delegate", "Alice Adams")[0].severity == "informational"
    )  # admin_accounts
    assert (
        by(result, "mailbox_folder_open_to_everyone", "alice@northwind.example:\\Inbox")[0].severity
        == "high"
    )
    assert not by(result, "mailbox_folder_open_to_everyone", "alice@northwind.example:\\Calendar")


def test_role_assignments_delegating_and_disabled():
    result = tenant_audit()
    assert (
        by(result, "role_assignment_mailbox_import_export", "Mailbox Import Export-mallory")[
            0
        ].severity
        == "high"
    )
    assert (
        by(
            result,
            "role_assignment_mailbox_import_export",
            "Mailbox Import Export-Organization Management-Delegating",
        )[0].severity
        == "informational"
    )
    assert (
        by(result, "role_assignment_applicationimpersonation", "ApplicationImpersonation-svc-sync")[
            0
        ].severity
        == "low"
    )


def test_app_roles_by_id_and_by_name():
    got = run_check(
        "graph.app_role_assignment",
        {
            "appRoleId": "dc890d15-9560-4a4c-9b7f-a736ec74ec40",
            "principalDisplayName": "A",
            "id": "1",
        },
        {
            "appRoleId": "00000000-0000-0000-0000-000000000000",
            "principalDisplayName": "B",
            "appRoleValue": "IMAP.AccessAsApp",
        },
        {"appRoleId": "f9156939-25cd-4ba8-abfe-7fabcf003749", "principalDisplayName": "C"},
        {"appRoleId": "df021288-bdef-4463-88db-98f22de89214", "principalDisplayName": "D"},
    )
    assert [(f.object, f.finding, f.technique) for f in got] == [
        ("A", "app_has_mail_permission", "T1114.002"),
        ("B", "app_has_mail_permission", "T1114.002"),
        ("C", "app_can_set_mail_rules", "T1114.003"),
    ]


def test_gmail_disposition_hides_and_internal_forward_is_informational():
    result = tenant_audit()
    (kim,) = by(result, "gmail_forwards_external", "kim@northwind.example")
    assert kim.severity == "critical" and kim.external_target == "kim.private@gmail.example"
    assert (
        by(result, "gmail_forwards_internal", "oscar@northwind.example")[0].severity
        == "informational"
    )


def test_a_lost_multivalued_column_is_a_row_problem():
    got = run_check("exchange.inbox_rule", {**RULE, "ForwardTo": "System.Collections.ArrayList"})
    assert len(got) == 1 and "holds the type name" in got[0].message and got[0].line == 2


ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=12),
    st.lists(st.text(max_size=6), max_size=2),
    st.dictionaries(st.sampled_from(["Name", "address", "x"]), st.text(max_size=6), max_size=2),
)
EXPORTS = {p.name: read_table(p) for p in sorted(TENANT.iterdir())}


@settings(max_examples=80, deadline=None)
@given(
    name=st.sampled_from(sorted(EXPORTS)),
    values=st.lists(ODD, min_size=1, max_size=4),
    seed=st.randoms(),
)
def test_odd_values_give_findings_or_row_problems_never_a_crash(name, values, seed):
    from t1114.audit.shapes import recognise

    table = EXPORTS[name]
    shape = recognise(table)
    record = table.records[0]
    fields = dict(record.fields)
    for value in values:
        fields[seed.choice(sorted(fields))] = value
    if shape.kind not in CHECKS:
        return
    for item in run_check(shape.kind, fields, tenant=Tenant(["northwind.example"])):
        assert isinstance(item, (Finding, AuditInputError))
