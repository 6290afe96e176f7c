"""Coverage: the Navigator layer, the analytic x platform x rule x fixtures x target matrix
(Markdown and SVG)."""

import json
import re
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree as ET

from t1114.attack import load_attack
from t1114.package import coverage

ROOT = Path(__file__).resolve().parents[1]


def tagged(rule) -> set[str]:
    return {
        t.split(".", 1)[1].upper()
        for t in rule.tags
        if re.fullmatch(r"attack\.t\d{4}(\.\d{3})?", t)
    }


def test_coverage_files_are_written(dist):
    assert sorted(p.name for p in (dist / "coverage").iterdir()) == [
        "coverage.json",
        "matrix.md",
        "matrix.svg",
        "navigator_layer.json",
    ]


def test_navigator_layer_scores_t1114_by_rules(pack, dist):
    layer = json.loads((dist / "coverage" / "navigator_layer.json").read_text())
    assert layer["domain"] == "enterprise-attack"
    assert layer["versions"]["attack"] == load_attack().version.split(".")[0]
    scores = {t["techniqueID"]: t["score"] for t in layer["techniques"]}
    # Counted here from the rules' tags: a sub-technique by the rules naming it, T1114 by the
    # rules naming it or any of its sub-techniques.
    expected = Counter(tid for rule in pack.rules for tid in tagged(rule))
    expected["T1114"] = sum(
        1 for rule in pack.rules if any(t.startswith("T1114") for t in tagged(rule))
    )
    for tid in ("T1114", "T1114.001", "T1114.002", "T1114.003"):
        assert scores[tid] == expected.get(tid, 0), tid
    attack = load_attack()
    for entry in layer["techniques"]:
        assert entry["tactic"] in attack.techniques[entry["techniqueID"]].tactics
        assert len(entry["metadata"]) == entry["score"]
    assert {e["tactic"] for e in layer["techniques"] if e["techniqueID"].startswith("T1114")} == {
        "collection"
    }


def test_matrix_lists_every_analytic_and_rule(pack, dist):
    cov = json.loads((dist / "coverage" / "coverage.json").read_text())
    strategy = load_attack().detection_strategies["DET0476"]["analytics"]
    assert [a["id"] for a in cov["analytics"]] == ["AN1309", "AN1310", "AN1311", "AN1312"]
    md = (dist / "coverage" / "matrix.md").read_text()
    for a in cov["analytics"]:
        assert a["platform"] == strategy[a["id"]]["platform"]
        assert re.search(
            rf"^\| {a['id']} \| {re.escape(a['platform'])} \| {len(a['rules'])} \|", md, re.M
        )
        assert {r["name"] for r in a["rules"]} == {
            r.name for r in pack.rules if r.analytic == a["id"]
        }
    for rule in pack.rules:
        row = next(line for line in md.splitlines() if f"`{rule.name}`" in line)
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[0] == rule.analytic
        assert cells[3] == ", ".join(sorted(tagged(rule)))
        # A shipped target the rule compiles for is ticked; every fixture verdict passes.
        manifest = json.loads((dist / "manifest.json").read_text())
        queries = next(r["queries"] for r in manifest["rules"] if r["id"] == rule.id)
        for target, cell in zip(cov["targets"], cells[5:], strict=True):
            if target in cov["shipped_targets"]:
                assert cell.startswith("✓ ") == (target in queries), (rule.name, target, cell)
            m = re.search(r"(\d+)/(\d+)", cell)
            assert (m is None and cell in ("—", "✗ no cases")) or m.group(1) == m.group(2), (
                rule.name,
                target,
                cell,
            )


def test_fixture_verdicts_and_missing_queries_show(pack):
    rule = pack.find("m365_mailbox_sync_access")
    manifest = {
        "rules": [
            {
                "id": rule.id,
                "name": rule.name,
                "title": rule.title,
                "analytic": rule.analytic,
                "tags": rule.tags,
                "queries": {"splunk": "queries/splunk/x.spl"},
            }
        ]
    }
    results = [
        {"rule_id": rule.id, "target": t, "file": "f.json", "case": c, "expected": e, "passed": p}
        for t, c, e, p in [
            ("splunk", "a", "match", True),
            ("splunk", "b", "no_match", False),
            ("elastic", "a", "match", True),
        ]
    ]
    cov = coverage.model(manifest, results)
    row = cov["analytics"][-1]["rules"][0]
    assert row["cases"] == {"match": 1, "no_match": 1}
    assert row["targets"]["splunk"] == {"query": True, "passed": 1, "total": 2}
    assert row["targets"]["elastic"] == {"query": False, "passed": 1, "total": 1}
    _, rows = coverage.matrix_rows(cov)
    cells = dict(zip(cov["targets"], rows[-1][5:], strict=True))
    assert cells == {"elastic": "1/1", "splunk": "✓ 1/2"}
    assert coverage._cell_colour(cells["splunk"]) == coverage.COLOURS["fail"]


def test_svg_is_self_contained_and_shows_the_matrix(pack, dist):
    text = (dist / "coverage" / "matrix.svg").read_text()
    svg = ET.fromstring(text)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    shown = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    for rule in pack.rules:
        assert rule.name in shown
    for analytic in ("AN1309", "AN1310", "AN1311", "AN1312"):
        assert analytic in shown
    assert "href" not in text and "@import" not in text
    assert re.findall(r"https?://[^\"']+", text) == ["http://www.w3.org/2000/svg"]
