"""The committed schema data is what tools/gen_schemas.py makes from ../shared/reference."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
COMMITTED = ROOT / "tools" / "t1114" / "data" / "schemas"


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="../shared/reference is not present")
def test_committed_schemas_match_the_generator(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "gen_schemas.py"),
            "--reference",
            str(REFERENCE),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for name in ("elastic.json", "kibana_rule.schema.json"):
        assert (tmp_path / name).read_bytes() == (COMMITTED / name).read_bytes(), (
            f"{name} is stale: rerun tools/gen_schemas.py"
        )


def test_generator_reports_a_missing_reference_cleanly(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "gen_schemas.py"),
            "--reference",
            str(tmp_path / "nope"),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "nope" in result.stderr
