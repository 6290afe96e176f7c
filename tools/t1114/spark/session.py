"""The SparkSession the Spark path runs in.

Local mode by default, on this machine only: the driver binds to loopback and the web UI is
off, so nothing listens beyond 127.0.0.1. ``master`` and Spark configuration pairs (``--conf
key=value``) point it at a cluster instead. Times are UTC, as ``scan``'s timestamps are.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from t1114.errors import PackError

LOCAL_MASTER = "local[*]"
_LOCAL = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    # The event table is narrow and a single machine has few cores: few shuffle partitions.
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.ansi.enabled": "true",
}


def available() -> str | None:
    """None when pyspark can be used, else why not."""
    try:
        import pyspark  # noqa: F401
    except ImportError as e:
        return f"pyspark is not installed ({e})"
    return None


def parse_conf(pairs: Iterable[str]) -> dict[str, str]:
    conf = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key.strip():
            raise PackError(None, f"--conf takes key=value, not '{pair}'")
        conf[key.strip()] = value
    return conf


def get_session(
    master: str | None = None, conf: dict[str, str] | None = None, app: str = "t1114 hunt"
):
    """A session (the running one when there is one: a JVM starts once per process)."""
    reason = available()
    if reason:
        raise PackError(None, f"t1114 hunt needs Spark: {reason}; install pyspark==4.3.0")
    from pyspark.sql import SparkSession

    # Spark's configuration directory, unless the user has one: the pack's logs errors only.
    os.environ.setdefault("SPARK_CONF_DIR", str(Path(__file__).with_name("conf")))
    # Workers run this interpreter, where t1114 is installed.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app).master(master or LOCAL_MASTER)
    settings = (
        dict(_LOCAL)
        if not master or master.startswith("local")
        else {"spark.sql.session.timeZone": "UTC"}
    )
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as e:  # the JVM did not start: no Java, bad master or configuration
        raise PackError(
            None,
            f"cannot start Spark ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else e})",
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    return session
