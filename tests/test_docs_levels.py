"""docs/levels.md's generated block: the rules at each level."""

from __future__ import annotations

from t1114.docs import Sources
from t1114.docs.levels import GENERATOR, LEVELS


def test_every_rule_is_listed_under_its_own_level(pack):
    block = GENERATOR.render(Sources(pack))
    rows = {line.split("|")[1].strip(" `"): line for line in block.splitlines()[2:]}
    assert set(rows) == set(LEVELS)
    for rule in pack.rules:
        assert f"`{rule.name}`" in rows[rule.level], rule.name
        assert sum(f"`{rule.name}`" in row for row in rows.values()) == 1
    assert sum(int(row.split("|")[2]) for row in rows.values()) == len(pack.rules)
