"""``t1114 build``: compile every rule for every build target and write ``dist/``.

``dist/`` holds the per-rule queries (``queries/<target>/<rule>.<ext>``, one diff per rule in a
pull request; a rule with several queries, such as an any-order correlation on Elastic, has one
file per query, ``<rule>.<n>.<ext>``, so that every file can be pasted as it is), each target's import-ready artifacts (``<target>/``, written by the target),
the coverage matrix (``coverage/``) and ``manifest.json``. Output is staged and swapped in
only when complete, so a failed build leaves the previous ``dist/`` untouched and never a
partial one. Nothing time- or machine-dependent is written: the same input gives
byte-identical output.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from t1114.attack import use_offline_attack_data
from t1114.compiled import CompiledQuery
from t1114.errors import PackError, PackErrors
from t1114.fixtures import FixtureFile, load_fixtures
from t1114.loader import Pack
from t1114.output import write_atomically, write_text
from t1114.package import Bundle, coverage, metadata, project_info
from t1114.targets import Target, all_targets
from t1114.testing import run_tests
from t1114.verify import check_syntax


def compile_queries(pack: Pack, targets: Iterable[Target]) -> list[CompiledQuery]:
    """Every rule compiled for every target; each query must parse in its own language."""
    use_offline_attack_data()
    compiled, errors = [], []
    for target in targets:
        for rule in pack.rules:
            path = pack.project.relative(rule.path)
            try:
                query = target.compile_rule(
                    pack.collection([rule]), rule.id, path, tuning=pack.tuning
                )
                if query is not None:
                    check_syntax(query, path)
            except PackError as e:
                errors.append(e)
                continue
            if query is not None:
                compiled.append(query)
    if errors:
        raise PackErrors(errors)
    return compiled


def manifest(pack: Pack, compiled: list[CompiledQuery], version: str) -> dict:
    rules = []
    for rule in pack.rules:
        rules.append(
            {
                "id": rule.id,
                "name": rule.name,
                "title": rule.title,
                "level": rule.level,
                "analytic": rule.analytic,
                "detection_strategy": rule.detection_strategy,
                "tags": rule.tags,
                "source": pack.project.relative(rule.path),
                "queries": {
                    q.target: [path for path, _ in query_files(q)]
                    for q in compiled
                    if q.rule_id == rule.id
                },
            }
        )
    return {"pack": "t1114", "version": version, "rules": rules}


def query_files(q: CompiledQuery) -> list[tuple[str, str]]:
    """(path under dist/, text) of each query of a compiled rule: one query per file."""
    found = metadata.variants(q)
    if len(found) == 1:
        return [(f"queries/{q.target}/{q.rule_name}.{q.extension}", found[0].text + "\n")]
    return [
        (f"queries/{q.target}/{q.rule_name}.{v.index}.{q.extension}", v.text + "\n") for v in found
    ]


def write_queries(staging: Path, compiled: list[CompiledQuery]) -> None:
    for q in compiled:
        for path, text in query_files(q):
            write_text(staging / path, text)


def fixture_results(pack: Pack, fixtures: list[FixtureFile] | None = None) -> list[dict]:
    """Every fixture verdict on every target, for the coverage matrix."""
    fixtures = load_fixtures(pack) if fixtures is None else fixtures
    report = run_tests(pack, fixtures, all_targets().values(), queries=False)
    return [asdict(r) for r in report.results]


def pack_coverage(pack: Pack, targets: Iterable[Target]) -> dict:
    """The coverage model of the pack as ``build`` would write it."""
    meta = manifest(pack, compile_queries(pack, targets), project_info(pack.project).version)
    return coverage.model(meta, fixture_results(pack))


def build(pack: Pack, targets: list[Target], out: Path) -> list[CompiledQuery]:
    # Fixtures first: a broken one is reported before the (slower) compilation.
    fixtures = load_fixtures(pack)
    compiled = compile_queries(pack, targets)
    info = project_info(pack.project)
    bundle = Bundle(pack, tuple(compiled), info)
    meta = manifest(pack, compiled, info.version)
    cov = coverage.model(meta, fixture_results(pack, fixtures))

    def write(staging: Path) -> None:
        write_queries(staging, compiled)
        for target in targets:
            target.package(bundle, staging / target.name)
        coverage.write(cov, staging / "coverage")
        write_text(staging / "manifest.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")

    write_atomically(out, write)
    return compiled
