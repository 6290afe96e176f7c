"""Offline MITRE ATT&CK data.

pySigma downloads ATT&CK from GitHub the first time a tag validator or a threat mapping
needs it. The pack ships a pinned STIX subset instead and points pySigma at it, so nothing
here touches the network and every build sees the same ATT&CK release.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_DATA = resources.files("t1114") / "data" / "attack"
STIX_BUNDLE = "enterprise-attack.json"
DETECTION_STRATEGIES = "detection_strategy.json"

_configured = False


def use_offline_attack_data() -> None:
    """Point pySigma's ATT&CK loader at the shipped bundle (idempotent)."""
    global _configured
    if _configured:
        return
    from sigma.data import mitre_attack

    # A private cache directory keeps a user's own (downloaded) pySigma cache out of our
    # results and ours out of theirs.
    mitre_attack.set_cache_dir(tempfile.mkdtemp(prefix="t1114-attack-"))
    with resources.as_file(_DATA / STIX_BUNDLE) as path:
        mitre_attack.set_url(str(path))
    _configured = True


@dataclass(frozen=True)
class Technique:
    id: str
    name: str
    tactics: tuple[str, ...]
    url: str

    @property
    def parent(self) -> str | None:
        return self.id.split(".")[0] if "." in self.id else None


@dataclass(frozen=True)
class Tactic:
    id: str
    name: str
    shortname: str
    url: str


@dataclass(frozen=True)
class AttackData:
    version: str
    tactics: dict[str, Tactic]  # by shortname, e.g. "collection"
    techniques: dict[str, Technique]  # by id, e.g. "T1114.003"
    detection_strategies: dict[str, dict]

    def technique_for_tag(self, tag: str) -> Technique | None:
        """``attack.t1114.003`` -> Technique T1114.003."""
        m = re.fullmatch(r"attack\.(t\d{4}(?:\.\d{3})?)", tag.lower())
        return self.techniques.get(m.group(1).upper()) if m else None

    def tactic_for_tag(self, tag: str) -> Tactic | None:
        """``attack.collection`` -> the Collection tactic."""
        if not tag.lower().startswith("attack."):
            return None
        return self.tactics.get(tag.lower().split(".", 1)[1].replace("_", "-"))

    def analytic(self, analytic_id: str) -> tuple[str, dict] | None:
        for strategy_id, strategy in self.detection_strategies.items():
            if analytic_id in strategy.get("analytics", {}):
                return strategy_id, strategy["analytics"][analytic_id]
        return None


def _external(obj: dict) -> tuple[str | None, str | None]:
    for ref in obj.get("external_references", []):
        if ref.get("source_name") == "mitre-attack":
            return ref.get("external_id"), ref.get("url")
    return None, None


@lru_cache(maxsize=1)
def load_attack() -> AttackData:
    bundle = json.loads((_DATA / STIX_BUNDLE).read_text(encoding="utf-8"))
    strategies = json.loads((_DATA / DETECTION_STRATEGIES).read_text(encoding="utf-8"))
    version = "unknown"
    tactics: dict[str, Tactic] = {}
    techniques: dict[str, Technique] = {}
    for obj in bundle.get("objects", []):
        kind = obj.get("type")
        ext_id, url = _external(obj)
        if kind == "x-mitre-collection":
            version = obj.get("x_mitre_version", version)
        elif kind == "x-mitre-tactic" and ext_id:
            short = obj["x_mitre_shortname"]
            tactics[short] = Tactic(ext_id, obj["name"], short, url or "")
        elif kind == "attack-pattern" and ext_id:
            phases = tuple(
                p["phase_name"]
                for p in obj.get("kill_chain_phases", [])
                if p.get("kill_chain_name") == "mitre-attack"
            )
            techniques[ext_id] = Technique(ext_id, obj["name"], phases, url or "")
    return AttackData(version, tactics, techniques, strategies)
