"""Benchmark corpora that resemble telemetry, in the native shape (what ``t1114 scan`` reads
from the sources themselves).

* ``realistic``: attacks about 1 in 10,000 events (the fixtures' positive cases, planted by
  ``t1114.corpus.Corpus``) and near misses about 1 in 2,000; the rest is the ordinary traffic
  of a mid-size organisation. Microsoft 365 audit records are dominated by Exchange mailbox
  auditing (``MailItemsAccessed`` binds by the mailbox owner, then ``Update``, ``Send``,
  ``MoveToDeletedItems``, ``SoftDelete``), with Entra sign-ins and SharePoint/OneDrive file
  activity; Windows events by Sysmon process starts, network connections, file creations
  and registry writes of ordinary software, and Security logons. Records carry the fields
  the real ones do (``ClientInfoString``, ``LogonType``, ``MailboxOwnerUPN``, folders...).
* ``worst_case``: the same traffic, but every record has a non-ASCII display name (as many
  real tenants' do), which the literal prefilter cannot judge: every event reaches the
  engine, with every rule.
"""

from __future__ import annotations

import datetime as dt
import random

from t1114.corpus import Corpus, Mix
from t1114.loader import Pack
from t1114.targets import DEFAULT_EVENT_TARGET

PROFILES = ("realistic", "worst_case")
REALISTIC_MIX = Mix(near_miss=0.0005, attack=0.0001, mean_step_ms=20.0)

_ORG = "b8c3f1e2-4a5d-4c6b-9e7f-0a1b2c3d4e5f"
_EXCHANGE_APP = "00000002-0000-0ff1-ce00-000000000000"
_OUTLOOK_CLIENTS = [
    ("Client=MSExchangeRPC", "13937ea2-0daa-4b9c-9a05-33b3b8f8b1d6"),
    ("Client=OutlookService;Outlook/1.0", "27922004-5251-4030-b22d-91ecd9a37ea4"),
    ("Client=OWA;Action=ViaProxy", "00000002-0000-0ff1-ce00-000000000000"),
    ("Client=ActiveSync;UserAgent=Apple-iPhone15C2/2101.5", "00000002-0000-0ff1-ce00-000000000000"),
]
# (operation, workload, record type, weight): mailbox auditing dominates a tenant's volume.
_M365 = [
    ("MailItemsAccessed", "Exchange", 50, 600),
    ("Update", "Exchange", 2, 60),
    ("Send", "Exchange", 2, 50),
    ("MoveToDeletedItems", "Exchange", 2, 40),
    ("SoftDelete", "Exchange", 2, 25),
    ("UserLoggedIn", "AzureActiveDirectory", 15, 120),
    ("FileAccessed", "SharePoint", 6, 60),
    ("FileModified", "OneDrive", 6, 25),
    ("FilePreviewed", "SharePoint", 6, 15),
]
_FOLDERS = ["\\Inbox", "\\Sent Items", "\\Inbox\\Projects", "\\Archive", "\\Calendar"]
_SOFTWARE = [
    "C:\\Windows\\System32\\svchost.exe",
    "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
    "C:\\Windows\\explorer.exe",
    "C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe",
    "C:\\Windows\\System32\\RuntimeBroker.exe",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
    "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
]
_COMMANDS = {
    "svchost.exe": "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
    "chrome.exe": '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --lang=en-US',
    "WINWORD.EXE": '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n',
    "explorer.exe": "C:\\Windows\\Explorer.EXE",
    "OneDrive.exe": '"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe" /background',
    "RuntimeBroker.exe": "C:\\Windows\\System32\\RuntimeBroker.exe -Embedding",
    "OUTLOOK.EXE": '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE" /recycle',
    "msedge.exe": '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --single-argument',
}
_FILES = [
    "C:\\Users\\{u}\\AppData\\Local\\Temp\\~DF{n:04X}.tmp",
    "C:\\Users\\{u}\\Documents\\report-{n}.docx",
    "C:\\Users\\{u}\\Downloads\\invoice-{n}.pdf",
    "C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\mpcache-{n}.bin",
]
_REGISTRY = [
    "HKU\\{sid}\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs",
    "HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Signature Updates\\SignaturesLastUpdated",
]
_WINDOWS = [
    ("process", 22),
    ("network", 30),
    ("file", 22),
    ("registry", 10),
    ("logon", 12),
    ("process4688", 4),
]
_DISPLAY = [
    "Zoë Müller",
    "José Núñez",
    "Łukasz Wójcik",
    "Ægir Þórsson",
    "Renée Lefèvre",
    "Søren Kjær",
]


class TelemetryCorpus(Corpus):
    """``t1114.corpus.Corpus`` with telemetry-like background (native shape only)."""

    def __init__(
        self, pack: Pack, profile: str = "realistic", seed: int = 1114, m365_share: float = 0.45
    ):
        if profile not in PROFILES:
            raise ValueError(f"unknown corpus profile '{profile}'")
        super().__init__(pack, DEFAULT_EVENT_TARGET, seed=seed, mix=REALISTIC_MIX)
        self.profile = profile
        self.m365_share = m365_share
        self._m365_weights = [w for *_, w in _M365]
        self._win_kinds = [k for k, _ in _WINDOWS]
        self._win_weights = [w for _, w in _WINDOWS]

    def _background(self) -> dict:
        at = self._tick()
        rng = self.rng
        if rng.random() < self.m365_share:
            return self._m365(rng, at)
        return self._windows_event(
            rng, at, rng.choices(self._win_kinds, weights=self._win_weights)[0]
        )

    def _display(self, rng: random.Random, user: str) -> str:
        if self.profile == "worst_case":
            return rng.choice(_DISPLAY)
        first, last = user.split("@")[0].split(".")
        return f"{first.title()} {last.title()}"

    def _m365(self, rng: random.Random, at: dt.datetime) -> dict:
        operation, workload, record_type, _ = rng.choices(_M365, weights=self._m365_weights)[0]
        user = f"{rng.choice(self._users)}@contoso.com"
        doc = {
            "CreationTime": at.strftime("%Y-%m-%dT%H:%M:%S"),
            "Id": f"{rng.getrandbits(128):032x}",
            "Operation": operation,
            "OrganizationId": _ORG,
            "RecordType": record_type,
            "ResultStatus": "Succeeded",
            "UserKey": f"1003{rng.getrandbits(48):012X}",
            "UserType": 0,
            "Version": 1,
            "Workload": workload,
            "ClientIP": f"198.51.100.{rng.randrange(1, 255)}",
            "ObjectId": user,
            "UserId": user,
            "UserDisplayName": self._display(rng, user),
        }
        if workload == "Exchange":
            client, app = rng.choice(_OUTLOOK_CLIENTS)
            doc.update(
                {
                    "AppId": _EXCHANGE_APP,
                    "ClientAppId": app,
                    "ClientInfoString": client,
                    "ExternalAccess": False,
                    "InternalLogonType": 0,
                    "LogonType": 0,
                    "LogonUserSid": f"S-1-5-21-{rng.getrandbits(30)}",
                    "MailboxGuid": f"{rng.getrandbits(128):032x}",
                    "MailboxOwnerUPN": user,
                    "OrganizationName": "contoso.onmicrosoft.com",
                    "OriginatingServer": f"AM6PR0{rng.randrange(10)}MB{rng.randrange(1000):04d} (15.20.7452.000)",
                }
            )
            if operation == "MailItemsAccessed":
                doc["OperationCount"] = rng.choice([1, 1, 1, 2, 3, 8])
                doc["OperationProperties"] = [
                    {"Name": "MailAccessType", "Value": "Bind"},
                    {"Name": "IsThrottled", "Value": "False"},
                ]
                doc["Folders"] = [
                    {
                        "FolderItems": [
                            {
                                "InternetMessageId": f"<{rng.getrandbits(64):x}@contoso.com>",
                                "SizeInBytes": rng.randrange(2000, 90000),
                            }
                        ],
                        "Id": f"{rng.getrandbits(96):024x}",
                        "Path": rng.choice(_FOLDERS),
                    }
                ]
            else:
                doc["Item"] = {
                    "Id": f"{rng.getrandbits(96):024x}",
                    "ParentFolder": {"Path": rng.choice(_FOLDERS)},
                    "Subject": rng.choice(["Weekly sync", "Re: invoice", "Lunch?", "Q3 figures"]),
                }
        elif workload == "AzureActiveDirectory":
            doc.update(
                {
                    "ApplicationId": "4765445b-32c6-49b0-83e6-1d93765276ca",
                    "AzureActiveDirectoryEventType": 1,
                    "ExtendedProperties": [
                        {"Name": "UserAgent", "Value": "Mozilla/5.0 (Windows NT 10.0)"},
                        {"Name": "RequestType", "Value": "OAuth2:Token"},
                    ],
                }
            )
        else:
            doc.update(
                {
                    "SiteUrl": "https://contoso.sharepoint.com/sites/finance/",
                    "SourceFileName": f"budget-{rng.randrange(100)}.xlsx",
                    "SourceFileExtension": "xlsx",
                    "UserAgent": "Microsoft Office Excel 2014",
                }
            )
        return doc

    def _windows_event(self, rng: random.Random, at: dt.datetime, kind: str) -> dict:
        host = rng.choice(self._hosts)
        user = rng.choice(self._users)
        image = rng.choice(_SOFTWARE)
        sysmon = ("Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon")
        utc = at.strftime("%Y-%m-%d %H:%M:%S.%f")[:23]
        if kind == "process":
            channel, event_id = sysmon, 1
            data = {
                "UtcTime": utc,
                "ProcessId": rng.randrange(400, 65000),
                "Image": image,
                "CommandLine": _COMMANDS[image.rsplit("\\", 1)[1]],
                "ParentImage": "C:\\Windows\\explorer.exe",
                "User": f"CONTOSO\\{user}",
                "IntegrityLevel": "Medium",
                "Hashes": f"SHA256={rng.getrandbits(256):064X}",
            }
        elif kind == "process4688":
            channel, event_id = ("Security", "Microsoft-Windows-Security-Auditing"), 4688
            data = {
                "NewProcessName": image,
                "CommandLine": _COMMANDS[image.rsplit("\\", 1)[1]],
                "ParentProcessName": "C:\\Windows\\explorer.exe",
                "SubjectUserName": user,
                "NewProcessId": hex(rng.randrange(400, 65000)),
            }
        elif kind == "network":
            channel, event_id = sysmon, 3
            data = {
                "UtcTime": utc,
                "Image": image,
                "Protocol": "tcp",
                "Initiated": "true",
                "SourceIp": f"10.1.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                "DestinationIp": f"52.{rng.randrange(96, 120)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                "DestinationPort": rng.choice([443, 443, 443, 80, 53]),
                "User": f"CONTOSO\\{user}",
            }
        elif kind == "file":
            channel, event_id = sysmon, 11
            data = {
                "UtcTime": utc,
                "Image": image,
                "ProcessId": rng.randrange(400, 65000),
                "TargetFilename": rng.choice(_FILES).format(u=user, n=rng.randrange(65536)),
                "User": f"CONTOSO\\{user}",
            }
        elif kind == "registry":
            channel, event_id = sysmon, 13
            data = {
                "UtcTime": utc,
                "EventType": "SetValue",
                "Image": image,
                "TargetObject": rng.choice(_REGISTRY).format(sid=f"S-1-5-21-{rng.getrandbits(30)}"),
                "Details": f"DWORD (0x{rng.getrandbits(16):08x})",
            }
        else:
            channel, event_id = ("Security", "Microsoft-Windows-Security-Auditing"), 4624
            data = {
                "TargetUserName": user,
                "LogonType": rng.choice([2, 3, 3, 3, 5, 10]),
                "IpAddress": f"10.1.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            }
        if self.profile == "worst_case":
            data["UserDisplayName"] = rng.choice(_DISPLAY)
        return {
            "Event": {
                "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
                "System": {
                    "Provider": {"#attributes": {"Name": channel[1]}},
                    "EventID": event_id,
                    "Level": 4,
                    "TimeCreated": {
                        "#attributes": {"SystemTime": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
                    },
                    "Channel": channel[0],
                    "Computer": f"{host}.contoso.local",
                },
                "EventData": data,
            }
        }
