"""Organisation-specific values the rules refer to as Sigma placeholders.

Rules name a list with the ``expand`` modifier (``Parameters.ForwardTo|expand: '*@%internal_domains%'``)
and every platform pipeline replaces it with the list's values through pySigma's
``ValueListPlaceholderTransformation``. The defaults below make the pipelines usable on their
own (``sigma convert -p t1114_splunk``); ``t1114`` passes the values of the pack's tuning file
(config/tuning.yml) instead, so one file reaches every target.
"""

from __future__ import annotations

from collections.abc import Mapping

from sigma.processing.pipeline import ProcessingItem
from sigma.processing.transformations import ValueListPlaceholderTransformation

# Written into queries for a list left empty: a name under the reserved .invalid top-level
# domain (RFC 2606), which no mail address, account name or country code can equal, so a
# filter on an empty list filters nothing and a "not in the list" test always holds.
EMPTY_LIST_VALUE = "none.invalid"

# Name -> (default values, what the list is for). Values may use Sigma wildcards (* and ?).
TUNING: dict[str, tuple[tuple[str, ...], str]] = {
    "internal_domains": (
        (),
        "mail domains of the organisation; forwarding to them is internal. Empty: every "
        "forwarding address counts as external until you list your domains",
    ),
    "allowed_forwarding_targets": (
        (),
        "addresses (wildcards allowed) that forwarding may name without an alert, e.g. an archive service",
    ),
    "admin_accounts": (
        (),
        "accounts whose mailbox-permission and eDiscovery work is expected (compliance officers, helpdesk)",
    ),
    "service_accounts": (
        (
            "NT AUTHORITY\\SYSTEM*",
            "S-1-5-18",
            "*ApplicationAccount@*.prod.outlook.com",
        ),
        "accounts of the service itself: Exchange Online provisioning runs cmdlets as these",
    ),
    "known_signin_countries": (
        ("*",),
        "ISO 3166 country codes users sign in from. The default '*' knows every country, which "
        "turns the unfamiliar-location test off until you list yours",
    ),
}


def tuning_defaults() -> dict[str, list[str]]:
    return {name: list(values) for name, (values, _) in TUNING.items()}


def tuning_vars(overrides: Mapping[str, list[str]] | None = None) -> dict[str, list[str]]:
    """The placeholder values for a pipeline: the defaults, replaced list by list by ``overrides``."""
    values = tuning_defaults()
    for name, listed in (overrides or {}).items():
        if name not in TUNING:
            raise ValueError(f"unknown tuning list '{name}' (known: {', '.join(TUNING)})")
        values[name] = list(listed)
    return {name: (listed or [EMPTY_LIST_VALUE]) for name, listed in values.items()}


def tuning_item() -> ProcessingItem:
    return ProcessingItem(
        identifier="t1114_tuning_lists",
        transformation=ValueListPlaceholderTransformation(include=list(TUNING)),
    )
