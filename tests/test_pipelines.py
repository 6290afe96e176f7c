"""The pipelines as pySigma plugins, and their coverage of the pack's log sources."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sigma.plugins import InstalledSigmaPlugins

from sigma.pipelines.t1114.elastic import ELASTIC_SOURCES
from sigma.pipelines.t1114.native import NATIVE_SOURCES
from sigma.pipelines.t1114.sources import SOURCES
from sigma.pipelines.t1114.splunk import SPLUNK_SOURCES, macros

ROOT = Path(__file__).resolve().parents[1]


def test_pipelines_are_discovered_as_plugins():
    found = InstalledSigmaPlugins.autodiscover(
        include_backends=False, include_validators=False
    ).pipelines
    assert {"t1114_native", "t1114_splunk", "t1114_elastic"} <= set(found)


@pytest.mark.parametrize(
    "table", [NATIVE_SOURCES, SPLUNK_SOURCES, ELASTIC_SOURCES], ids=["native", "splunk", "elastic"]
)
def test_every_platform_maps_every_log_source(table):
    assert set(SOURCES) <= set(table)
    for key, source in table.items():
        assert source.logsource == SOURCES[key], key


def test_each_log_source_is_declared_once():
    # Platforms map source keys (base.bind); only sources.py spells out a LogSource.
    counts = {
        p.name: p.read_text(encoding="utf-8").count("LogSource(")
        for p in (ROOT / "pipelines").glob("*.py")
    }
    assert counts.pop("sources.py") == len(SOURCES)
    assert set(counts.values()) == {0}


# An event ID written where a platform selects events: a condition on the ID field, an ID
# comparison, a (channel, ID) key or an ID handed to a helper.
_EVENT_ID_USE = re.compile(
    r"""(?:EventCode|EventID|event\.code|event_id)["']?\s*(?:[:=]=?|in)\s*[\[(]?["']?(\d+)"""
    r"|\((?:SYSMON|SECURITY|POWERSHELL)\w*,\s*(\d+)\)"
    r"|_(?:event_log|sysmon\w*)\([^)]*?(\d+)\)"
)


def test_each_event_id_is_written_once():
    # sources.SOURCES declares each source's (channel, event IDs); platforms and renderers
    # derive their conditions and their per-source branches from it.
    declared = {str(i) for source in SOURCES.values() for i in source.event_ids}
    assert {"1", "11", "4688", "4104"} <= declared
    modules = [p for p in (ROOT / "pipelines").glob("*.py") if p.name != "sources.py"]
    modules += (ROOT / "tools/t1114/targets/renderers").glob("*.py")
    written = {
        (p.name, n)
        for p in modules
        for m in _EVENT_ID_USE.finditer(p.read_text(encoding="utf-8"))
        for n in m.groups()
        if n in declared
    }
    assert written == set()
    # The pattern does find the forms it looks for.
    assert _EVENT_ID_USE.search('conditions={"EventCode": [1, 4688]}')
    assert _EVENT_ID_USE.search("(SYSMON, 11): (...)")
    assert _EVENT_ID_USE.search('"event.code": "4104"')


def test_a_mapping_of_an_undeclared_or_missing_source_is_refused():
    from sigma.pipelines.t1114.base import SourceMapping, bind

    with pytest.raises(KeyError, match="undeclared log sources: nope"):
        bind(SOURCES, {**{k: SourceMapping() for k in SOURCES}, "nope": SourceMapping()})
    with pytest.raises(KeyError, match="no mapping for the log sources linux_auditd"):
        bind(SOURCES, {k: SourceMapping() for k in SOURCES if k != "linux_auditd"})
    assert list(bind(SOURCES, {"linux_auditd": SourceMapping()}, complete=False)) == [
        "linux_auditd"
    ]


def test_every_rule_logsource_is_a_known_source(pack):
    known = list(SOURCES.values())
    for rule in pack.rules:
        if not rule.is_correlation:
            assert any(s.matches(rule.logsource) for s in known), rule.name


def test_macros_have_sourcetype_definitions():
    for name, definition in macros().items():
        assert name.startswith("t1114_")
        assert definition.startswith(("(sourcetype=", "(source="))


def test_sigma_cli_converts_with_the_pipeline():
    rule = ROOT / "sigma" / "m365" / "m365_inbox_rule_forwarding.yml"
    out = subprocess.run(
        [
            str(Path(sys.executable).parent / "sigma"),
            "convert",
            "-t",
            "splunk",
            "-p",
            "t1114_splunk",
            str(rule),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "`t1114_o365_management_activity`" in out.stdout
    # The add-on's field per parameter, which keeps each value with its name.
    assert 'ForwardTo="**"' in out.stdout and "Parameters{}" not in out.stdout


def _splunk(rule_yaml: str) -> str:
    from sigma.backends.splunk import SplunkBackend
    from sigma.collection import SigmaCollection

    from sigma.pipelines.t1114.splunk import splunk_pipeline

    return SplunkBackend(processing_pipeline=splunk_pipeline(macros=True)).convert(
        SigmaCollection.from_yaml(rule_yaml)
    )[0]


GWS_RULE = """
title: t
logsource: {product: google_workspace, service: admin}
detection:
  sel:
    events.name: CHANGE_GMAIL_SETTING
    events.parameters.SETTING_NAME|contains: ROUTE
  condition: sel
"""


def test_google_parameters_become_the_add_ons_name_value_pair_on_splunk():
    query = _splunk(GWS_RULE)
    assert query.startswith("`t1114_gws_reports_admin`")
    assert 'event.name="CHANGE_GMAIL_SETTING"' in query
    assert '"event.parameters{}.name"="SETTING_NAME" "event.parameters{}.value"="*ROUTE*"' in query


def test_a_name_value_pair_cannot_express_absence():
    from sigma.exceptions import SigmaTransformationError

    with pytest.raises(SigmaTransformationError, match="cannot be expressed"):
        _splunk(
            GWS_RULE.replace(
                "events.parameters.SETTING_NAME|contains: ROUTE",
                "events.parameters.SETTING_NAME|exists: false",
            )
        )


def test_o365_parameters_become_the_add_ons_fields_on_splunk():
    query = _splunk(
        GWS_RULE.replace("google_workspace, service: admin", "m365, service: exchange").replace(
            "events.parameters.SETTING_NAME", "Parameters.ForwardingSmtpAddress"
        )
    )
    assert 'ForwardingSmtpAddress="*ROUTE*"' in query and "Parameters" not in query


# --- Linux (AN1310) / macOS (AN1311) ---

# Splunk indexes one event per audit record, so a condition on fields of two record types
# (PATH's name and SYSCALL's exe) can never hold there; the grouped shapes would hide that.
AUDIT_RECORD_FIELDS = {
    "SYSCALL": {
        "type",
        "key",
        "exe",
        "comm",
        "syscall",
        "SYSCALL",
        "success",
        "exit",
        "pid",
        "ppid",
        "auid",
        "AUID",
        "uid",
        "UID",
        "euid",
        "EUID",
        "gid",
        "tty",
        "ses",
        "a0",
        "a1",
        "a2",
        "a3",
    },
    "EXECVE": {"type", "argc", "a0", "a1", "a2", "a3"},
    "PATH": {"type", "name", "nametype"},
    "CWD": {"type", "cwd"},
    "PROCTITLE": {"type", "proctitle"},
}


def test_linux_auditd_rules_read_one_record_type(pack):
    from t1114.targets.base import detection_fields

    auditd = SOURCES["linux_auditd"]
    rules = [r for r in pack.rules if not r.is_correlation and auditd.matches(r.sigma.logsource)]
    assert rules
    for rule in rules:
        fields = detection_fields(rule.sigma)
        assert any(fields <= record for record in AUDIT_RECORD_FIELDS.values()), (
            rule.name,
            sorted(fields),
        )


def test_record_field_sets_cover_the_auditd_taxonomy():
    assert set().union(*AUDIT_RECORD_FIELDS.values()) == set(SOURCES["linux_auditd"].fields)
