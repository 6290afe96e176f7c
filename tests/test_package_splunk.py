"""The Splunk app: .conf files that Splunk's own parser reads, complete correlation-search
stanzas, a reproducible archive, and AppInspect (cloud) with no failures, offline."""

import gzip
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest
from addonfactory_splunk_conf_parser_lib import TABConfigParser

from sigma.pipelines.t1114.splunk import macros as source_macros
from t1114.package import metadata
from t1114.package.archive import ENTRY_MTIME, write_tgz
from t1114.targets.splunk.package import APP_ID, FILTER_DEFINITION, filter_macro, stanza_name

ROOT = Path(__file__).resolve().parents[1]


def app_dir(dist: Path) -> Path:
    return dist / "splunk" / APP_ID


def archive(dist: Path) -> Path:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    return dist / "splunk" / f"{APP_ID}-{version}.tgz"


def conf_parser(path: Path) -> TABConfigParser:
    parser = TABConfigParser()
    parser.read(str(path))
    return parser


def parse_conf(path: Path) -> dict[str, dict[str, str]]:
    parser = conf_parser(path)
    return {
        name: {k: v for k, v in parser.items(name) if not k.startswith("__")}
        for name in parser.sections()
    }


def normalise(spl: str) -> str:
    return " ".join(spl.split())


def test_every_conf_file_parses(dist):
    confs = sorted(app_dir(dist).rglob("*.conf")) + sorted(app_dir(dist).rglob("*.meta"))
    assert {p.name for p in confs} == {
        "app.conf",
        "savedsearches.conf",
        "macros.conf",
        "default.meta",
    }
    for path in confs:
        assert parse_conf(path), path


def test_metadata_shares_the_app_objects_read_only(dist):
    path = app_dir(dist) / "metadata" / "default.meta"
    meta = parse_conf(path)
    for kind in ("savedsearches", "macros"):
        assert meta[kind] == {
            "access": "read : [ * ], write : [ admin, sc_admin ]",
            "export": "system",
        }
    # The parser has no name for the global stanza "[]" and keeps its lines apart.
    assert [line.strip() for line in conf_parser(path).fields_outside_stanza] == [
        "[]",
        "access = read : [ * ], write : [ admin, sc_admin ]",
        "export = system",
    ]


def test_app_conf_carries_the_pyproject_version(dist):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    app = parse_conf(app_dir(dist) / "default" / "app.conf")
    assert app["launcher"]["version"] == version
    assert app["id"] == {"name": APP_ID, "version": version}
    assert app["package"]["id"] == APP_ID
    assert (
        json.loads((app_dir(dist) / "app.manifest").read_text())["info"]["id"]["version"] == version
    )


def stanzas(pack, compiled):
    """(rule, query variant, stanza name) of every search the app should hold."""
    return [
        (rule, v, stanza_name(rule, v))
        for rule in pack.rules
        if "splunk" in compiled.get(rule.name, {})
        for v in metadata.variants(compiled[rule.name]["splunk"])
    ]


def test_a_complete_disabled_stanza_per_rule(pack, dist, compiled):
    searches = parse_conf(app_dir(dist) / "default" / "savedsearches.conf")
    assert set(searches) == {name for *_, name in stanzas(pack, compiled)}
    assert {rule.name for rule, *_ in stanzas(pack, compiled)} == {r.name for r in pack.rules}
    for rule, variant, name in stanzas(pack, compiled):
        s = searches[name]
        level = metadata.LEVELS[rule.level]
        assert s["disabled"] == "1"
        assert s["enableSched"] == "1" and re.fullmatch(r"\d{1,2} \* \* \* \*", s["cron_schedule"])
        assert s["dispatch.earliest_time"].startswith("-") and s["dispatch.latest_time"] == "-10m@m"
        assert s["description"] == " ".join(rule.sigma.description.split())
        # The search is the compiled query, unchanged, with the rule's filter macro appended.
        expected = variant.text + f"\n| `{filter_macro(rule)}`"
        assert s["search"] == normalise(expected)
        assert s["action.correlationsearch.enabled"] == "1"
        assert s["action.correlationsearch.label"] == name
        annotations = json.loads(s["action.correlationsearch.annotations"])
        assert annotations["analytic"] == [rule.analytic]
        assert annotations["detection_strategy"] == ["DET0476"]
        tagged = sorted(
            t.split(".", 1)[1].upper()
            for t in rule.tags
            if re.fullmatch(r"attack\.t\d{4}(\.\d{3})?", t)
        )
        assert annotations["mitre_attack"] == tagged
        assert json.loads(s["action.correlationsearch.metadata"])["detection_id"] == variant.id_for(
            rule
        )
        assert s["action.notable"] == "1"
        assert s["action.notable.param.severity"] == level.notable == rule.level
        assert s["action.notable.param.rule_title"] == rule.title + variant.suffix
        assert s["alert.severity"] == str(level.alert)
        assert s["action.risk"] == "1"
        risk = json.loads(s["action.risk.param._risk"])
        assert risk and all(r["risk_score"] == level.risk_score for r in risk)
        for r in risk:
            assert f"${r['risk_object_field']}$" in s["action.risk.param._risk_message"]


def test_risk_objects_are_fields_the_results_have(pack, dist, compiled):
    searches = parse_conf(app_dir(dist) / "default" / "savedsearches.conf")
    correlation = pack.find("m365_forwarding_rule_and_mailbox_sync")
    risk = json.loads(searches[stanza_name(correlation)]["action.risk.param._risk"])
    # After the correlation's stats only its group-by fields are left.
    assert [(r["risk_object_field"], r["risk_object_type"]) for r in risk] == [("UserId", "user")]
    windows = pack.find("win_exchange_new_mailbox_export_request")
    risk = json.loads(searches[stanza_name(windows)]["action.risk.param._risk"])
    assert {r["risk_object_type"] for r in risk} == {"user", "system"}


def test_macros_define_the_sources_and_a_filter_per_rule(pack, dist):
    conf = parse_conf(app_dir(dist) / "default" / "macros.conf")
    for name, definition in source_macros().items():
        assert conf[name]["definition"] == definition
    for rule in pack.rules:
        assert conf[filter_macro(rule)]["definition"] == FILTER_DEFINITION
    searches = parse_conf(app_dir(dist) / "default" / "savedsearches.conf")
    used = {m for s in searches.values() for m in re.findall(r"`(t1114_[a-z0-9_]+)`", s["search"])}
    assert used <= set(conf), used - set(conf)


def test_the_app_touches_nothing_of_other_apps(pack, dist, compiled):
    app = app_dir(dist)
    assert not (app / "local").exists()
    text = (app / "default" / "savedsearches.conf").read_text()
    assert "[default]" not in text
    assert sorted(parse_conf(app / "default" / "savedsearches.conf")) == sorted(
        n for *_, n in stanzas(pack, compiled)
    )
    assert all(name.startswith("t1114_") for name in parse_conf(app / "default" / "macros.conf"))


def test_archive_is_the_app_and_reproducible(dist, tmp_path):
    data = archive(dist).read_bytes()
    assert data[:2] == b"\x1f\x8b" and data[4:8] == b"\0\0\0\0"  # gzip, mtime 0
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        assert names == sorted(names)
        assert all(m.uid == 0 and m.gid == 0 and m.mtime == ENTRY_MTIME for m in members)
        for m in members:
            if m.isfile():
                assert tar.extractfile(m).read() == (app_dir(dist).parent / m.name).read_bytes()
    assert {n for n in names if not n.endswith("/")} >= {
        f"{APP_ID}/default/savedsearches.conf",
        f"{APP_ID}/README.md",
    }
    # The same files copied elsewhere (new inode times, another order on disk) pack identically.
    copy = tmp_path / APP_ID
    shutil.copytree(app_dir(dist), copy)
    write_tgz(copy, tmp_path / "again.tgz")
    assert (tmp_path / "again.tgz").read_bytes() == data


# AppInspect runs in a child process whose every attempt to reach the network is refused
# and reported, so the test shows it works offline.
APPINSPECT = """
import sys

def no_network(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"):
        if event == "socket.connect" and isinstance(args[1], str):
            return  # a local socket file
        sys.stderr.write(f"NETWORK ATTEMPT {event} {args[1:]!r}\\n")
        raise OSError("network access refused by the test")

sys.addaudithook(no_network)
from splunk_appinspect.main import execute
sys.argv = ["splunk-appinspect"] + sys.argv[1:]
execute()
"""


def appinspect(package: Path, report: Path) -> tuple[dict, subprocess.CompletedProcess]:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            APPINSPECT,
            "inspect",
            str(package),
            "--mode",
            "precert",
            "--included-tags",
            "cloud",
            "--skip-trusted-libraries-update",
            "--data-format",
            "json",
            "--output-file",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "NETWORK ATTEMPT" not in done.stderr + done.stdout, done.stderr
    return json.loads(report.read_text()), done


def failures(report: dict) -> list[str]:
    return [
        f"{c['name']}: {[m['message'] for m in c['messages']]}"
        for r in report["reports"]
        for g in r["groups"]
        for c in g["checks"]
        if c["result"] in ("failure", "error")
    ]


def test_appinspect_cloud_reports_no_failures_offline(dist, tmp_path):
    report, done = appinspect(archive(dist), tmp_path / "report.json")
    summary = report["summary"]
    assert summary["failure"] == 0 and summary["error"] == 0, failures(report)
    assert summary["success"] > 50  # it really inspected the app
    assert failures(report) == []


def test_appinspect_catches_a_broken_app(dist, tmp_path):
    # A control: the same check flags an app that ships a local/ directory.
    broken = tmp_path / APP_ID
    shutil.copytree(app_dir(dist), broken)
    (broken / "local").mkdir()
    (broken / "local" / "savedsearches.conf").write_text("[x]\nsearch = index=main\n")
    write_tgz(broken, tmp_path / "broken.tgz")
    report, _ = appinspect(tmp_path / "broken.tgz", tmp_path / "report.json")
    assert report["summary"]["failure"] >= 1
    assert any("check_that_local_does_not_exist" in f for f in failures(report))


def test_a_title_that_cannot_be_a_stanza_is_refused(pack):
    from sigma.rule import SigmaRule

    from t1114.errors import PackError
    from t1114.loader import PackRule

    rule = pack.find("m365_mailbox_sync_access")
    broken = PackRule(
        rule.path, SigmaRule.from_dict({**rule.doc, "title": "Bad ] title"}), rule.doc
    )
    with pytest.raises(PackError, match=r"m365_mailbox_sync_access.yml: .*stanza name"):
        stanza_name(broken)
