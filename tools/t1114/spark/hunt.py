"""``t1114 hunt``: the pack over events where they are kept, on Apache Spark.

The rules a target applies are converted once (``t1114.spark.backend``) through the target's
evaluation pipeline, as ``scan`` compiles them. The event table (``t1114.spark.tables``) is
read in one pass that computes every rule's verdict per event; the events some rule matched
are kept (they are few) for the hit records and the correlations
(``t1114.spark.correlations``). Hits are ``scan``'s records (``scan.hit_record``) in
``scan``'s order: file by file, each file's by event, rule and contributing events.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sigma.correlations import SigmaCorrelationRule

from t1114.engine import Hit
from t1114.engine import to_iso as engine_to_iso
from t1114.errors import PackError
from t1114.inputs import event_files
from t1114.loader import Pack
from t1114.scan import compile_pack, hit_record, prefilter_rules
from t1114.spark import correlations, tables
from t1114.spark.backend import ConvertedRule, convert
from t1114.spark.regex import RegexNotTranslatable
from t1114.spark.tables import FILE, INDEX, KEPT, MS, READ, TABLE_PREFIX, Filters
from t1114.targets import Target, applicable_rules


@dataclass
class HuntStats:
    """Counts in ``scan.ScanStats``'s terms, so ``scan_output.write_summary`` prints them."""

    files: int = 0
    events: int = 0
    evaluated: int = 0
    hits: int = 0
    by_rule: dict = field(default_factory=dict)


class CompiledPack:
    """The pack converted for one target: event rules' conditions and correlation plans."""

    def __init__(self, pack: Pack, target: Target):
        collection = pack.collection(applicable_rules(target, pack))
        try:
            converted = convert(collection, target.evaluation_pipeline(pack.tuning))
        except RegexNotTranslatable as e:
            raise PackError(None, _first_line(e)) from None
        self.target = target
        self.event_rules: list[ConvertedRule] = [c for c in converted if c.condition is not None]
        self.flag_of = {str(c.rule.id): f"t1114_r{i}" for i, c in enumerate(self.event_rules)}
        try:
            self.correlations = [
                correlations.plan(c.rule)
                for c in converted
                if isinstance(c.rule, SigmaCorrelationRule)
            ]
        except correlations.CorrelationNotSupported as e:
            raise PackError(None, str(e)) from None
        self._pack = pack
        self._prefilter: tables.PrefilterSpec | None = None

    def prefilter(self) -> tables.PrefilterSpec:
        """``scan``'s prefilter inputs for the same rules (``scan.prefilter_rules``): the
        reader skips what ``scan`` skips. Made on first use (the SQLite compilation it needs
        takes seconds), for event files only."""
        if self._prefilter is None:
            specs, poor_anchors = prefilter_rules(compile_pack(self._pack, self.target))
            self._prefilter = (tuple(specs), poor_anchors)
        return self._prefilter

    def fields(self) -> set[str]:
        names = set().union(*(c.fields for c in self.event_rules)) if self.event_rules else set()
        for plan in self.correlations:
            names |= plan.fields()
        return names

    def check_regexes(self, spark) -> None:
        """Refuse, before reading anything, a translated pattern Java's engine rejects."""
        from py4j.protocol import Py4JJavaError  # type: ignore[import-untyped]

        compile_ = spark.sparkContext._jvm.java.util.regex.Pattern.compile
        for rule in self.event_rules:
            for pattern in re.findall(r"RLIKE '((?:[^'\\]|\\.)*)'", rule.condition or ""):
                text = pattern.replace("\\'", "'").replace("\\\\", "\\")
                try:
                    compile_(text)
                except Py4JJavaError as e:
                    where = rule.rule.source.path if rule.rule.source else rule.rule.title
                    detail = str(e.java_exception.getMessage()).splitlines()[0]
                    raise PackError(
                        where, f"regular expression not valid in Java: {detail}"
                    ) from None


def event_table(
    spark,
    compiled: CompiledPack,
    sources: Sequence[str],
    filters: Filters,
    every_field: bool = False,
):
    """The event table of the sources: event files and directories, or one Parquet source
    (a ``.parquet`` file or directory) or ``table:NAME``. Event files are prefiltered unless
    ``every_field`` (a copy holds every event)."""
    fields = None if every_field else sorted(compiled.fields())
    timestamp_fields = compiled.target.timestamp_fields
    if is_table_source(sources):
        return tables.read_table(spark, sources[0], fields, timestamp_fields, filters), []
    files = files_of(sources)
    spec = None if every_field else compiled.prefilter()
    return tables.read_files(spark, files, fields, timestamp_fields, filters, spec), files


def is_table_source(sources: Sequence[str]) -> bool:
    """Whether the sources are one Parquet source or table (else event files)."""
    if len(sources) == 1 and _is_table(sources[0]):
        return True
    if any(_is_table(s) for s in sources):
        raise PackError(None, "give either event files or one Parquet source or table, not both")
    return False


def files_of(sources: Sequence[str]) -> list[str]:
    """The event files of files and directories, each checked readable."""
    files = [str(p) for p in event_files(sources)]
    if not files:
        raise PackError(None, "no event files found")
    for path in files:
        _check_readable(path)
    return files


def hunt_through_copy(
    spark, compiled: CompiledPack, sources: Sequence[str], filters: Filters, events_out: Path
) -> tuple[list[dict], HuntStats, list[str]]:
    """``hunt --events-out`` over event files: the files read once, into the Parquet copy
    (``tables.write_copy``), and the rules run over the copy, which gives the files' hits
    (it keeps their names and positions). The counts are the copy's events."""
    files = files_of(sources)
    timestamp_fields = compiled.target.timestamp_fields
    try:
        tables.write_copy(spark, files, timestamp_fields, filters, events_out)
    except PackError:
        raise
    except Exception as e:
        raise _spark_error(e) from None
    # The filters made the copy: reading it needs none.
    fields = sorted(compiled.fields())
    table = tables.read_table(spark, str(events_out), fields, timestamp_fields, Filters())
    records, stats = hunt(spark, compiled, table, files)
    return records, stats, files


def _is_table(source: str) -> bool:
    if source.startswith(TABLE_PREFIX):
        return True
    path = Path(source)
    if path.is_dir():
        return any(path.glob("*.parquet")) or any(path.rglob("*.parquet"))
    return path.name.endswith(".parquet")


def _check_readable(path: str) -> None:
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as e:
        raise PackError(path, f"cannot read file: {e.strerror or e}") from None


def hunt(
    spark, compiled: CompiledPack, table, file_order: Sequence[str] = ()
) -> tuple[list[dict], HuntStats]:
    """Every hit of the pack in the event table, in ``scan``'s order, and the counts."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    stats = HuntStats()
    # Event files' tables end each file with a trailer row of counts: it comes to the driver
    # with the matched events, and no rule is evaluated over it.
    trailers = READ in table.columns
    guard = f"{READ} IS NULL AND " if trailers else ""
    flags = [
        F.expr(f"{guard}coalesce(({c.condition}), false)").alias(compiled.flag_of[str(c.rule.id)])
        for c in compiled.event_rules
    ]
    kept = sorted(compiled.fields() - {FILE, INDEX, MS})
    counts = [F.col(READ), F.col(KEPT)] if trailers else []
    observation = Observation("t1114_hunt")
    observed = table if trailers else table.observe(observation, F.count(F.lit(1)).alias("events"))
    flagged = observed.select(
        F.col(FILE), F.col(INDEX), F.col(MS), *counts, *[F.col(f"`{n}`") for n in kept], *flags
    )
    names = list(compiled.flag_of.values()) + ([f"{READ} IS NOT NULL"] if trailers else [])
    flagged = flagged.filter(" OR ".join(names) if names else "false")
    try:
        # The events some rule matched are few: one pass brings them to the driver, and the
        # correlations run over a local copy of them (Spark plans over a local relation
        # take a fraction of the time of plans over a cached scan, measured).
        rows = flagged.collect()
        if trailers:
            counted = [r for r in rows if r[READ] is not None]
            rows = [r for r in rows if r[READ] is None]
            stats.events = sum(r[READ] for r in counted)
            stats.evaluated = sum(r[KEPT] for r in counted)
        else:
            stats.events = stats.evaluated = int(observation.get.get("events", 0))
        found: list[tuple[str, Hit]] = []
        for c in compiled.event_rules:
            if not c.output:
                continue
            flag = compiled.flag_of[str(c.rule.id)]
            level = c.rule.level.name.lower() if c.rule.level else ""
            found.extend(
                (r[FILE], Hit(str(c.rule.id), c.rule.title, level, (r[INDEX],)))
                for r in rows
                if r[flag]
            )
        if compiled.correlations and rows:
            local = spark.createDataFrame(rows, flagged.schema)
            found.extend(correlations.run_all(local, compiled.correlations, compiled.flag_of))
    except PackError:
        raise
    except Exception as e:
        raise _spark_error(e) from None
    order = {f: i for i, f in enumerate(file_order)}
    # hit_record only prints the path: a Spark file URI must stay as Spark wrote it.
    records = [hit_record(hit, path) for path, hit in found]  # type: ignore[arg-type]
    records.sort(
        key=lambda r: (
            order.get(r["file"], len(order)),
            r["file"],
            r["event_index"],
            r["rule_id"],
            r["event_indices"],
            json.dumps(r["group"], sort_keys=True),
        )
    )
    for r in records:
        stats.by_rule[r["rule_id"]] = stats.by_rule.get(r["rule_id"], 0) + 1
    stats.hits = len(records)
    return records, stats


def _spark_error(e: Exception) -> Exception:
    """A reader's PackError raised in a Spark worker, back as itself; other failures as one line."""
    text = str(e)
    found = re.search(r"t1114\.errors\.PackError: (.+)", text)
    if found:
        return PackError(None, found.group(1).strip())
    if isinstance(e, PackError):
        return e
    return PackError(None, f"Spark failed: {_first_line(e)}")


def _first_line(e: Exception) -> str:
    lines = [line for line in str(e).splitlines() if line.strip()]
    return lines[0] if lines else type(e).__name__


# --- output ------------------------------------------------------------------------------------


def write_parquet(spark, records: list[dict], out: Path) -> None:
    """Hit records as a Parquet directory (one file), the JSON Lines record's columns."""
    from pyspark.sql.types import ArrayType, LongType, MapType, StringType, StructField, StructType

    schema = StructType(
        [
            StructField("rule_id", StringType(), False),
            StructField("rule_title", StringType(), False),
            StructField("level", StringType(), False),
            StructField("file", StringType(), False),
            StructField("event_index", LongType(), False),
            StructField("event_indices", ArrayType(LongType(), False), False),
            StructField("group", MapType(StringType(), StringType()), False),
        ]
    )
    rows = [
        (
            r["rule_id"],
            r["rule_title"],
            r["level"],
            r["file"],
            r["event_index"],
            r["event_indices"],
            {k: None if v is None else str(v) for k, v in r["group"].items()},
        )
        for r in records
    ]
    spark.createDataFrame(rows, schema).coalesce(1).write.mode("overwrite").parquet(str(out))


def write_events(table, out: Path) -> None:
    """The event table of a Parquet source or table as Parquet (same hits); event files are
    copied by ``hunt_through_copy``."""
    table.drop(MS).write.mode("overwrite").parquet(str(out))


# --- the command --------------------------------------------------------------------------------


def run_command(
    pack: Pack,
    target_name: str,
    sources: Sequence[str],
    filters: Filters,
    *,
    fmt: str = "jsonl",
    out: str | None = None,
    events_out: str | None = None,
    master: str | None = None,
    conf: Sequence[str] = (),
    summary: bool = False,
) -> int:
    """``t1114 hunt``: hits to stdout or ``out``; bad input raises PackError before any output."""
    from t1114.scan_output import write_hits, write_summary
    from t1114.spark.session import get_session, parse_conf
    from t1114.targets import get_target

    target = get_target(target_name)
    if fmt == "parquet" and not out:
        raise PackError(None, "--format parquet needs --out DIR")
    for moment in (filters.since, filters.until):
        if moment and engine_to_iso(moment) is None:
            raise PackError(None, f"not a time: '{moment}' (ISO 8601 expected)")
    compiled = CompiledPack(pack, target)
    settings = parse_conf(conf)
    # Spark's own progress bar, on a terminal only.
    settings.setdefault(
        "spark.ui.showConsoleProgress", "true" if _terminal(sys.stderr) else "false"
    )
    spark = get_session(master, settings)
    compiled.check_regexes(spark)
    from_table = is_table_source(sources)
    if events_out and not from_table:
        # Read once, into the copy, and hunted there: the same hits as hunting the files.
        records, stats, files = hunt_through_copy(
            spark, compiled, sources, filters, Path(events_out)
        )
    else:
        table, files = event_table(spark, compiled, sources, filters)
        records, stats = hunt(spark, compiled, table, files)
    stats.files = len(files)
    if events_out and from_table:  # a table's copy: read again, with every column
        try:
            whole, _ = event_table(spark, compiled, sources, filters, every_field=True)
            write_events(whole, Path(events_out))
        except PackError:
            raise
        except Exception as e:
            raise _spark_error(e) from None
    if fmt == "parquet":
        write_parquet(spark, records, Path(str(out)))
    elif out:
        with open(out, "w", encoding="utf-8") as fh:
            write_hits(records, fh)
    else:
        write_hits(records, sys.stdout)
        sys.stdout.flush()
    if summary:
        write_summary(pack, stats, sys.stderr)  # type: ignore[arg-type]  # ScanStats' fields
    print(f"{stats.hits} hits in {stats.events} events", file=sys.stderr)
    return 0


def _terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
