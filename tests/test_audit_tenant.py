"""Internal or external, resolved through the directory, and whether forwarding can leave."""

from __future__ import annotations

from t1114.audit.readers import Record
from t1114.audit.recipients import parse_recipient
from t1114.audit.tenant import Tenant

DN = "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=contact1"


def tenant(**kw) -> Tenant:
    t = Tenant(internal_domains=["legacy.example"], allowed_targets=["*@archive.example.net"], **kw)
    t.add_accepted_domain(Record({"DomainName": "corp.example", "DomainType": "Authoritative"}, 1))
    t.add_recipient(
        Record(
            {
                "Name": "Contact One",
                "RecipientTypeDetails": "MailContact",
                "LegacyExchangeDN": DN,
                "ExternalEmailAddress": "SMTP:one@outside.example",
                "PrimarySmtpAddress": "one@outside.example",
            },
            2,
        )
    )
    t.add_recipient(
        Record(
            {
                "Name": "Dana",
                "RecipientTypeDetails": "UserMailbox",
                "PrimarySmtpAddress": "dana@corp.example",
                "EmailAddresses": "SMTP:dana@corp.example;X500:/o=old/cn=dana",
            },
            3,
        )
    )
    return t


def resolve(t: Tenant, value: str):
    return t.resolve(parse_recipient(value))


def test_accepted_and_tuned_domains_are_internal_with_subdomains_of_tuned_ones():
    t = tenant()
    assert resolve(t, "a@corp.example").external is False
    assert resolve(t, "a@mail.legacy.example").external is False
    assert resolve(t, "a@corp.example.evil.example").external is True


def test_legacy_dn_of_a_mail_contact_points_outside():
    got = resolve(tenant(), f'"Contact One" [EX:{DN}]')
    assert (got.external, got.address) == (True, "one@outside.example")
    assert "Contact One" in got.reason


def test_forwarding_address_names_and_x500_proxies_resolve():
    t = tenant()
    assert resolve(t, "Contact One").address == "one@outside.example"
    assert (resolve(t, "Dana").external, resolve(t, "Dana").address) == (False, "dana@corp.example")
    assert resolve(t, "[X500:/o=old/cn=dana]").external is False


def test_canonical_names_and_distinguished_names_resolve_by_their_name():
    t = tenant()
    assert resolve(t, "corp.example/Users/Contact One").address == "one@outside.example"
    assert resolve(t, "CN=Contact One,OU=corp.example,DC=prod").external is True


def test_unknown_names_and_dns_are_unresolved_not_external():
    t = tenant()
    assert resolve(t, "Nobody Known").external is None
    assert resolve(t, "EX:/o=x/cn=gone").external is None


def test_allowed_targets():
    assert tenant().is_allowed_target("journal@archive.example.net")
    assert not tenant().is_allowed_target("journal@archive.example.org")


def _with_controls(default_fwd, mode, rule_from=None):
    t = tenant()
    t.add_remote_domain(Record({"DomainName": "*", "AutoForwardEnabled": default_fwd}, 1))
    t.add_remote_domain(
        Record({"DomainName": "*.blocked.example", "AutoForwardEnabled": "False"}, 2)
    )
    t.add_policy(Record({"Name": "Default", "AutoForwardingMode": mode, "IsDefault": True}, 1))
    t.add_policy(Record({"Name": "Open", "AutoForwardingMode": "On", "IsDefault": False}, 2))
    if rule_from:
        t.add_policy_rule(
            Record(
                {
                    "Name": "r",
                    "HostedOutboundSpamFilterPolicy": "Open",
                    "State": "Enabled",
                    "Priority": "0",
                    "From": rule_from,
                },
                1,
            )
        )
    return t


def test_effect_states():
    assert _with_controls(True, "On").effect("a@corp.example", "x.example").state == "allowed"
    assert _with_controls(True, "Off").effect("a@corp.example", "x.example").state == "blocked"
    assert _with_controls(False, "On").effect("a@corp.example", "x.example").state == "blocked"
    assert (
        _with_controls(True, "Automatic").effect("a@corp.example", "x.example").state == "ambiguous"
    )
    assert (
        _with_controls(True, "On").effect("a@corp.example", "mx.blocked.example").state == "blocked"
    )
    assert tenant().effect("a@corp.example", "x.example").state == "unknown"


def test_outbound_rule_chooses_the_senders_policy():
    t = _with_controls(True, "Off", rule_from="a@corp.example")
    assert t.effect("a@corp.example", "x.example").state == "allowed"
    assert t.effect("b@corp.example", "x.example").state == "blocked"


def test_group_scoped_rule_makes_it_ambiguous():
    t = _with_controls(True, "On")
    t.add_policy_rule(
        Record({"Name": "g", "HostedOutboundSpamFilterPolicy": "Open", "FromMemberOf": "Sales"}, 1)
    )
    effect = t.effect("a@corp.example", "x.example")
    assert effect.state == "ambiguous" and any("members of Sales" in r for r in effect.reasons)
