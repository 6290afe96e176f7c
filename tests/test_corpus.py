"""Synthetic corpora and generated rules: reproducible, realistic enough to exercise every rule."""

from __future__ import annotations

import json

from t1114.corpus import Corpus, Mix, generated_rules, write_jsonl
from t1114.loader import load_pack
from t1114.project import Project
from t1114.scan import scan
from t1114.targets import all_targets, applicable_rules


def test_same_seed_same_corpus(pack):
    first = list(Corpus(pack, "splunk", seed=5).events(300))
    assert first == list(Corpus(pack, "splunk", seed=5).events(300))
    assert first != list(Corpus(pack, "splunk", seed=6).events(300))
    assert len(first) == 300


def test_planted_attacks_fire_the_rules_on_every_shape(pack, tmp_path):
    for name, target in all_targets().items():
        corpus = Corpus(pack, target.shape, seed=2, mix=Mix(attack=0.05))
        path = tmp_path / f"{name}.jsonl.gz"
        write_jsonl(path, corpus.events(1500))
        fired = {h["rule_id"] for h in scan(pack, target, [path])}
        applicable = {r.id for r in applicable_rules(target, pack)}
        assert fired <= applicable and len(fired) >= len(applicable) // 2, name
        assert corpus.planted > 10


def test_fixture_events_move_to_the_corpus_clock_with_fresh_users(pack):
    corpus = Corpus(pack, "native", seed=9, mix=Mix(attack=1.0, near_miss=0.0))
    text = json.dumps(list(corpus.events(40)))
    assert "2026-11-20" not in text  # the fixtures' own dates are gone
    assert "2026-01-01" in text
    assert "victim" in text.lower() and "alice@" not in text.lower()


def test_generated_rules_load_as_a_pack(tmp_path):
    (tmp_path / "sigma").mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    rules = list(generated_rules(120, seed=3))
    for name, text in rules:
        (tmp_path / "sigma" / f"{name}.yml").write_text(text)
    pack = load_pack(Project(tmp_path))
    assert len(pack.rules) == 120
    assert any(r.is_correlation for r in pack.rules)
    assert list(generated_rules(120, seed=3)) == rules
