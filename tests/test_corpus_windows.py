"""The pack over real Windows recordings it has never seen (../shared/corpus).

The recordings hold no Windows email collection (their SOURCES.md says so): the Turla
Outlook COM-hijack registry writes, an MSExchange Management log of a transport-agent
install, and SigmaHQ's regression events of unrelated techniques. The pack must stay quiet
on all of them; the collection procedures must be flagged when they appear in the same
stream, in the real events' own shapes.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from conftest import SHARED
from t1114.inputs import read_events
from t1114.scan import scan
from t1114.targets import all_targets

CORPUS = SHARED / "corpus"
EVTX = [
    CORPUS
    / "evtx-attack-samples"
    / "Persistence"
    / "persist_turla_outlook_backdoor_comhijack.evtx",
    CORPUS
    / "evtx-to-mitre-attack"
    / "TA0003-Persistence"
    / "T1505-Server Software Component"
    / "ID6-Failed to install an Exchange transport agent.evtx",
]
REGRESSION = CORPUS / "sigmahq-regression-data" / "regression_data"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "windows"


@pytest.fixture(scope="module")
def recordings(tmp_path_factory) -> dict[str, list[dict]]:
    missing = [p for p in EVTX + [REGRESSION] if not p.exists()]
    if missing:
        pytest.skip(f"{missing[0]} is not present (the shared corpus lives beside the checkout)")
    evtx = pytest.importorskip("evtx")
    out = {}
    for path in EVTX:
        out[path.name] = [
            json.loads(r["data"]) for r in evtx.PyEvtxParser(str(path)).records_json()
        ]
    out["regression"] = [doc for p in sorted(REGRESSION.rglob("*.json")) for doc in _documents(p)]
    return out


def _documents(path: Path) -> list[dict]:
    """Every JSON document in a file (some samples hold several, back to back)."""
    text, decoder, docs, at = path.read_text(encoding="utf-8"), json.JSONDecoder(), [], 0
    while at < len(text):
        while at < len(text) and text[at].isspace():
            at += 1
        if at < len(text):
            doc, at = decoder.raw_decode(text, at)
            docs.append(doc)
    return docs


def _scan(pack, tmp_path, events: list[dict]) -> list[dict]:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return list(scan(pack, all_targets()["native"], [path]))


def _names(pack, hits) -> set[str]:
    return {pack.find(h["rule_id"]).name for h in hits}


def test_quiet_on_unrelated_real_telemetry(pack, recordings, tmp_path):
    events = [e for batch in recordings.values() for e in batch]
    assert len(events) > 200
    assert _scan(pack, tmp_path, events) == []


def test_exchange_log_is_read_as_the_pack_names_it(recordings, tmp_path):
    # The quiet verdict above means something only if the cmdlet log reached the rules.
    path = tmp_path / "exchange.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in recordings[EVTX[1].name]))
    flat = [e.fields for e in read_events(path)]
    assert {f["param1"] for f in flat} == {"Install-TransportAgent", "Enable-TransportAgent"}
    assert all(f["Channel"] == "MSExchange Management" and f["EventID"] == 6 for f in flat)


def test_collection_in_the_real_events_own_shape_is_flagged(pack, recordings, tmp_path):
    exchange = copy.deepcopy(recordings[EVTX[1].name][0])
    values = exchange["Event"]["EventData"]["Data"]["#text"]
    values[0] = "New-MailboxExportRequest"
    values[1] = (
        '-Mailbox "ceo" -FilePath "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\x.aspx"'
    )
    registry = copy.deepcopy(recordings[EVTX[0].name][0])
    data = registry["Event"]["EventData"]
    data["TargetObject"] = data["TargetObject"].split("_CLASSES")[0] + (
        "\\Software\\Microsoft\\Office\\16.0\\Outlook\\Security\\EnableUnsafeClientMailRules"
    )
    data["Details"] = "DWORD (0x00000001)"
    background = recordings["regression"]
    hits = _scan(pack, tmp_path, background + [exchange, registry])
    assert _names(pack, hits) == {
        "win_exchange_management_mailbox_export",
        "win_exchange_management_mailbox_export_to_webroot",
        "win_outlook_unsafe_rules_registry",
    }
    assert {h["event_index"] for h in hits} == {len(background), len(background) + 1}


def test_fixture_procedures_are_flagged_among_real_telemetry(pack, recordings, tmp_path):
    background = [e for batch in recordings.values() for e in batch]
    planted, expected = [], set()
    for path in sorted(FIXTURES.glob("*.json")):
        fixture = json.loads(path.read_text(encoding="utf-8"))
        for case in fixture["cases"]:
            if case.get("match") and not case.get("no_match") and fixture["rule"] in case["match"]:
                if pack.find(fixture["rule"]).is_correlation:
                    continue
                planted.append(case["events"][0])
                expected.add(fixture["rule"])
    hits = _scan(pack, tmp_path, background + planted)
    assert all(h["event_index"] >= len(background) for h in hits)
    assert expected <= _names(pack, hits)
