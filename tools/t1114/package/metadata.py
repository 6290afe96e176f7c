"""Rule metadata as every platform's artifacts need it: severity, ATT&CK, analytic, timing.

One place decides how a Sigma level becomes a platform severity and which ATT&CK objects a
rule's tags name, so the Splunk app, the Kibana rules and the coverage layer agree.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sigma.correlations import SigmaCorrelationRule

from t1114.attack import Tactic, Technique, load_attack
from t1114.compiled import CompiledQuery
from t1114.errors import PackError
from t1114.loader import Pack, PackRule


@dataclass(frozen=True)
class Severity:
    elastic: str  # Kibana's severity
    risk_score: int  # Kibana's risk score, inside the band of its severity
    notable: str  # Enterprise Security's notable severity
    alert: int  # Splunk's alert.severity, 1 (debug) .. 6 (fatal)


# Kibana's bands: low 0-21, medium 22-47, high 48-73, critical 74-100; the scores are the top
# of each band, as Elastic's own rules use them.
LEVELS = {
    "informational": Severity("low", 10, "informational", 2),
    "low": Severity("low", 21, "low", 3),
    "medium": Severity("medium", 47, "medium", 4),
    "high": Severity("high", 73, "high", 5),
    "critical": Severity("critical", 99, "critical", 6),
}


def severity(rule: PackRule) -> Severity:
    try:
        return LEVELS[rule.level]
    except KeyError:
        raise PackError(
            rule.path, f"level {rule.level!r} is not one of {', '.join(LEVELS)}"
        ) from None


def techniques(rule: PackRule) -> list[Technique]:
    attack = load_attack()
    found = {t.id: t for tag in rule.tags if (t := attack.technique_for_tag(tag)) is not None}
    return [found[k] for k in sorted(found)]


def tactics(rule: PackRule) -> list[Tactic]:
    """The tactics a rule is tagged with, or else those of its techniques."""
    attack = load_attack()
    found = {t.id: t for tag in rule.tags if (t := attack.tactic_for_tag(tag)) is not None}
    if not found:
        for technique in techniques(rule):
            for short in technique.tactics:
                if short in attack.tactics:
                    found[attack.tactics[short].id] = attack.tactics[short]
    return [found[k] for k in sorted(found)]


def technique_ids(rule: PackRule) -> list[str]:
    return [t.id for t in techniques(rule)]


def analytic(rule: PackRule) -> dict:
    """The DET0476 analytic a rule implements, from the shipped detection-strategy data."""
    found = load_attack().analytic(rule.analytic or "")
    return found[1] if found else {}


def platform(rule: PackRule) -> str:
    return analytic(rule).get("platform", "")


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def description(rule: PackRule) -> str:
    return (rule.sigma.description or "").strip()


def listed(rule: PackRule, key: str) -> list[str]:
    """A list-valued metadata field (falsepositives, references) as strings."""
    value = rule.doc.get(key) or []
    return [
        str(v).strip() for v in (value if isinstance(value, list) else [value]) if str(v).strip()
    ]


def authors(rule: PackRule) -> list[str]:
    return [a.strip() for a in (rule.sigma.author or "").split(",") if a.strip()]


def timespan_seconds(rule: PackRule) -> int:
    """A correlation's time window; 0 for a single-event rule."""
    if not isinstance(rule.sigma, SigmaCorrelationRule) or rule.sigma.timespan is None:
        return 0
    return int(rule.sigma.timespan.seconds)


def correlated(pack: Pack, rule: PackRule) -> list[PackRule]:
    return [dep for ref in rule.referenced_names if (dep := pack.find(ref)) is not None]


def is_building_block(pack: Pack, rule: PackRule) -> bool:
    """Sigma: rules under a correlation alert on their own only if a correlation says ``generate``."""
    parents = [r for r in pack.rules if r.references(rule)]
    return bool(parents) and not any(getattr(p.sigma, "generate", False) for p in parents)


def minutes(seconds: int) -> int:
    return -(-seconds // 60)


@dataclass(frozen=True)
class Variant:
    """One query of a compiled rule: most rules compile to one, an any-order temporal
    correlation on some targets to one per order of its rules, each shipped on its own."""

    index: int  # 1-based
    count: int
    text: str

    @property
    def suffix(self) -> str:
        return "" if self.count == 1 else f" ({self.index} of {self.count})"

    def id_for(self, rule: PackRule) -> str:
        """The rule's id for its first query; ids derived from it for the others."""
        if self.index == 1:
            return rule.id
        try:
            return str(uuid.uuid5(uuid.UUID(rule.id), f"query-{self.index}"))
        except ValueError:
            return f"{rule.id}-{self.index}"


def variants(query: CompiledQuery) -> list[Variant]:
    texts = [q for q in query.queries if q.strip()] or [query.text.strip()]
    return [Variant(i, len(texts), text.strip()) for i, text in enumerate(texts, 1)]
