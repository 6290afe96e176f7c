"""docs/procedures.md's generated block: every catalogued procedure, with measured proof."""

from __future__ import annotations

import pytest

from t1114 import procedures
from t1114.docs import Sources
from t1114.docs.procedures import GENERATOR


@pytest.fixture(scope="module")
def block(pack) -> str:
    return GENERATOR.render(Sources(pack))


def test_every_procedure_is_listed_once_with_its_proof(pack, block):
    catalogue = procedures.load_checked(pack)
    rows = {p.id: [line for line in block.splitlines() if f"(`{p.id}`)" in line] for p in catalogue}
    assert all(len(found) == 1 for found in rows.values()), [
        i for i, f in rows.items() if len(f) != 1
    ]
    for p in catalogue:
        proven_on = rows[p.id][0].rsplit("|", 2)[-2].strip()
        # t1114 test passes, so every caught procedure is proven natively; a reason proves nothing.
        assert ("native" in proven_on) if p.covered else proven_on == "-", p.id


def test_platform_counts_add_up(pack, block):
    catalogue = procedures.load_checked(pack)
    windows = next(line for line in block.splitlines() if line.startswith("| windows |"))
    cells = [c.strip() for c in windows.strip("|").split("|")]
    assert int(cells[1]) == sum(1 for p in catalogue if "windows" in p.platforms)
    assert all(int(c) <= int(cells[1]) for c in cells[2:])
