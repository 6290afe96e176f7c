"""Docs that cannot drift: generated blocks are current, the README stays short and its links
resolve, and the generators say what the pack's own data says."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from t1114.docs import Generator, Sources, generators, performance, rules, stale, write
from t1114.errors import PackError
from t1114.loader import load_pack
from t1114.project import Project

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def sources(pack, dist) -> Sources:
    # The coverage model the session's build wrote, instead of compiling and testing again.
    return Sources(pack, coverage=json.loads((dist / "coverage" / "coverage.json").read_text()))


def test_generated_docs_are_up_to_date(sources):
    assert stale(sources) == [], "run: make docs"


def test_every_generator_has_its_block_in_a_document():
    found = generators()
    assert {g.name for g in found} >= {
        "rule-catalogue",
        "coverage-matrix",
        "command-reference",
        "performance",
    }
    for gen in found:
        text = (ROOT / gen.document).read_text()
        assert text.count(gen.start) == text.count(gen.end) == 1, gen.document


def test_a_stale_block_is_found_and_rewritten(sources, pack_copy):
    shutil.copytree(ROOT / "docs", pack_copy / "docs")
    copy = Sources(load_pack(Project(pack_copy)), coverage=sources.coverage)
    catalogue = pack_copy / "docs" / "rules.md"
    good = catalogue.read_text()
    gen = next(g for g in generators() if g.name == "rule-catalogue")
    a, b = good.index(gen.start) + len(gen.start), good.index(gen.end)
    catalogue.write_text(good[:a] + "\n| `made_up_rule` | typed by hand |\n" + good[b:])
    assert stale(copy) == ["docs/rules.md"]
    assert write(copy) == ["docs/rules.md"]
    assert catalogue.read_text() == good and stale(copy) == []


def test_a_document_without_its_markers_is_a_clear_error(sources, tmp_path):
    gen = Generator("nowhere", "docs/none.md", lambda s: "x")
    with pytest.raises(PackError, match="docs/none.md: no generated block markers"):
        gen.apply("# no markers\n", sources, "docs/none.md")


def test_docs_end_to_end(cli, tmp_path):
    # A pack of a few rules, so the command's coverage model is quick to compute: the full
    # pack's documents are stale for it until `t1114 docs` rewrites them.
    for name in ("config", "docs"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for name in ("sigma/google_workspace", "fixtures/google_workspace"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "fixtures" / "tuning.yml", tmp_path / "fixtures" / "tuning.yml")
    stale_check = cli("docs", "--check", cwd=tmp_path)
    assert stale_check.returncode == 1
    assert "docs/rules.md: generated blocks out of date (run: t1114 docs)" in stale_check.stderr
    written = cli("docs", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert "docs/rules.md" in written.stderr and "docs/coverage.md" in written.stderr
    rules = len(list((ROOT / "sigma" / "google_workspace").glob("*.yml")))
    assert f"{rules} rules." in (tmp_path / "docs" / "rules.md").read_text()
    assert cli("docs", "--check", cwd=tmp_path).returncode == 0


def test_the_catalogue_lists_every_rule_with_its_own_techniques(pack):
    text = (ROOT / "docs" / "rules.md").read_text()
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(r"^\| `(\w+)` \|(?:[^|]*\|){2}([^|]*)\|", text, re.M)
    }
    assert set(rows) == {r.name for r in pack.rules}
    for rule in pack.rules:
        tagged = sorted(
            t[len("attack.") :].upper()
            for t in rule.tags
            if re.fullmatch(r"attack\.t\d{4}(\.\d{3})?", t)
        )
        assert rows[rule.name].strip() == ", ".join(tagged) == ", ".join(rules.techniques(rule)), (
            rule.name
        )


def _bench(rate=300_000, ratio=25.0, peak=120.0, events=10_000_000):
    row = {
        "events": events,
        "scan": {"events_per_second": rate, "peak_rss_mb": peak, "hits": 3, "evaluated_share": 0.5},
        "baseline": {"events_per_second": 1000, "peak_rss_mb": 900.0, "hits": 3},
        "ratio": ratio,
    }
    run = {
        "date": "d",
        "jobs": 2,
        "peak_memory": "process_tree",
        "target": "native",
        "seed": 1,
        "rules": 59,
        "machine": {
            "platform": "p",
            "python": "3",
            "cores": 2,
            "load_average_at_start": [1.0, 2.0, 3.0],
        },
        "corpora": {"realistic": row, "worst_case": row},
        "scales": [{"corpus": "realistic", **row}],
        "compile": {
            "pack_rules": 59,
            "pack_seconds": 1.5,
            "generated_rules": 1000,
            "with_generated_seconds": 9.5,
        },
    }
    return {"recorded": {"date": "d", "command": "c"}, "run": run}


def test_the_performance_page_states_the_recorded_figures_and_the_goals(pack):
    source = Sources(pack)
    source.__dict__["bench"] = _bench()
    page = performance.render(source)
    assert page.startswith(
        "Recorded d with `c` on p, Python 3, 2 cores, load average at start 1.0, 2.0, 3.0"
    )
    assert (
        "| realistic | 10,000,000 | 300,000 | 120 | 3 | 50.0% | 1,000 | 900 | 3 | 25.0× |" in page
    )
    assert (
        "300,000 events/s against a goal of 250,000 (met); 25.0× the baseline against 20× (met)"
        in page
    )
    assert "With 1,000 generated rules added: 9.5 s" in page
    source.__dict__["bench"] = _bench(rate=1000, ratio=1.5, peak=250.0, events=1_000_000)
    slow = performance.render(source)
    assert "1,000 events/s against a goal of 250,000 (**not met**)" in slow
    assert (
        "(workers included) at 1,000,000 events: 250 MB; the limit is 200 MB at 10,000,000 events (not measured"
        in slow
    )
    assert "at 10,000,000 events: 120 MB; the limit is 200 MB at 10,000,000 events (met)" in page


def test_the_readme_is_short_and_its_links_resolve():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200
    links = re.findall(r"\]\(([^)#]+)[^)]*\)", text)
    assert {"docs/rules.md", "docs/coverage.md", "docs/commands.md", "docs/performance.md"} <= set(
        links
    )
    for link in links:
        assert (ROOT / link).is_file(), link
    for doc in (ROOT / "docs").glob("*.md"):
        for link in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text()):
            assert (doc.parent / link).exists(), f"{doc.name}: {link}"
