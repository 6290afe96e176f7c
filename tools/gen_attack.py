#!/usr/bin/env python3
"""Generate the compact MITRE ATT&CK data under tools/t1114/data/attack/.

Run from the repository root with a checkout of the public mitre/cti
repository (its enterprise-attack/ per-object STIX files):

    python tools/gen_attack.py --cti /path/to/mitre-cti --attack-version 18.1 \
        --out tools/t1114/data/attack

Outputs (deterministic, sorted keys, indent=1, trailing newline):

* ``enterprise-attack.json``: a STIX 2.1 bundle holding an x-mitre-collection,
  the 14 Enterprise tactics of the Enterprise matrix, and the attack-pattern
  objects of TECHNIQUES below and of their parent techniques (name, tactic phases, ATT&CK id and URL,
  platforms, version), trimmed of descriptions and citations.  pySigma loads it
  offline through ``sigma.data.mitre_attack.set_url(<path>)``.
* ``detection_strategy.json``: the ATT&CK detection strategy for T1114 (DET0476)
  with its analytics: platform, log sources and tunable fields from ATT&CK, and
  a short description written for this pack (ANALYTIC_SUMMARIES).

Object ids, names, phases and versions are copied from the input; only the
collection and bundle ids are made here (uuid5, so reruns are byte-identical).
Only the Python standard library is used.  A missing or malformed input ends
the run with a one-line error naming the file, and exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import uuid

#: Techniques and sub-techniques the T1114 content pack references.
TECHNIQUES = (
    "T1003",
    "T1005",
    "T1020",
    "T1021",
    "T1036",
    "T1036.003",
    "T1048",
    "T1048.003",
    "T1059",
    "T1059.001",
    "T1059.002",
    "T1059.004",
    "T1059.007",
    "T1068",
    "T1069",
    "T1070",
    "T1070.004",
    "T1071",
    "T1071.003",
    "T1078",
    "T1078.004",
    "T1087",
    "T1087.003",
    "T1087.004",
    "T1090",
    "T1098",
    "T1098.002",
    "T1098.003",
    "T1105",
    "T1110",
    "T1112",
    "T1114",
    "T1114.001",
    "T1114.002",
    "T1114.003",
    "T1119",
    "T1137",
    "T1137.005",
    "T1199",
    "T1204",
    "T1213",
    "T1218",
    "T1505",
    "T1505.002",
    "T1505.003",
    "T1528",
    "T1530",
    "T1547",
    "T1550.001",
    "T1552",
    "T1552.001",
    "T1555",
    "T1556",
    "T1560",
    "T1560.001",
    "T1562",
    "T1562.001",
    "T1564.008",
    "T1566",
    "T1567",
    "T1567.002",
)

#: The detection strategy exported to detection_strategy.json.
DETECTION_STRATEGY = "DET0476"

#: Descriptions of DET0476's analytics, summarised for this pack from ATT&CK's
#: analytic text.  Every analytic of the strategy needs one.
ANALYTIC_SUMMARIES = {
    "AN1309": (
        "Link the creation of mail-forwarding rules, or auto-forward header artefacts in "
        "Exchange logs, with suspicious process activity, reads of Outlook .pst/.ost data "
        "files and outbound connections to external SMTP servers."
    ),
    "AN1310": (
        "Flag reads of users' mbox or Maildir stores that coincide with curl, wget or "
        "postfix activity, and shell scripts that sweep users' mail directories."
    ),
    "AN1311": (
        "Watch for access to Mail.app's data store or maildir files, AppleScript-driven "
        "mail automation, and mail rules created through scripting or UI automation."
    ),
    "AN1312": (
        "Tie unexpected auto-forwarding rule creation (through Exchange Web Services or "
        "Outlook rules) and auto-forwarded message headers to sign-in sessions from "
        "unusual IP addresses."
    ),
}

DOMAIN = "enterprise-attack"
_NS = uuid.UUID("6f1d3c52-5b8e-4b7a-9a43-2f0b1c9d7e11")  # this pack's uuid5 namespace
_VERSION_RE = re.compile(r"^\d+\.\d+$")


class InputError(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _load_dir(root: str, kind: str) -> list:
    """Every STIX object in <root>/enterprise-attack/<kind>/*.json, in file-name order."""
    directory = os.path.join(root, DOMAIN, kind)
    if not os.path.isdir(directory):
        raise InputError(os.path.join(DOMAIN, kind), "missing directory")
    objects = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".json"):
            continue
        path = os.path.join(directory, name)
        display = f"{DOMAIN}/{kind}/{name}"
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(display, f"cannot read: {exc.__class__.__name__}") from None
        except json.JSONDecodeError as exc:
            raise InputError(display, f"malformed JSON (line {exc.lineno})") from None
        items = data.get("objects") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise InputError(display, "not a STIX bundle with an objects list")
        for obj in items:
            if not isinstance(obj, dict) or "type" not in obj or "id" not in obj:
                raise InputError(display, "STIX object without type or id")
            obj["_file"] = display
            objects.append(obj)
    return objects


def _mitre_ref(obj) -> dict | None:
    for ref in obj.get("external_references", []):
        if ref.get("source_name") == "mitre-attack" and ref.get("external_id"):
            return ref
    return None


def _active(obj) -> bool:
    return not obj.get("revoked") and not obj.get("x_mitre_deprecated")


def _trim(obj, keep) -> dict:
    out = {k: obj[k] for k in keep if k in obj}
    ref = _mitre_ref(obj)
    out["external_references"] = [
        {"external_id": ref["external_id"], "source_name": "mitre-attack", "url": ref["url"]}
    ]
    out["spec_version"] = "2.1"
    return out


def build(cti: str, version: str):
    tactics_all = {o["id"]: o for o in _load_dir(cti, "x-mitre-tactic")}
    matrices = [o for o in _load_dir(cti, "x-mitre-matrix") if _active(o)]
    if len(matrices) != 1:
        raise InputError(f"{DOMAIN}/x-mitre-matrix", f"expected one matrix, found {len(matrices)}")
    matrix = matrices[0]
    tactics = []
    for ref in matrix.get("tactic_refs", []):
        if ref not in tactics_all:
            raise InputError(matrix["_file"], f"tactic {ref} has no x-mitre-tactic file")
        tactics.append(tactics_all[ref])
    if len(tactics) != 14:
        raise InputError(matrix["_file"], f"expected 14 Enterprise tactics, found {len(tactics)}")
    phases = {t["x_mitre_shortname"] for t in tactics}

    by_attack_id = {}
    for obj in _load_dir(cti, "attack-pattern"):
        ref = _mitre_ref(obj)
        if ref and _active(obj):
            if ref["external_id"] in by_attack_id:
                raise InputError(obj["_file"], f"duplicate active technique {ref['external_id']}")
            by_attack_id[ref["external_id"]] = obj
    techniques = []
    # A sub-technique brings its parent: Kibana's threat mapping and the Navigator layer name
    # the technique above every sub-technique.
    wanted = sorted(set(TECHNIQUES) | {t.split(".")[0] for t in TECHNIQUES})
    for tid in wanted:
        obj = by_attack_id.get(tid)
        if obj is None:
            raise InputError(f"{DOMAIN}/attack-pattern", f"no active attack-pattern for {tid}")
        for phase in obj.get("kill_chain_phases", []):
            if phase.get("kill_chain_name") == "mitre-attack" and phase["phase_name"] not in phases:
                raise InputError(obj["_file"], f"unknown tactic phase {phase['phase_name']}")
        techniques.append(obj)

    marking = [
        o for o in _load_dir(cti, "marking-definition") if o.get("definition_type") == "statement"
    ]
    identities = _load_dir(cti, "identity")
    if len(marking) != 1 or len(identities) != 1:
        raise InputError(
            f"{DOMAIN}/marking-definition", "expected one MITRE statement and identity"
        )

    common = (
        "type",
        "id",
        "created",
        "created_by_ref",
        "modified",
        "name",
        "object_marking_refs",
        "x_mitre_attack_spec_version",
        "x_mitre_domains",
        "x_mitre_modified_by_ref",
        "x_mitre_version",
    )
    objects = []
    for tactic in tactics:
        objects.append(_trim(tactic, common + ("x_mitre_shortname",)))
    for tech in techniques:
        objects.append(
            _trim(
                tech, common + ("kill_chain_phases", "x_mitre_is_subtechnique", "x_mitre_platforms")
            )
        )
    modified = max(o["modified"] for o in objects)
    ident = {k: v for k, v in identities[0].items() if not k.startswith("_")}
    ident["spec_version"] = "2.1"
    mark = {k: v for k, v in marking[0].items() if not k.startswith("_")}
    mark["spec_version"] = "2.1"
    collection = {
        "type": "x-mitre-collection",
        "id": f"x-mitre-collection--{uuid.uuid5(_NS, f'collection/{DOMAIN}/{version}')}",
        "spec_version": "2.1",
        "name": "Enterprise ATT&CK (T1114 content pack subset)",
        "description": (
            f"Subset of MITRE ATT&CK Enterprise v{version} for offline validation of the T1114 "
            "content pack: the 14 Enterprise tactics and the techniques the pack references, "
            "generated by tools/gen_attack.py from the mitre/cti per-object STIX files "
            "(names, tactic phases, ids and versions unchanged; descriptions and citations "
            "omitted). ATT&CK is used under its terms of use (see the marking definition)."
        ),
        "created": modified,
        "modified": modified,
        "created_by_ref": ident["id"],
        "object_marking_refs": [mark["id"]],
        "x_mitre_attack_spec_version": techniques[0].get("x_mitre_attack_spec_version", ""),
        "x_mitre_version": version,
        "x_mitre_contents": [
            {"object_ref": o["id"], "object_modified": o["modified"]} for o in objects
        ],
    }
    order = {
        "x-mitre-collection": 0,
        "identity": 1,
        "marking-definition": 2,
        "x-mitre-tactic": 3,
        "attack-pattern": 4,
    }

    def key(o):
        ref = _mitre_ref(o)
        return (order[o["type"]], ref["external_id"] if ref else o["id"])

    bundle = {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid5(_NS, f'bundle/{DOMAIN}/{version}')}",
        "objects": sorted([collection, ident, mark] + objects, key=key),
    }
    return bundle, build_strategy(cti, by_attack_id)


def build_strategy(cti: str, by_attack_id):
    strategies = [
        o
        for o in _load_dir(cti, "x-mitre-detection-strategy")
        if _active(o) and (_mitre_ref(o) or {}).get("external_id") == DETECTION_STRATEGY
    ]
    if len(strategies) != 1:
        raise InputError(f"{DOMAIN}/x-mitre-detection-strategy", f"no single {DETECTION_STRATEGY}")
    strategy = strategies[0]
    by_stix_id = {o["id"]: k for k, o in by_attack_id.items()}
    targets = sorted(
        by_stix_id[r["target_ref"]]
        for r in _load_dir(cti, "relationship")
        if r.get("relationship_type") == "detects"
        and r.get("source_ref") == strategy["id"]
        and _active(r)
        and r.get("target_ref") in by_stix_id
    )
    if len(targets) != 1:
        raise InputError(strategy["_file"], f"expected one detected technique, found {targets}")
    analytics_all = {o["id"]: o for o in _load_dir(cti, "x-mitre-analytic")}
    components = {o["id"]: o for o in _load_dir(cti, "x-mitre-data-component")}
    analytics = {}
    for ref in strategy.get("x_mitre_analytic_refs", []):
        analytic = analytics_all.get(ref)
        if analytic is None:
            raise InputError(strategy["_file"], f"analytic {ref} has no x-mitre-analytic file")
        an_id = _mitre_ref(analytic)["external_id"]
        if an_id not in ANALYTIC_SUMMARIES:
            raise InputError(analytic["_file"], f"{an_id} has no summary in gen_attack.py")
        platforms = analytic.get("x_mitre_platforms") or []
        log_sources = []
        for src in analytic.get("x_mitre_log_source_references", []):
            comp = components.get(src.get("x_mitre_data_component_ref"))
            if comp is None:
                raise InputError(analytic["_file"], "log source with an unknown data component")
            log_sources.append(
                {
                    "channel": src.get("channel", ""),
                    "data_component": f"{_mitre_ref(comp)['external_id']} {comp['name']}",
                    "name": src.get("name", ""),
                }
            )
        analytics[an_id] = {
            "description": ANALYTIC_SUMMARIES[an_id],
            "log_sources": log_sources,
            "platform": platforms[0] if len(platforms) == 1 else platforms,
            "tunables": [m["field"] for m in analytic.get("x_mitre_mutable_elements", [])],
        }
    return {
        DETECTION_STRATEGY: {
            "analytics": analytics,
            "name": strategy["name"],
            "source": (
                "ATT&CK detection strategy and analytics from the mitre/cti STIX files "
                "(platforms, log sources, tunable fields); descriptions summarised for this pack."
            ),
            "technique": targets[0],
            "url": f"https://attack.mitre.org/detectionstrategies/{DETECTION_STRATEGY}/",
            "x_mitre_version": strategy.get("x_mitre_version", ""),
        }
    }


def _write(path: str, data) -> None:
    text = json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.replace(tmp, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cti", required=True, help="checkout of github.com/mitre/cti")
    parser.add_argument(
        "--attack-version", default="18.1", help="ATT&CK release of that checkout (default: 18.1)"
    )
    parser.add_argument("--out", required=True, help="output directory (tools/t1114/data/attack)")
    args = parser.parse_args(argv)
    try:
        if not _VERSION_RE.match(args.attack_version):
            raise InputError("--attack-version", "expected MAJOR.MINOR, e.g. 18.1")
        if not os.path.isdir(os.path.join(args.cti, DOMAIN)):
            raise InputError(DOMAIN, "missing directory (is --cti a mitre/cti checkout?)")
        bundle, strategy = build(args.cti, args.attack_version)
        os.makedirs(args.out, exist_ok=True)
        _write(os.path.join(args.out, "enterprise-attack.json"), bundle)
        _write(os.path.join(args.out, "detection_strategy.json"), strategy)
    except InputError as exc:
        path = exc.path if exc.path.startswith("--") else os.path.join(args.cti, exc.path)
        sys.stderr.write(f"gen_attack: error: {path}: {exc.message}\n")
        return 1
    except OSError as exc:
        sys.stderr.write(f"gen_attack: error: {exc.filename or ''}: {exc.strerror or exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
