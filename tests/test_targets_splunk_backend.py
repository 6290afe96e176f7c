"""The pack's SPL backend: regexes a NOT must reach are tested inside the boolean search."""

import pytest
from sigma.backends.splunk import SplunkBackend
from sigma.collection import SigmaCollection

from t1114.events import Event, flatten
from t1114.targets.splunk.backend import PackSplunkBackend
from t1114.verify import spl
from t1114.verify.base import Context

CTX = Context("splunk", ("_time",))
RULE = """
title: negated regex group
logsource: {{product: windows, service: msexchange-management}}
detection:
  cmdlet: {{CmdletName: Set-Mailbox}}
  internal:
    CmdletParameters|contains: '@contoso.com"'
  one_address:
    CmdletParameters|re: '^[^@]+@[^@]+$'
  condition: {condition}
"""
# CmdletParameters of each event; the cmdlet is Set-Mailbox in all.
EVENTS = (
    '-ForwardingSmtpAddress "a@contoso.com"',  # internal and one address: quiet
    '-ForwardingSmtpAddress "a@fabrikam.com"',  # external: alerts
    '-ForwardingSmtpAddress "a@contoso.com,b@fabrikam.com"',  # a second address: alerts
)


def _matches(backend, condition: str) -> set[int]:
    (query,) = backend.convert(SigmaCollection.from_yaml(RULE.format(condition=condition)))
    events = [
        Event(i, flatten({"CmdletName": "Set-Mailbox", "CmdletParameters": p}))
        for i, p in enumerate(EVENTS)
    ]
    return spl.evaluate(spl.parse(query), events, CTX)


@pytest.mark.parametrize(
    "condition",
    [
        "cmdlet and not (internal and one_address)",
        "cmdlet and (not internal or not one_address)",
        "cmdlet and not (not cmdlet or (internal and one_address))",
    ],
)
def test_a_negated_group_with_a_regex_keeps_its_negation(condition):
    assert _matches(PackSplunkBackend(), condition) == {1, 2}


def test_the_stock_backend_drops_the_negation_of_a_regex_in_a_negated_group():
    # pysigma-backend-splunk pipes the regex after the search ("NOT internal | regex ..."):
    # the regex filters for one address instead of excluding it. The pack's override exists
    # for this; if the stock backend is fixed, the override can go.
    assert _matches(SplunkBackend(), "cmdlet and not (internal and one_address)") != {1, 2}


def test_a_regex_that_is_the_nots_own_argument_stays_piped():
    (query,) = PackSplunkBackend().convert(
        SigmaCollection.from_yaml(RULE.format(condition="cmdlet and not one_address"))
    )
    assert '| regex CmdletParameters!="^[^@]+@[^@]+$"' in query and "| rex" not in query
