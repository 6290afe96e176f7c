from t1114.endpoint_security import NEW_PATH_FIELDS, new_path, with_new_paths
from t1114.events import MADE_UP_FIELDS, flatten


def _create(destination: dict) -> dict:
    return {
        "event_type": 13,
        "process": {"executable": {"path": "/tmp/x"}},
        "event": {"create": {"destination_type": 1, "destination": destination}},
    }


NEW = {
    "new_path": {"dir": {"path": "/private/tmp/INBOX.mbox/"}, "filename": "Info.plist", "mode": 420}
}


def test_a_new_files_directory_and_name_are_joined_once():
    assert new_path(NEW["new_path"]) == "/private/tmp/INBOX.mbox/Info.plist"


def test_a_create_naming_a_new_file_reads_with_its_whole_path():
    flat = flatten(_create(NEW))
    assert flat["event.create.destination.new_path.path"] == "/private/tmp/INBOX.mbox/Info.plist"
    # the message's own fields are still there
    assert flat["event.create.destination.new_path.filename"] == "Info.plist"


def test_a_rename_to_a_new_path_reads_with_its_whole_path():
    raw = {
        "event_type": 25,
        "event": {
            "rename": {
                "source": {"path": "/tmp/.t"},
                "destination_type": 1,
                "destination": {
                    "new_path": {"dir": {"path": "/tmp/s"}, "filename": "Envelope Index"}
                },
            }
        },
    }
    assert flatten(raw)["event.rename.destination.new_path.path"] == "/tmp/s/Envelope Index"


def test_messages_naming_existing_files_and_other_documents_are_left_as_they_are():
    existing = _create({"existing_file": {"path": "/Users/a/Library/Mail/V10/x.emlx"}})
    assert with_new_paths(existing) is existing
    other = {"event": {"create": {"destination": NEW}}}  # no Endpoint Security event_type
    assert with_new_paths(other) is other


def test_the_joined_fields_are_declared_made_up_for_the_prefilter():
    assert set(NEW_PATH_FIELDS) <= MADE_UP_FIELDS
