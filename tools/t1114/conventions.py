"""The pack's own rule conventions, beyond what pySigma's validators check.

Each check takes the whole pack and yields ``(rule, message)``: uniqueness needs every rule.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator

from t1114.attack import load_attack
from t1114.loader import Pack, PackRule

REQUIRED = (
    "title",
    "id",
    "status",
    "description",
    "author",
    "date",
    "references",
    "level",
    "falsepositives",
)
ANALYTIC_PLATFORMS = {"AN1309": "windows", "AN1310": "linux", "AN1311": "macos", "AN1312": "cloud"}
DETECTION_STRATEGY = "DET0476"

Check = Callable[[Pack], Iterator[tuple[PackRule, str]]]


def unique_identity(pack: Pack):
    for attr in ("id", "name", "title"):
        counts = Counter(getattr(r, attr).lower() for r in pack.rules)
        for rule in pack.rules:
            if counts[getattr(rule, attr).lower()] > 1:
                yield rule, f"{attr} '{getattr(rule, attr)}' is used by more than one rule"


def required_metadata(pack: Pack):
    for rule in pack.rules:
        for key in REQUIRED:
            value = rule.doc.get(key)
            if value in (None, "", [], {}):
                yield rule, f"missing required metadata '{key}'"


def attack_tags(pack: Pack):
    attack = load_attack()
    for rule in pack.rules:
        tags = [t.lower() for t in rule.tags]
        if "attack.collection" not in tags:
            yield rule, "missing tag 'attack.collection'"
        techniques = [t for t in tags if re.fullmatch(r"attack\.t\d{4}(\.\d{3})?", t)]
        if not any(t.startswith("attack.t1114") for t in techniques):
            yield (
                rule,
                "needs a T1114 technique or sub-technique tag (attack.t1114, attack.t1114.001-.003)",
            )
        for tag in techniques:
            if attack.technique_for_tag(tag) is None:
                yield rule, f"tag '{tag}' names no technique in the shipped ATT&CK data"


def analytic_ids(pack: Pack):
    attack = load_attack()
    for rule in pack.rules:
        if rule.detection_strategy != DETECTION_STRATEGY:
            yield (
                rule,
                f"'detection_strategy' must be {DETECTION_STRATEGY}, not {rule.detection_strategy!r}",
            )
        analytic = rule.analytic
        if analytic not in ANALYTIC_PLATFORMS:
            yield (
                rule,
                f"'analytic' must be one of {', '.join(ANALYTIC_PLATFORMS)}, not {analytic!r}",
            )
        elif attack.analytic(analytic) is None:
            yield rule, f"analytic {analytic} is missing from the shipped detection-strategy data"


ALLOWED_CUSTOM_ATTRIBUTES = {"analytic", "detection_strategy"}


def custom_attributes_allowed(pack: Pack):
    for rule in pack.rules:
        extra = (
            set(rule.custom)
            - ALLOWED_CUSTOM_ATTRIBUTES
            - ({"correlation"} if rule.is_correlation else set())
        )
        for key in sorted(extra):
            yield (
                rule,
                f"unknown top-level field '{key}' (allowed beyond Sigma's: {', '.join(sorted(ALLOWED_CUSTOM_ATTRIBUTES))})",
            )


def correlation_analytic_matches(pack: Pack):
    for rule in pack.rules:
        for ref in rule.referenced_names:
            dep = pack.find(ref)
            if dep is not None and dep.analytic != rule.analytic:
                yield (
                    rule,
                    f"correlates '{dep.name}' of analytic {dep.analytic} but is filed under {rule.analytic}",
                )


CHECKS: tuple[Check, ...] = (
    unique_identity,
    required_metadata,
    attack_tags,
    analytic_ids,
    custom_attributes_allowed,
    correlation_analytic_matches,
)
