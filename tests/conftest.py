"""Shared test fixtures: the real pack, and throw-away copies of it to break on purpose."""

from __future__ import annotations

import fcntl
import io
import os
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from t1114.attack import use_offline_attack_data
from t1114.loader import load_pack
from t1114.project import Project

ROOT = Path(__file__).resolve().parents[1]
# The read-only reference material beside the checkout; T1114_SHARED points elsewhere (a
# worktree whose parent has none).
SHARED = Path(os.environ.get("T1114_SHARED", ROOT.parent / "shared"))


@pytest.fixture(scope="session", autouse=True)
def offline_attack():
    use_offline_attack_data()


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Compiled prefilter databases (t1114.hyperscan_cache) kept for the session only, out of
    the user's cache; the CLI's subprocesses inherit the variable."""
    previous = os.environ.get("T1114_CACHE_DIR")
    os.environ["T1114_CACHE_DIR"] = str(tmp_path_factory.mktemp("t1114-cache"))
    yield
    if previous is None:
        os.environ.pop("T1114_CACHE_DIR", None)
    else:
        os.environ["T1114_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


@pytest.fixture(scope="session")
def pack(project):
    return load_pack(project)


@pytest.fixture
def pack_copy(tmp_path) -> Path:
    """A copy of the pack's inputs in a temporary directory, safe to break."""
    for name in ("sigma", "fixtures", "config", "procedures"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The installed command, as users run it, in a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "t1114", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def run_main(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The command line's ``main`` in this process, answering as ``run_cli`` does: the exit
    code and what it wrote. A process per call would import the tool and warm its query
    parsers (seconds each) every time; ``run_cli`` keeps the console entry point tested."""
    from t1114.cli import main

    out, err = (io.TextIOWrapper(io.BytesIO(), encoding="utf-8") for _ in range(2))
    here = os.getcwd()
    os.chdir(cwd or ROOT)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as e:  # argparse's usage errors
                code = e.code if isinstance(e.code, int) else 2
    finally:
        os.chdir(here)
    streams = []
    for stream in (out, err):
        stream.flush()
        streams.append(stream.buffer.getvalue().decode("utf-8"))  # type: ignore[attr-defined]
    return subprocess.CompletedProcess(["t1114", *args], code, *streams)


@pytest.fixture
def cli():
    return run_main


@pytest.fixture(scope="session")
def dist(pack, tmp_path_factory, worker_id) -> Path:
    """The pack built once per test run, as ``t1114 build`` writes it: under pytest-xdist the
    first worker builds into the run's shared directory and the others wait for it."""
    from t1114.build import build
    from t1114.targets import build_targets

    if worker_id == "master":  # not distributed
        out = tmp_path_factory.mktemp("build") / "dist"
        build(pack, list(build_targets().values()), out)
        return out
    shared = tmp_path_factory.getbasetemp().parent  # one directory for the whole run
    out = shared / "dist"
    with open(shared / "dist.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "manifest.json").is_file():
            build(pack, list(build_targets().values()), out)
    return out


@pytest.fixture(scope="session")
def compiled(pack):
    """rule name -> target -> CompiledQuery, for every build target."""
    from t1114.build import compile_queries
    from t1114.targets import build_targets

    found: dict = {}
    for q in compile_queries(pack, build_targets().values()):
        found.setdefault(q.rule_name, {})[q.target] = q
    return found


# Tests that read the one run of every fixture case on every target (``fixture_report``) share
# a worker, so it is made once.
fixture_report_test = pytest.mark.xdist_group("fixture_report")


@pytest.fixture(scope="session")
def fixture_report(pack):
    """Every fixture case on every target, with the query-level check: `t1114 test`'s report."""
    from t1114.fixtures import load_fixtures
    from t1114.targets import all_targets
    from t1114.testing import run_tests

    return run_tests(pack, load_fixtures(pack), all_targets().values())


# --- Spark (t1114 hunt): one SparkSession, hence one JVM, per test run ------------------------
# Spark tests carry `spark_test` (marks.py-style list below): skipped with the reason when
# pyspark cannot be imported, and grouped on one pytest-xdist worker.


def _spark_unavailable() -> str | None:
    from t1114.spark.session import available

    return available()


spark_test = [
    pytest.mark.skipif(
        _spark_unavailable() is not None, reason=f"Spark tests need pyspark: {_spark_unavailable()}"
    ),
    pytest.mark.xdist_group("spark"),
]


# The tests' data is a few thousand events: one core (the other xdist worker has the other), one
# shuffle partition, no adaptive re-planning, and expressions interpreted rather than compiled
# (compiling the pack's wide plans costs seconds a query; they then run over few rows). The
# JVM lives for a minute of short jobs: its quick compiler only and one garbage collector
# thread (the optimising compiler's threads cost it more CPU than they give back).
SPARK_TEST_CONF = {
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}


@pytest.fixture(scope="session")
def spark():
    from t1114.spark.session import get_session

    return get_session("local[1]", conf=SPARK_TEST_CONF)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """--dist loadgroup under pytest 9: pytest-xdist 3.8 tags a grouped test by rewriting
    ``item._nodeid``, which pytest 9 no longer reads (the id lives in ``item._id``), so every
    group was spread over both workers (two JVMs for the Spark tests). Tag it where pytest reads it."""
    if not hasattr(config, "workerinput") or not config.getvalue("loadgroup"):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        groups = sorted(
            {
                str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                for m in item.iter_markers("xdist_group")
            }
        )
        suffix = "@" + "_".join(groups)
        if groups and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)
