"""A target is one module: the registry is the only way in, and nothing else names a target."""

from __future__ import annotations

import ast
import json
import shutil
import tokenize
from pathlib import Path

import pytest
from sigma.backends.sqlite import sqliteBackend

from sigma.pipelines.t1114.native import native_pipeline
from t1114 import cli
from t1114.loader import load_pack
from t1114.project import find_project
from t1114.targets import all_targets, get_target, register, shapes, unregister
from t1114.targets.base import Target
from t1114.targets.native import NativeTarget

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools" / "t1114"
RULE = "sigma/m365/m365_inbox_rule_forwarding.yml"
FIXTURE = "fixtures/m365/m365_inbox_rule_forwarding.json"


class ToyTarget(Target):
    """A throw-away platform: native events under a shape of its own, SQL queries, one file of
    artifacts. Defined here and nowhere else."""

    name = "toy"
    shape = "toy"
    description = "throw-away test target"
    timestamp_fields = NativeTarget.timestamp_fields

    def evaluation_pipeline(self, tuning=None):
        return native_pipeline(tuning)

    def backend_for(self, rule, tuning=None):
        return sqliteBackend(processing_pipeline=self.query_pipeline(tuning)), "sqlite", "sql"

    def corpus_event(self, facts, at):
        return NativeTarget().corpus_event(facts, at)

    def package(self, bundle, out):
        out.mkdir(parents=True, exist_ok=True)
        names = [rule.name for rule, _ in bundle.rules_for(self.name)]
        (out / "rules.txt").write_text("\n".join(names) + "\n", encoding="utf-8")


@pytest.fixture
def toy():
    target = register(ToyTarget())
    yield target
    unregister(target.name)


@pytest.fixture
def toy_pack(tmp_path) -> Path:
    """A pack of one rule whose fixture also carries 'toy' events (the native ones)."""
    for name in ("config",):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / RULE).parent.mkdir(parents=True)
    shutil.copy(ROOT / RULE, tmp_path / RULE)
    (tmp_path / "fixtures").mkdir()
    shutil.copy(ROOT / "fixtures" / "tuning.yml", tmp_path / "fixtures" / "tuning.yml")
    fixture = json.loads((ROOT / FIXTURE).read_text(encoding="utf-8"))
    for case in fixture["cases"]:
        # A shape t1114.targets.renderers does not render gets its events as recorded.
        case["recorded"] = {
            "toy": {
                "events": case["events"],
                "why": "the toy target reads native events as recorded",
            }
        }
    (tmp_path / FIXTURE).parent.mkdir(parents=True)
    (tmp_path / FIXTURE).write_text(json.dumps(fixture), encoding="utf-8")
    return tmp_path


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_registered_target_is_known_everywhere(toy):
    assert get_target("toy") is toy
    assert "toy" in all_targets() and "toy" in shapes()
    with pytest.raises(ValueError, match="already defined"):
        register(ToyTarget())


def test_a_throw_away_target_goes_through_every_command(toy, toy_pack, tmp_path, capsys):
    root = ("--root", str(toy_pack))
    code, out, err = _run(capsys, *root, "validate")
    assert code == 0, out + err

    dist = tmp_path / "dist"
    code, _, err = _run(capsys, *root, "build", "--target", "toy", "--out", str(dist))
    assert code == 0, err
    query = (dist / "queries" / "toy" / "m365_inbox_rule_forwarding.sql").read_text()
    assert query.startswith("SELECT") and "New-InboxRule" in query
    assert (dist / "toy" / "rules.txt").read_text() == "m365_inbox_rule_forwarding\n"

    code, out, err = _run(capsys, *root, "test", "--target", "toy", "--format", "json")
    assert code == 0, err
    results = json.loads(out)["results"]
    assert {r["target"] for r in results} == {"toy"} and len(results) == 7
    assert all(r["passed"] for r in results)

    events = tmp_path / "events.jsonl"
    fixture = json.loads((toy_pack / FIXTURE).read_text())
    positives = [
        e for c in fixture["cases"] if c.get("match") for e in c["recorded"]["toy"]["events"]
    ]
    events.write_text("".join(json.dumps(e) + "\n" for e in positives), encoding="utf-8")
    code, out, err = _run(capsys, *root, "scan", "--target", "toy", str(events))
    assert code == 0, err
    hits = [json.loads(line) for line in out.splitlines()]
    rule_id = next(str(r.id) for r in load_pack(find_project(toy_pack)).rules)
    assert len(hits) == len(positives) and {h["rule_id"] for h in hits} == {rule_id}


def test_an_unregistered_target_is_refused_with_the_known_ones(toy_pack, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--root", str(toy_pack), "scan", "--target", "toy", "x.jsonl"])
    assert e.value.code == 2
    assert "invalid choice: 'toy'" in capsys.readouterr().err


# A string that happens to equal a target name but means something else: SigmaHQ's
# taxonomy format names its field lists native/custom/redundant.
_NOT_A_TARGET = {("validator_data.py", "native")}


def _target_names_in(path: Path, names: set[str]) -> list[tuple[int, str]]:
    """(line, literal) of every string literal in a Python file that equals a target name."""
    found = []
    with path.open("rb") as fh:
        for tok in tokenize.tokenize(fh.readline):
            if tok.type != tokenize.STRING:
                continue
            try:
                value = ast.literal_eval(tok.string)
            except (SyntaxError, ValueError):  # an f-string with expressions
                continue
            if value in names:
                found.append((tok.start[0], tok.string))
    return found


def test_no_target_is_named_outside_the_targets_package():
    names = set(all_targets())
    found = [
        f"{path.relative_to(TOOLS)}:{line}: {literal}"
        for path in sorted(TOOLS.rglob("*.py"))
        if path.relative_to(TOOLS).parts[0] != "targets"
        for line, literal in _target_names_in(path, names)
        if (str(path.relative_to(TOOLS)), ast.literal_eval(literal)) not in _NOT_A_TARGET
    ]
    assert found == []


def test_the_check_sees_a_target_name(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('CHOICES = ["native", f"{x}", "splunk_cimx", \'elastic\']\n', encoding="utf-8")
    assert _target_names_in(probe, set(all_targets())) == [(1, '"native"'), (1, "'elastic'")]
