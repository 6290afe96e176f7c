"""The ``t1114`` command: argument parsing only; the work is done by the library modules."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from t1114 import __version__
from t1114.errors import PackError, PackErrors


def _project(args):
    from t1114.project import find_project

    return find_project(args.root)


def _pack(args, paths=None):
    from t1114.attack import use_offline_attack_data
    from t1114.loader import load_pack

    use_offline_attack_data()
    return load_pack(_project(args), paths)


def cmd_validate(args) -> int:
    from t1114.validate import validate

    # The whole pack is always loaded (correlations need the rules they reference); PATHs
    # only narrow which findings are reported.
    pack = _pack(args)
    findings = validate(pack)
    if args.paths:
        wanted = [pack.project.relative(Path(p)) for p in args.paths]
        findings = [
            f
            for f in findings
            if any(f.path == w or f.path.startswith(w.rstrip("/") + "/") for w in wanted)
        ]
    for f in findings:
        print(f)
    print(f"{len(pack.rules)} rules validated, {len(findings)} problems", file=sys.stderr)
    return 1 if findings else 0


def _targets(name: str):
    from t1114.targets import all_targets, build_targets, get_target

    if name == "all":
        return list(build_targets().values())
    if name == "every":
        return list(all_targets().values())
    return [get_target(name)]


def cmd_build(args) -> int:
    from t1114.build import build

    pack = _pack(args)
    compiled = build(pack, _targets(args.target), Path(args.out))
    print(
        f"built {len(compiled)} queries for {len(pack.rules)} rules into {args.out}",
        file=sys.stderr,
    )
    return 0


def cmd_review(args) -> int:
    from t1114.review import REPORT_JSON, REPORT_MD, review

    out = Path(args.out)
    report = review(_project(args), args.base, out)
    sys.stdout.write(f"{out / REPORT_MD}\n{out / REPORT_JSON}\n")
    for r in report["regressions"]:
        where = " ".join(str(r[k]) for k in ("rule", "target", "case") if r.get(k))
        print(f"regression: {r['kind']} {where}".rstrip(), file=sys.stderr)
    rules = report["rules"]
    print(
        f"{len(rules['added'])} added, {len(rules['removed'])} removed, {len(rules['changed'])} changed, "
        f"{len(rules['affected'])} affected; {len(report['regressions'])} regressions",
        file=sys.stderr,
    )
    return 0 if report["ok"] else 1


def cmd_coverage(args) -> int:
    from t1114.build import pack_coverage
    from t1114.package.coverage import matrix_markdown

    pack = _pack(args)
    sys.stdout.write(matrix_markdown(pack_coverage(pack, _targets("all"))))
    return 0


def cmd_docs(args) -> int:
    from t1114.docs import Sources, stale, write

    sources = Sources(_pack(args))
    if args.check:
        out_of_date = stale(sources)
        for path in out_of_date:
            print(f"{path}: generated blocks out of date (run: t1114 docs)", file=sys.stderr)
        return 1 if out_of_date else 0
    changed = write(sources)
    print(
        f"{len(changed)} documents updated" + (f": {', '.join(changed)}" if changed else ""),
        file=sys.stderr,
    )
    return 0


def cmd_test(args) -> int:
    from t1114.fixtures import load_fixtures
    from t1114.testing import FORMATS, format_text, run_tests

    pack = _pack(args)
    rule_filter = None
    if args.rule:
        rule_filter = set()
        for ref in args.rule:
            rule = pack.find(ref)
            if rule is None:
                raise PackError(None, f"unknown rule '{ref}'")
            rule_filter.add(rule.id)
    fixtures = load_fixtures(pack, [Path(d) for d in args.fixtures] if args.fixtures else None)
    targets = _targets(args.target) if args.target else _targets("every")
    corpus = (
        args.corpus_events
        if args.corpus_events is not None
        else (0 if args.rule or args.fixtures else 2000)
    )
    report = run_tests(pack, fixtures, targets, rule_filter, corpus_events=corpus)
    if args.format == "text":
        sys.stdout.write(format_text(report, verbose=args.verbose))
    else:
        sys.stdout.write(FORMATS[args.format](report))
    if not report.results:
        print("no fixture case selected", file=sys.stderr)
        return 1
    return 0 if report.ok else 1


def cmd_scan(args) -> int:
    import tempfile

    from t1114.errors import EXIT_RECORDS_SKIPPED
    from t1114.progress import Progress
    from t1114.scan import Scanner, default_jobs
    from t1114.scan_output import write_hits, write_skipped, write_summary
    from t1114.targets import get_target

    pack = _pack(args)
    scanner = Scanner(
        pack,
        get_target(args.target),
        jobs=args.jobs or default_jobs(),
        strict=args.strict,
        prefilter=not args.no_prefilter,
    )
    progress = Progress()
    # Hits are spooled and printed once every file has been read: bad input anywhere means
    # an error and no output, never half a result.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        try:
            count = write_hits(
                scanner.scan([Path(p) for p in args.files], progress), spool, args.format
            )
        finally:
            progress.close()
        spool.seek(0)
        while chunk := spool.read(1 << 16):
            sys.stdout.write(chunk)
    sys.stdout.flush()
    write_skipped(scanner.stats, sys.stderr)
    if args.summary:
        write_summary(pack, scanner.stats, sys.stderr)
    print(f"{count} hits in {scanner.stats.events} events", file=sys.stderr)
    return EXIT_RECORDS_SKIPPED if scanner.stats.skipped else 0


def cmd_hunt(args) -> int:
    from t1114.spark.hunt import run_command
    from t1114.spark.tables import Filters

    filters = Filters(since=args.since, until=args.until, host=args.host, user=args.user)
    return run_command(
        _pack(args),
        args.target,
        args.sources,
        filters,
        fmt=args.format,
        out=args.out,
        events_out=args.events_out,
        master=args.master,
        conf=args.conf,
        summary=args.summary,
    )


def cmd_audit(args) -> int:
    from t1114.audit.cli import pack_tuning, run

    tuning = Path(args.tuning) if args.tuning else pack_tuning(args.root)
    return run(
        [Path(p) for p in args.paths],
        fmt=args.format,
        out=Path(args.out) if args.out else None,
        fail_on=args.fail_on,
        baseline=Path(args.baseline) if args.baseline else None,
        tuning_file=tuning,
    )


def cmd_bench(args) -> int:
    if args.engine == "spark":
        from t1114.spark.bench import render, run_spark_bench

        results = run_spark_bench(
            _pack(args),
            Path(args.out),
            target=args.target,
            scales=args.scale or [1_000_000],
            seed=args.seed,
            log=lambda msg: print(msg, file=sys.stderr),
        )
        sys.stdout.write(render(results))
        return 0

    from t1114.bench import format_results, record_run, run_bench

    pack = _pack(args)
    log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
    results = run_bench(
        pack,
        Path(args.out),
        target=args.target,
        scales=args.scale,
        baseline_events=args.baseline_events,
        rules=args.rules,
        jobs=args.jobs,
        seed=args.seed,
        profiles=args.profile,
        log=log,
    )
    sys.stdout.write(format_results(results))
    print(f"results in {Path(args.out) / 'bench.json'}", file=sys.stderr)
    if args.record:
        command = " ".join(["t1114", *sys.argv[1:]])
        print(
            f"recorded in {record_run(pack.project.root, results, command)} (now run: t1114 docs)",
            file=sys.stderr,
        )
    return 0


def parser() -> argparse.ArgumentParser:
    from t1114.targets import DEFAULT_EVENT_TARGET, all_targets, build_targets

    every, builds = sorted(all_targets()), sorted(build_targets())
    p = argparse.ArgumentParser(
        prog="t1114", description="Build, validate, test and scan the T1114 detection pack."
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument(
        "--root", help="the pack's root directory (default: found from the current directory)"
    )
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("validate", help="check rules, conventions, fixtures and field schemas")
    v.add_argument("paths", nargs="*", help="rule files or directories (default: sigma/)")
    v.set_defaults(func=cmd_validate)

    b = sub.add_parser("build", help="compile every rule for every target into dist/")
    b.add_argument(
        "--target", default="all", choices=[*builds, "all"], help="a build target, or all (default)"
    )
    b.add_argument("--out", default="dist", help="output directory (default: dist)")
    b.set_defaults(func=cmd_build)

    t = sub.add_parser("test", help="evaluate rules against their fixtures")
    t.add_argument("--rule", action="append", help="only this rule (name or id); repeatable")
    t.add_argument(
        "--target", choices=[*every, "all", "every"], help="one target (default: every target)"
    )
    t.add_argument(
        "--fixtures",
        nargs="+",
        metavar="DIR",
        help="fixture files or directories (default: fixtures/)",
    )
    t.add_argument(
        "--corpus-events",
        type=lambda text: 0 if text == "0" else _count(text),
        metavar="N",
        help="compare verdicts across targets over a generated corpus of N raw events "
        "(default 2000; 0 when --rule or --fixtures is given)",
    )
    t.add_argument("--format", choices=["text", "json", "junit"], default="text")
    t.add_argument("-v", "--verbose", action="store_true", help="list passing cases too")
    t.set_defaults(func=cmd_test)

    r = sub.add_parser(
        "review", help="compare a base commit's build with the working tree's, for a pull request"
    )
    r.add_argument(
        "--base", required=True, help="git revision to compare with (e.g. origin/main, HEAD~1)"
    )
    r.add_argument(
        "--out",
        default="dist/review",
        help="where review.md and review.json go (default: dist/review)",
    )
    r.set_defaults(func=cmd_review)

    c = sub.add_parser("coverage", help="print the coverage matrix (Markdown)")
    c.set_defaults(func=cmd_coverage)

    d = sub.add_parser(
        "docs", help="regenerate the generated blocks of docs/ (rule catalogue, coverage, ...)"
    )
    d.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 naming the stale documents"
    )
    d.set_defaults(func=cmd_docs)

    s = sub.add_parser("scan", help="run the pack over recorded events; one hit per line")
    s.add_argument(
        "--target", required=True, choices=every, help="the target whose events these are"
    )
    s.add_argument(
        "--format", choices=["jsonl", "csv"], default="jsonl", help="hit output (default: jsonl)"
    )
    s.add_argument(
        "--summary", action="store_true", help="print hits per rule on stderr at the end"
    )
    s.add_argument("--jobs", type=_count, help="worker processes (default: one per available core)")
    s.add_argument(
        "--strict",
        action="store_true",
        help="stop at the first bad record (exit 2) instead of skipping it",
    )
    s.add_argument(
        "--no-prefilter",
        action="store_true",
        help="evaluate every event with every rule (slow; the hits are the same)",
    )
    s.add_argument(
        "files", nargs="+", help="event files or directories (JSON, JSON Lines, .gz, .evtx)"
    )
    s.set_defaults(func=cmd_scan)

    a = sub.add_parser(
        "audit", help="audit mail configuration exports for forwarding and exposure (M1047)"
    )
    a.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="export files or folders of them (CSV, JSON, CLIXML)",
    )
    a.add_argument("--format", choices=["text", "jsonl", "csv", "html"], default="text")
    a.add_argument(
        "--out", metavar="FILE", help="write the report here, all at once (default: stdout)"
    )
    a.add_argument(
        "--fail-on",
        choices=["informational", "low", "medium", "high", "critical"],
        help="exit 1 when a finding (a new one, with --baseline) is at least this severe",
    )
    a.add_argument(
        "--baseline",
        metavar="PREVIOUS.jsonl",
        help="an earlier audit's JSON Lines; marks what is new",
    )
    a.add_argument(
        "--tuning", metavar="FILE", help="tuning file (default: the pack's config/tuning.yml)"
    )
    a.set_defaults(func=cmd_audit)

    m = sub.add_parser(
        "bench",
        help="benchmark scan against a baseline on telemetry-like corpora, and pack compilation",
    )
    m.add_argument(
        "--scale", type=_count, nargs="+", metavar="N", help="corpus sizes (default: 1M 10M)"
    )
    m.add_argument(
        "--baseline-events",
        type=_count,
        default=1_000_000,
        metavar="N",
        help="run the baseline on sizes up to this (default: 1M; it holds a corpus in memory)",
    )
    m.add_argument(
        "--rules",
        type=int,
        default=1000,
        help="also compile with this many generated rules (default: 1000)",
    )
    m.add_argument("--jobs", type=_count, help="scan's --jobs (default: scan's default)")
    m.add_argument(
        "--profile", nargs="+", choices=["realistic", "worst_case"], help="corpora (default: both)"
    )
    m.add_argument(
        "--target",
        default=DEFAULT_EVENT_TARGET,
        choices=every,
        help="event shape (scan's corpora are written in the default event target's shape)",
    )
    m.add_argument("--seed", type=int, default=1114)
    m.add_argument("--out", default="dist", help="where bench.json goes (default: dist)")
    m.add_argument(
        "--record",
        action="store_true",
        help="also record the run in docs/data/bench.json, which docs/performance.md is generated from",
    )
    m.add_argument(
        "--engine",
        choices=["scan", "spark"],
        default="scan",
        help="spark: t1114 hunt beside scan, JSON Lines and Parquet (dist/bench-spark.json)",
    )
    m.set_defaults(func=cmd_bench)

    h = sub.add_parser(
        "hunt", help="run the pack on Apache Spark over event files, Parquet or a table"
    )
    h.add_argument(
        "--target",
        required=True,
        help="shape of the events: any target (native, splunk, splunk_cim, elastic)",
    )
    h.add_argument(
        "--format",
        choices=["jsonl", "parquet"],
        default="jsonl",
        help="hit output (default: jsonl)",
    )
    h.add_argument("--out", help="write hits here (required for parquet; default: stdout)")
    h.add_argument("--since", help="only events at or after this time (ISO 8601, UTC unless given)")
    h.add_argument("--until", help="only events at or before this time")
    h.add_argument(
        "--host", help="only events of this host (Computer, host.name, ...; case-insensitive)"
    )
    h.add_argument(
        "--user", help="only events of this user (User, UserId, user.name, ...; case-insensitive)"
    )
    h.add_argument(
        "--events-out",
        metavar="DIR",
        help="also write the event table as Parquet (hunt it again later)",
    )
    h.add_argument("--master", help="Spark master URL (default: local[*], loopback only)")
    h.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Spark configuration; repeatable",
    )
    h.add_argument(
        "--summary", action="store_true", help="print hits per rule on stderr at the end"
    )
    h.add_argument(
        "sources",
        nargs="+",
        help="event files or directories (as scan reads), or one Parquet file/directory, or table:NAME",
    )
    h.set_defaults(func=cmd_hunt)
    return p


def _count(text: str) -> int:
    """A positive count; 1M and 500k are accepted."""
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    try:
        value = int(float(text[:-1] if factor > 1 else text) * factor)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a count: {text}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except PackErrors as e:
        for err in e.errors:
            print(f"error: {err}", file=sys.stderr)
        return 2
    except (PackError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug in the tool, not in the input: say so in one line
        if os.environ.get("T1114_DEBUG"):
            traceback.print_exc()
        print(
            f"internal error: {type(e).__name__}: {e} (set T1114_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return 3
