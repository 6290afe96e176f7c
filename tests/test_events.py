import json

from t1114.events import MULTIVALUE_SEPARATOR, flatten
from t1114.inputs import read_events


def test_nested_objects_become_dotted_names():
    assert flatten({"process": {"command_line": "x", "parent": {"pid": 4}}}) == {
        "process.command_line": "x",
        "process.parent.pid": 4,
    }


def test_arrays_become_multivalue_fields():
    flat = flatten({"event": {"category": ["process", "file"]}, "hits": [{"a": 1}, {"a": 2}]})
    assert flat["event.category"] == ["process", "file"]
    assert flat["hits.a"] == [1, 2]


def test_o365_name_value_lists_are_pivoted():
    flat = flatten(
        {"Parameters": [{"Name": "ForwardTo", "Value": "x@y"}, {"Name": "Name", "Value": "r"}]}
    )
    assert flat == {"Parameters.ForwardTo": "x@y", "Parameters.Name": "r"}


def test_o365_entries_without_a_value_are_skipped_not_the_whole_list():
    # Outlook's UpdateInboxRules records often carry a RuleName entry with no Value.
    flat = flatten(
        {"OperationProperties": [{"Name": "RuleName"}, {"Name": "RuleActions", "Value": "[]"}]}
    )
    assert flat == {"OperationProperties.RuleActions": "[]"}


def test_google_parameters_are_pivoted_whatever_their_value_type():
    event = {
        "events": [
            {
                "name": "e",
                "parameters": [
                    {"name": "a", "value": "x"},
                    {"name": "b", "boolValue": True},
                    {"name": "c", "multiValue": ["1", "2"]},
                ],
            }
        ]
    }
    assert flatten(event) == {
        "events.name": "e",
        "events.parameters.a": "x",
        "events.parameters.b": True,
        "events.parameters.c": ["1", "2"],
    }


def test_lists_of_names_alone_stay_ordinary_lists():
    assert flatten({"labels": [{"name": "x"}, {"name": "y"}]}) == {"labels.name": ["x", "y"]}


def test_windows_event_json_is_flattened_to_field_names():
    doc = {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
                "EventID": {"#attributes": {"Qualifiers": ""}, "#text": 1},
                "TimeCreated": {"#attributes": {"SystemTime": "2026-01-01T00:00:00Z"}},
                "Channel": "Microsoft-Windows-Sysmon/Operational",
            },
            "EventData": {"CommandLine": "cmd /c x", "Image": "C:\\x.exe"},
        }
    }
    flat = flatten(doc)
    assert flat["EventID"] == 1
    assert flat["Provider_Name"] == "Microsoft-Windows-Sysmon"
    assert flat["TimeCreated_SystemTime"] == "2026-01-01T00:00:00Z"
    assert flat["CommandLine"] == "cmd /c x"


def test_eventdata_as_data_list():
    doc = {
        "Event": {
            "System": {"EventID": 4688},
            "EventData": {"Data": [{"@Name": "CommandLine", "#text": "x"}]},
        }
    }
    assert flatten(doc)["CommandLine"] == "x"


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_readers_accept_every_export_shape(tmp_path):
    docs = [{"a": 1}, {"a": 2}]
    files = {
        "lines.jsonl": "\n".join(json.dumps(d) for d in docs) + "\n",
        "array.json": json.dumps(docs, indent=2),
        "splunk.json": "\n".join(json.dumps({"preview": False, "result": d}) for d in docs),
        "splunk_results.json": json.dumps({"results": docs}),
        "es_hits.json": json.dumps(
            {"hits": {"hits": [{"_index": "i", "_source": d} for d in docs]}}
        ),
        "es_hit_list.jsonl": "\n".join(
            json.dumps({"_id": str(i), "_source": d}) for i, d in enumerate(docs)
        ),
        "pretty_single.json": json.dumps(
            {"hits": {"hits": [{"_source": d} for d in docs]}}, indent=2
        ),
    }
    for name, text in files.items():
        events = list(read_events(_write(tmp_path, name, text)))
        assert [e.fields for e in events] == docs, name
        assert [e.index for e in events] == [0, 1], name


def test_multivalue_separator_is_not_printable():
    assert not MULTIVALUE_SEPARATOR.isprintable()


def test_unnamed_event_data_values_are_numbered_like_winlogbeat():
    doc = {
        "Event": {
            "System": {
                "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 1},
                "Channel": "MSExchange Management",
            },
            "EventData": {
                "Data": {"#text": ["Set-Mailbox", '-Identity "a"', "caller"]},
                "Binary": None,
            },
        }
    }
    flat = flatten(doc)
    assert (flat["param1"], flat["param2"], flat["param3"]) == (
        "Set-Mailbox",
        '-Identity "a"',
        "caller",
    )
    assert flat["EventID"] == 1 and "Data.#text" not in flat


def test_flat_taxonomy_record_names_its_host_as_endpoint_security_does():
    flat = flatten(
        {
            "UtcTime": "2026-11-20T14:00:00.000Z",
            "Computer": "MBP-JDOE",
            "EventID": 1,
            "Image": "/usr/bin/ditto",
        }
    )
    assert flat["host.hostname"] == "MBP-JDOE" and flat["Computer"] == "MBP-JDOE"
    # Not a taxonomy record: event log records, Splunk and Elastic renderings keep their own names.
    for other in (
        {"Channel": "Linux-Sysmon/Operational", "Computer": "mx01", "Image": "/usr/bin/tar"},
        {"sourcetype": "sysmon:linux", "Computer": "mx01", "Image": "/usr/bin/tar"},
    ):
        assert "host.hostname" not in flatten(other)
