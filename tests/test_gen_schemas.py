"""The shipped schema data is what tools/gen_schemas.py makes of the reference material."""

import subprocess
import sys

import pytest

from conftest import ROOT, SHARED

REFERENCE = SHARED / "reference"
SCHEMAS = ROOT / "tools" / "t1114" / "data" / "schemas"


def test_generated_schemas_are_up_to_date(tmp_path):
    if not (REFERENCE / "elastic-integration-fields").is_dir() or not (REFERENCE / "kibana-rule-schema").is_dir():
        pytest.skip(f"reference material not present at {REFERENCE}")
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_schemas.py"), "--reference", str(REFERENCE), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    for name in ("elastic.json", "kibana_rule.schema.json"):
        assert (tmp_path / name).read_bytes() == (SCHEMAS / name).read_bytes(), f"regenerate {name} with tools/gen_schemas.py"
