"""Linux audit logs: raw records grouped into one event per audit event, values as ausearch -i shows them."""

import json

import pytest

from t1114.auditd import group_records, parse_record
from t1114.errors import PackErrors
from t1114.events import flatten
from t1114.fixtures import load_fixtures
from t1114.inputs import read_events

GS = "\x1d"  # the enriched format's separator before interpreted fields

SYSCALL = (
    "type=SYSCALL msg=audit(1732093200.512:4410): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c "
    'a1=7ffc9d3e1f20 a2=0 a3=0 items=1 ppid=2211 pid=2290 auid=1002 uid=1002 tty=pts0 ses=4 comm="cat" '
    f'exe="/usr/bin/cat" key="t1114_mail_store"{GS}ARCH=x86_64 SYSCALL=openat AUID="deploy" UID="deploy"'
)
CWD = 'type=CWD msg=audit(1732093200.512:4410): cwd="/home/deploy"'
PATH = 'type=PATH msg=audit(1732093200.512:4410): item=0 name="/var/mail/alice" inode=393 nametype=NORMAL'
# "cat /var/mail/alice", NUL-separated and hex-encoded as the kernel writes proctitle
PROCTITLE = "type=PROCTITLE msg=audit(1732093200.512:4410): proctitle=636174002F7661722F6D61696C2F616C696365"
EOE = "type=EOE msg=audit(1732093200.512:4410):"


def test_records_of_one_event_become_one_event():
    (event,) = group_records([SYSCALL, CWD, PATH, PROCTITLE, EOE])
    assert event["type"] == ["SYSCALL", "CWD", "PATH", "PROCTITLE"]
    assert (event["exe"], event["key"], event["comm"]) == (
        "/usr/bin/cat",
        "t1114_mail_store",
        "cat",
    )
    assert (event["cwd"], event["name"]) == ("/home/deploy", "/var/mail/alice")
    assert event["proctitle"] == "cat /var/mail/alice"
    assert (event["msg"], event["timestamp"]) == ("audit(1732093200.512:4410)", "1732093200.512")


def test_enriched_fields_keep_their_upper_case_names():
    (event,) = group_records([SYSCALL])
    assert (event["SYSCALL"], event["syscall"]) == ("openat", "257")
    assert (event["AUID"], event["auid"]) == ("deploy", "1002")


def test_interleaved_events_are_told_apart_by_serial_and_node():
    other = 'type=SYSCALL msg=audit(1732093200.600:4411): syscall=59 comm="curl" exe="/usr/bin/curl" key=(null)'
    remote = "node=mx02 " + PATH  # the same serial on another host of an aggregated log
    events = list(group_records([SYSCALL, other, CWD, remote, PATH]))
    assert [e["msg"] for e in events] == [
        "audit(1732093200.512:4410)",
        "audit(1732093200.600:4411)",
        "audit(1732093200.512:4410)",
    ]
    assert events[0]["type"] == ["SYSCALL", "CWD", "PATH"] and "node" not in events[0]
    assert events[2]["node"] == "mx02" and events[2]["type"] == "PATH"


def test_hex_encoded_execve_arguments_and_paths_are_decoded():
    execve = 'type=EXECVE msg=audit(1.000:7): argc=3 a0="curl" a1="-T" a2=2F746D702F6D61696C2061726368697665'
    path = "type=PATH msg=audit(1.000:7): item=0 name=2F686F6D652F616C6963652F494E424F582041726368697665"
    (event,) = group_records([execve, path])
    assert event["a2"] == "/tmp/mail archive"
    assert event["name"] == "/home/alice/INBOX Archive"


def test_syscall_arguments_are_not_mistaken_for_hex_text():
    (event,) = group_records(
        ['type=SYSCALL msg=audit(1.000:8): a0=ffffff9c a1=41414141 exe="/bin/x"']
    )
    assert (event["a0"], event["a1"]) == ("ffffff9c", "41414141")


def test_long_arguments_split_over_pieces_are_joined():
    execve = (
        'type=EXECVE msg=audit(1.000:9): argc=2 a0="sh" a1_len=10 a1[0]=6162636465 a1[1]=6667686970'
    )
    (event,) = group_records([execve])
    assert event["a1"] == "abcdefghip" and "a1_len" not in event


def test_user_space_records_expose_their_nested_fields():
    line = (
        "type=USER_CMD msg=audit(1.000:10): pid=1 uid=1002 auid=1002 ses=4 "
        'msg=\'cwd="/root" cmd=636174202F7661722F6D61696C2F616C696365 exe="/usr/bin/sudo" terminal=pts/0 res=success\''
    )
    fields = parse_record(line)[1]
    assert fields["exe"] == ["/usr/bin/sudo"] and fields["res"] == ["success"]


def test_lines_that_are_not_audit_records_are_skipped():
    assert parse_record("Nov 20 09:14:03 mx01 sshd[1]: Accepted publickey") is None
    assert len(list(group_records(["garbage", SYSCALL, ""]))) == 1


def test_audit_log_files_are_read_as_grouped_events(tmp_path):
    log = tmp_path / "audit.log"
    log.write_text("\n".join([SYSCALL, CWD, PATH, PROCTITLE, EOE]) + "\n")
    (event,) = list(read_events(log))
    assert event.index == 0 and event.fields["exe"] == "/usr/bin/cat"


def test_json_documents_hold_one_audit_event():
    assert flatten({"auditd_records": [SYSCALL, PATH]})["name"] == "/var/mail/alice"
    with pytest.raises(ValueError, match="one audit event, not 2"):
        flatten({"auditd_records": [SYSCALL, 'type=CWD msg=audit(2.000:1): cwd="/"']})
    with pytest.raises(ValueError, match="not an audit record"):
        flatten({"auditd_records": ["cwd=/"]})


def test_a_bad_audit_fixture_names_its_file_and_case(pack, pack_copy):
    path = pack_copy / "fixtures" / "linux" / "lnx_auditd_mail_store_read_by_non_mail_program.json"
    data = json.loads(path.read_text())
    data["cases"][0]["events"][0]["auditd_records"].append('type=CWD msg=audit(9.000:1): cwd="/"')
    path.write_text(json.dumps(data))
    with pytest.raises(PackErrors) as e:
        load_fixtures(pack, [path])
    (error,) = e.value.errors
    assert str(error.path) == str(path) and "case 'cat_reads_another_users_spool'" in error.message
