"""Recipient values in the renderings Exchange, Graph and users' joins produce."""

from __future__ import annotations

import pytest

from t1114.audit.recipients import LostValues, parse_recipient, parse_recipients

DN = "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=abc-bob"


@pytest.mark.parametrize(
    "value,address,dn,name",
    [
        ('"Evil Corp" [SMTP:Drop@Evil.example]', "drop@evil.example", None, None),
        ("smtp:x@y.example", "x@y.example", None, None),
        ("SMTP:x@y.example", "x@y.example", None, None),
        ("x@y.example", "x@y.example", None, None),
        ("Jane Doe <jane@y.example>", "jane@y.example", None, None),
        (f'"Bob" [EX:{DN}]', None, DN.lower(), None),
        (f"EX:{DN}", None, DN.lower(), None),
        (DN, None, DN.lower(), None),
        ("Partner Drop", None, None, "Partner Drop"),
        ("contoso.com/Users/Partner Drop", None, None, "contoso.com/Users/Partner Drop"),
        ({"emailAddress": {"name": "A", "address": "A@B.example"}}, "a@b.example", None, None),
        (
            {"Name": "Partner Drop", "DistinguishedName": "CN=Partner Drop,OU=x"},
            None,
            None,
            "Partner Drop",
        ),
    ],
)
def test_single_renderings(value, address, dn, name):
    r = parse_recipient(value)
    assert (r.address, r.legacy_dn, r.name) == (address, dn, name)


@pytest.mark.parametrize("value", [None, "", "  ", "$null", "{}"])
def test_empty_values_are_no_recipient(value):
    assert parse_recipient(value) is None
    assert parse_recipients(value) == []


def test_lists_split_outside_quotes_and_brackets():
    got = parse_recipients(f'"Doe, Jane" [SMTP:jane@x.example];"Bob" [EX:{DN}], c@y.example')
    assert [(r.display, r.address, r.legacy_dn) for r in got] == [
        ("Doe, Jane", "jane@x.example", None),
        ("Bob", None, DN.lower()),
        (None, "c@y.example", None),
    ]


def test_format_table_braces_and_json_arrays():
    assert [r.address for r in parse_recipients("{a@x.example, b@y.example}")] == [
        "a@x.example",
        "b@y.example",
    ]
    assert [r.address for r in parse_recipients(["a@x.example", '"B" [SMTP:b@y.example]'])] == [
        "a@x.example",
        "b@y.example",
    ]


def test_a_net_type_name_means_the_export_lost_the_values():
    with pytest.raises(LostValues):
        parse_recipients("System.Collections.ArrayList")
    with pytest.raises(LostValues):
        parse_recipient("Microsoft.Exchange.Data.Storage.Management.ADRecipientOrAddress[]")
