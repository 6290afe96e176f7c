"""The event table the Spark path evaluates: one row per event, in ``scan``'s field model.

Columns: ``t1114_file`` and ``t1114_event_index`` (where the event came from, as ``scan``
reports it), ``t1114_timestamp`` (``engine.timestamp_of``'s text), ``t1114_ms`` (that moment
in epoch milliseconds, for correlation windows), and one ``ARRAY<STRING>`` column per field,
named by the field's lower-cased name: the values ``scan`` stores (``engine._cell``) split at
the multivalue separator (``engine._values``), NULL when the event lacks the field.

Two kinds of input:

* event files (JSON Lines, JSON, .gz, .evtx, audit logs): read by Spark's Python workers with
  ``scan``'s own readers and flattening (``t1114.inputs``, ``t1114.events``), one task per
  file, so an event has the same fields, ``file`` and ``event_index`` as in ``scan``. As in
  ``scan``, the literal prefilter (``t1114.prefilter``) first skips the events whose JSON text
  no rule can match, unflattened; the time range and host/user filters are applied in the
  reader, before a row is made. Each file ends with a trailer row (``t1114_read`` and
  ``t1114_kept`` set, no field) carrying its counts: events read, events kept;
* Parquet files or a registered table (``table:NAME``): read by Spark itself. Columns are
  matched to fields case-insensitively, a flat column named with dots first, then a path
  through nested structs; scalars become one-value arrays. A table written by
  ``t1114 hunt --events-out`` holds the provenance and timestamp columns; another table gets
  its file from Spark and its index by read order. The time range is a filter on
  ``t1114_timestamp``, which Parquet pushes down to row groups.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from t1114 import engine
from t1114.prefilter import Prefilter, RulePrefilter

FILE, INDEX, TIMESTAMP, MS = "t1114_file", "t1114_event_index", "t1114_timestamp", "t1114_ms"
# A file's counts, on its trailer row (NULL on event rows): the events read, and those kept.
READ, KEPT = "t1114_read", "t1114_kept"
PROVENANCE = (FILE, INDEX, TIMESTAMP)
TABLE_PREFIX = "table:"
# Fields the host and user filters read, whatever the event's shape (compared case-folded).
HOST_FIELDS = (
    "computer",
    "computername",
    "host",
    "hostname",
    "host.name",
    "dvc",
    "dest",
    "agent.hostname",
)
USER_FIELDS = (
    "user",
    "userid",
    "user.name",
    "username",
    "subjectusername",
    "targetusername",
    "userprincipalname",
    "user.email",
    "actor.email",
    "mailboxowner",
    "mailboxownerupn",
)


@dataclass(frozen=True)
class Filters:
    """What the reader keeps: a time range (ISO text, either end optional) and host/user."""

    since: str | None = None
    until: str | None = None
    host: str | None = None
    user: str | None = None

    def bounds(self) -> tuple[str | None, str | None]:
        return (
            engine.to_iso(self.since) if self.since else None,
            engine.to_iso(self.until) if self.until else None,
        )


def cells(value) -> list[str] | None:
    """A field's values as the engine compares them."""
    text = engine._cell(value)
    return None if text is None else engine._values(text)


def _matches_any(lowered: dict, names: Sequence[str], wanted: str) -> bool:
    wanted = wanted.casefold()
    return any(v.casefold() == wanted for n in names for v in (cells(lowered.get(n)) or ()))


# The prefilter's inputs (``scan.prefilter_rules``): what the driver ships to the workers.
PrefilterSpec = tuple[tuple[RulePrefilter, ...], frozenset]
_PREFILTERS: dict[PrefilterSpec, Prefilter] = {}


def worker_prefilter(spec: PrefilterSpec) -> Prefilter:
    """The spec's ``Prefilter``, built once per Python worker process (a worker runs task after
    task; its Hyperscan databases are compiled once per machine, ``t1114.hyperscan_cache``)."""
    found = _PREFILTERS.get(spec)
    if found is None:
        _PREFILTERS.clear()  # one pack at a time: a worker need not hold old ones
        found = _PREFILTERS[spec] = Prefilter(*spec)
    return found


@dataclass
class Tally:
    """A file's counts in ``scan.ScanStats``' terms: events read, and kept (``evaluated``)."""

    read: int = 0
    kept: int = 0


def file_rows(
    path: str,
    fields: Sequence[str] | None,
    timestamp_fields: Sequence[str],
    filters: Filters,
    prefilter: Prefilter | None = None,
    tally: Tally | None = None,
) -> Iterator[tuple]:
    """The event rows of one event file (run in a Spark Python worker). An event whose JSON
    text the prefilter says no rule can match is skipped before it is flattened, as ``scan``
    skips it: flattening and making cells are most of the reading's cost."""
    from t1114.inputs import read_records

    tally = tally if tally is not None else Tally()
    candidates = prefilter.candidates if prefilter is not None else None
    since, until = filters.bounds()
    for index, record in enumerate(read_records(Path(path))):
        tally.read += 1
        if candidates is not None:
            rules = candidates(record.text)
            if rules is not None and not rules:  # None: text it cannot judge, kept
                continue
        flat = record.fields()
        timestamp = engine.timestamp_of(flat, timestamp_fields)
        if (since and (timestamp is None or timestamp < since)) or (
            until and (timestamp is None or timestamp > until)
        ):
            continue
        lowered = {k.lower(): v for k, v in flat.items()}
        if filters.host and not _matches_any(lowered, HOST_FIELDS, filters.host):
            continue
        if filters.user and not _matches_any(lowered, USER_FIELDS, filters.user):
            continue
        names = lowered if fields is None else fields
        values = {n: c for n in names if (c := cells(lowered.get(n))) is not None}
        tally.kept += 1
        yield (path, index, timestamp, values, None, None)


def counted_file_rows(
    path: str,
    fields: Sequence[str] | None,
    timestamp_fields: Sequence[str],
    filters: Filters,
    spec: PrefilterSpec | None,
) -> Iterator[tuple]:
    """``file_rows`` and, last, the file's trailer row: its counts, which the driver gets
    with the hits (exact, where an accumulator updated here could count a retried task
    twice). The trailer holds no field and is never evaluated."""
    tally = Tally()
    prefilter = worker_prefilter(spec) if spec is not None else None
    yield from file_rows(path, fields, timestamp_fields, filters, prefilter, tally)
    yield (path, -1, None, {}, tally.read, tally.kept)


def _schema():
    from pyspark.sql.types import ArrayType, LongType, MapType, StringType, StructField, StructType

    return StructType(
        [
            StructField(FILE, StringType(), False),
            StructField(INDEX, LongType(), False),
            StructField(TIMESTAMP, StringType(), True),
            StructField(
                "t1114_fields", MapType(StringType(), ArrayType(StringType(), False)), False
            ),
            StructField(READ, LongType(), True),
            StructField(KEPT, LongType(), True),
        ]
    )


def read_files(
    spark,
    paths: Sequence[str],
    fields: Sequence[str] | None,
    timestamp_fields: Sequence[str],
    filters: Filters,
    prefilter: PrefilterSpec | None = None,
):
    """The event table of event files, with a trailer row per file (``READ`` not NULL);
    ``fields`` None keeps every field (for a copy). With ``prefilter``, events it rules out
    are counted but make no row."""
    wanted = None if fields is None else tuple(sorted(fields))
    return _event_table(
        raw_rows(spark, paths, wanted, timestamp_fields, filters, prefilter), wanted
    )


def raw_rows(
    spark,
    paths: Sequence[str],
    wanted: tuple[str, ...] | None,
    timestamp_fields: Sequence[str],
    filters: Filters,
    prefilter: PrefilterSpec | None = None,
):
    """The files' rows as the workers make them: provenance, the fields as one map column,
    and the trailers' counts."""
    timestamp_fields = tuple(timestamp_fields)

    def rows(path):
        return counted_file_rows(path, wanted, timestamp_fields, filters, prefilter)

    # A task per file would start a task for each of thousands of small files; a few per core
    # keep every core busy while big files are still read whole by one task.
    slices = max(1, min(len(paths), spark.sparkContext.defaultParallelism * 4))
    rdd = spark.sparkContext.parallelize(list(paths), slices).flatMap(rows)
    return spark.createDataFrame(rdd, _schema())


def write_copy(spark, paths: Sequence[str], timestamp_fields: Sequence[str], filters: Filters, out):
    """The event files as a Parquet copy at ``out`` (every event and field, in the columns a
    Parquet hunt reads), the files read once.

    The copy's columns are the fields any event has, known only once every event is read; so
    the workers' rows go once, with their fields in one map column, to a staging Parquet beside
    the copy (a hidden ``.NAME.staging-XXXX`` directory, removed whatever happens), and Spark
    alone takes the columns from it (the distinct map keys) and writes the copy."""
    import secrets
    import shutil

    out = Path(out)
    staging = out.parent / f".{out.name}.staging-{secrets.token_hex(6)}"
    try:
        raw_rows(spark, paths, None, timestamp_fields, filters).write.parquet(str(staging))
        staged = spark.read.parquet(str(staging)).filter(f"{READ} IS NULL")
        copy = _event_table(staged, None).drop(MS, READ, KEPT)
        copy.write.mode("overwrite").parquet(str(out))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_files_locally(
    spark,
    paths: Sequence[str],
    fields: Sequence[str] | None,
    timestamp_fields: Sequence[str],
    filters: Filters,
):
    """``read_files``' table with the rows made in the driver: for a handful of events, where
    starting Python workers would cost more than reading them. No trailer rows."""
    timestamp_fields = tuple(timestamp_fields)
    wanted = None if fields is None else tuple(sorted(fields))
    rows = [row for p in paths for row in file_rows(p, wanted, timestamp_fields, filters)]
    return _event_table(spark.createDataFrame(rows, _schema()), wanted)


def _event_table(raw, wanted: tuple[str, ...] | None):
    """The event table of raw rows: one column per field (every field when ``wanted`` is None)."""
    from pyspark.sql import functions as F

    names: list[str] = list(wanted) if wanted is not None else []
    if wanted is None:
        names = sorted(
            r[0] for r in raw.select(F.explode(F.map_keys("t1114_fields"))).distinct().collect()
        )
    columns = [F.expr(f"try_element_at(t1114_fields, {_sql_literal(n)})").alias(n) for n in names]
    return _with_ms(raw.select(FILE, INDEX, TIMESTAMP, READ, KEPT, *columns))


def _sql_literal(text: str) -> str:
    from t1114.spark.backend import literal

    return literal(text)


def _with_ms(df):
    from pyspark.sql import functions as F

    micros = F.expr(f"unix_micros(try_to_timestamp({TIMESTAMP}))")
    return df.withColumn(MS, F.floor((micros + F.lit(500)) / F.lit(1000)).cast("long"))


def read_table(
    spark,
    source: str,
    fields: Sequence[str] | None,
    timestamp_fields: Sequence[str],
    filters: Filters,
):
    """The event table of Parquet files or a registered table, columns matched to fields."""
    from pyspark.sql import functions as F

    if source.startswith(TABLE_PREFIX):
        df = spark.table(source[len(TABLE_PREFIX) :])
    else:
        df = spark.read.parquet(source)
    by_name = {f.name.lower(): f for f in df.schema.fields}
    if FILE in by_name and INDEX in by_name:
        file_col, index_col = F.col(FILE), F.col(INDEX).cast("long")
    else:
        from pyspark.sql.window import Window

        df = df.withColumn(FILE, F.input_file_name()).withColumn(
            "t1114_read_order", F.monotonically_increasing_id()
        )
        file_col = F.col(FILE)
        index_col = F.row_number().over(Window.partitionBy(FILE).orderBy("t1114_read_order")) - 1
    timestamp = (
        F.col(TIMESTAMP) if TIMESTAMP in by_name else _timestamp_expression(df, timestamp_fields)
    )
    names = (
        sorted(fields) if fields is not None else sorted(n for n in by_name if n not in PROVENANCE)
    )
    columns = [_field_expression(df, n).alias(n) for n in names]
    table = df.select(
        file_col.alias(FILE), index_col.alias(INDEX), timestamp.alias(TIMESTAMP), *columns
    )
    since, until = filters.bounds()
    if since:
        table = table.filter(F.col(TIMESTAMP) >= since)
    if until:
        table = table.filter(F.col(TIMESTAMP) <= until)
    if filters.host:
        table = table.filter(_any_equals(df, HOST_FIELDS, filters.host))
    if filters.user:
        table = table.filter(_any_equals(df, USER_FIELDS, filters.user))
    return _with_ms(table)


def _resolve(schema, name: str):
    """(SQL path, Spark type) of a field in a table's schema, or None."""
    from pyspark.sql.types import StructType

    for f in schema.fields:  # a flat column named with dots wins, as in scan's flat names
        if f.name.lower() == name:
            return "`" + f.name.replace("`", "``") + "`", f.dataType
    head, dot, rest = name.partition(".")
    if not dot:
        return None
    for f in schema.fields:
        if f.name.lower() == head and isinstance(f.dataType, StructType):
            inner = _resolve(f.dataType, rest)
            if inner is not None:
                return "`" + f.name.replace("`", "``") + "`." + inner[0], inner[1]
    return None


def _field_sql(df, name: str) -> str:
    """A field as ``ARRAY<STRING>`` (NULL when absent), whatever its type in the table."""
    from pyspark.sql.types import ArrayType, AtomicType

    found = _resolve(df.schema, name)
    if found is None:
        return "CAST(NULL AS ARRAY<STRING>)"
    path, kind = found
    if isinstance(kind, ArrayType) and isinstance(kind.elementType, AtomicType):
        values = f"filter(transform({path}, v -> CAST(v AS STRING)), v -> v IS NOT NULL)"
        return f"CASE WHEN {path} IS NULL OR size({path}) = 0 THEN NULL ELSE {values} END"
    if isinstance(kind, AtomicType):
        return f"CASE WHEN {path} IS NULL THEN NULL ELSE array(CAST({path} AS STRING)) END"
    return f"CASE WHEN {path} IS NULL THEN NULL ELSE array(to_json({path})) END"


def _field_expression(df, name: str):
    from pyspark.sql import functions as F

    return F.expr(_field_sql(df, name))


def _timestamp_expression(df, timestamp_fields: Sequence[str]):
    """``engine.to_iso`` in Spark: ISO text, or epoch seconds or milliseconds."""
    from pyspark.sql import functions as F

    candidates = []
    for name in timestamp_fields:
        found = _resolve(df.schema, name.lower())
        if found is None:
            continue
        text = f"CAST({found[0]} AS STRING)"
        number = f"try_cast({text} AS DOUBLE)"
        moment = (
            f"CASE WHEN {text} RLIKE '^[0-9]+(\\\\.[0-9]+)?$' THEN timestamp_micros(CAST("
            f"(CASE WHEN {number} > 1e11 THEN {number} / 1000 ELSE {number} END) * 1000000 AS BIGINT)) "
            f"ELSE try_to_timestamp({text}) END"
        )
        candidates.append(F.expr(f"date_format({moment}, 'yyyy-MM-dd HH:mm:ss.SSSSSS')"))
    return F.coalesce(*candidates) if candidates else F.lit(None).cast("string")


def _any_equals(df, names: Sequence[str], wanted: str):
    from pyspark.sql import functions as F

    tests = [
        F.expr(f"exists({_field_sql(df, n)}, x -> lower(x) = lower({_sql_literal(wanted)}))")
        for n in names
        if _resolve(df.schema, n) is not None
    ]
    if not tests:
        return F.lit(False)
    result = tests[0]
    for t in tests[1:]:
        result = result | t
    return F.coalesce(result, F.lit(False))
