"""Seeded synthetic event corpora, for the benchmark and the scan's differential tests.

A corpus is one stream of raw events rendered to the shape of one target: by ``t1114.targets.renderers``
with each event's usual collector where it knows the shape (so the same seed gives the same
events on native, splunk and elastic, and ``t1114.testing.corpus_agreement`` compares their
verdicts), by the target's own ``corpus_event`` for the background of any other shape. It mixes:

* background events of the pack's log sources and of others no rule reads (benign process
  starts, network connections, logons, mailbox reads, SharePoint and Entra ID records);
* events of the fixtures' negative cases: near misses of the pack's own rules;
* planted attacks: the events of the fixtures' positive cases, each case kept together with
  its own time offsets (so correlations still fire) under a fresh user name.

Fixture events come from the fixture files, so a rule added with its fixtures is planted in
the next corpus without touching this module. Time advances by a seeded random step per
event; every timestamp of a fixture event is moved along with it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from t1114.fixtures import case_renderings, fixture_files
from t1114.loader import Pack
from t1114.safeyaml import load_json
from t1114.synthetic import native_event
from t1114.targets import renderers as shapes
from t1114.targets import target_of_shape

EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})([T ])(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-]+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")


@dataclass(frozen=True)
class Mix:
    """Shares of the corpus: the rest is background."""

    near_miss: float = 0.2
    attack: float = 0.002
    mean_step_ms: float = 50.0


@dataclass(frozen=True)
class FixtureCases:
    positive: list[list[dict]]
    negative: list[list[dict]]


def fixture_cases(pack: Pack, shape: str) -> FixtureCases:
    """Raw events of every fixture case with events of a shape."""
    positive: list[list[dict]] = []
    negative: list[list[dict]] = []
    for path in fixture_files([pack.project.fixtures_dir]):
        for case in load_json(path).get("cases", []):
            variants = case_renderings(case).get(shape)
            if not variants:
                continue
            events = next(iter(variants.values()))
            (positive if case.get("match") else negative).append(events)
    return FixtureCases(positive, negative)


def render_default(raw: dict, shape: str) -> list[dict]:
    """``raw`` as the shape's usual collector delivers it; nothing where the shape has none."""
    names = [c for c in shapes.collectors(raw, shape) if c not in shapes.PENDING]
    return shapes.render(raw, shape, names[0]) if names else []


class Corpus:
    """An endless, reproducible stream of events of one shape."""

    def __init__(self, pack: Pack, shape: str, seed: int = 1114, mix: Mix = Mix()):
        self.shape = shape
        # Background events are rendered by a target reading this shape.
        self._render = target_of_shape(shape).corpus_event
        self.rng = random.Random(seed)
        self.mix = mix
        self._derived = shape in shapes.TARGETS
        self.cases = fixture_cases(pack, shapes.RAW if self._derived else shape)
        self.clock = EPOCH
        self.planted = 0
        self._users = [f"{first}.{last}{n}" for n in range(40) for first, last in _NAMES]
        self._hosts = [f"WS{n:04d}" for n in range(800)]

    def events(self, count: int) -> Iterator[dict]:
        """``count`` events of the corpus's shape (raw events the shape has no collector for
        are left out)."""
        produced = 0
        for raw in self.raw_events():
            for doc in render_default(raw, self.shape) if self._derived else [raw]:
                if produced == count:
                    return
                yield doc
                produced += 1

    def raw_events(self) -> Iterator[dict]:
        """The endless stream the corpus renders: raw (native) events where t1114.targets.renderers
        renders the corpus's shape, else events already in the shape."""
        while True:
            roll = self.rng.random()
            if roll < self.mix.attack and self.cases.positive:
                yield from self._fixture_case(self.rng.choice(self.cases.positive), attack=True)
            elif roll < self.mix.attack + self.mix.near_miss and self.cases.negative:
                yield from self._fixture_case(self.rng.choice(self.cases.negative), attack=False)
            else:
                yield self._background()

    def _tick(self) -> dt.datetime:
        self.clock += dt.timedelta(milliseconds=self.rng.expovariate(1.0 / self.mix.mean_step_ms))
        return self.clock

    # --- fixture events -----------------------------------------------------------------

    def _fixture_case(self, events: list[dict], attack: bool) -> list[dict]:
        times = [t for e in events for t in _timestamps(e)]
        base = min(times) if times else None
        start = self._tick()
        users: dict[str, str] = {}
        out = []
        for event in events:
            event = shapes.copy_event(event)
            if base is not None:
                event = _shift(event, lambda t: start + (t - base))
            event = _rename_users(event, users, self._fresh_user if attack else self._known_user)
            out.append(event)
        if base is not None:
            self.clock = max(self.clock, max(start + (t - base) for t in times))
        if attack:
            self.planted += 1
        return out

    def _fresh_user(self) -> str:
        return f"victim{self.planted:06d}"

    def _known_user(self) -> str:
        return self.rng.choice(self._users)

    # --- background events --------------------------------------------------------------

    def _background(self) -> dict:
        at = self._tick()
        kind = self.rng.choices(_BACKGROUND_KINDS, weights=_BACKGROUND_WEIGHTS)[0]
        facts = kind(self.rng, self)
        return native_event(facts, at) if self._derived else self._render(facts, at)


# --- timestamps and names in fixture events -----------------------------------------------


def _parse_iso(text: str) -> dt.datetime | None:
    if not _ISO.match(text):
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _timestamps(value) -> Iterator[dt.datetime]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _timestamps(v)
    elif isinstance(value, list):
        for v in value:
            yield from _timestamps(v)
    elif isinstance(value, str) and (moment := _parse_iso(value)) is not None:
        yield moment


def _format_like(original: str, moment: dt.datetime) -> str:
    matched = _ISO.match(original)
    assert matched is not None  # only timestamps _parse_iso read are reformatted
    date, sep, _, fraction, zone = matched.groups()
    text = moment.astimezone(dt.UTC).strftime(f"%Y-%m-%d{sep}%H:%M:%S")
    if fraction:
        text += f".{moment.microsecond:06d}"[: len(fraction)]
    if zone:
        text += "Z" if zone == "Z" else "+00:00"
    return text


def _shift(value, move):
    if isinstance(value, dict):
        return {k: _shift(v, move) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, move) for v in value]
    if isinstance(value, str) and (moment := _parse_iso(value)) is not None:
        return _format_like(value, move(moment))
    return value


def _rename_users(value, names: dict[str, str], fresh):
    """Every e-mail local part renamed, consistently within one case and ignoring case (the
    fixtures test that ``Alice@`` and ``alice@`` are one user); the original casing is kept."""

    def rename(match: re.Match) -> str:
        local, domain = match.groups()
        new = names.setdefault(local.lower(), fresh())
        if local[:1].isupper():
            new = new[:1].upper() + new[1:]
        return f"{new}@{domain}"

    if isinstance(value, dict):
        return {k: _rename_users(v, names, fresh) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename_users(v, names, fresh) for v in value]
    if isinstance(value, str):
        return _EMAIL.sub(rename, value)
    return value


# --- background: what happened, then how each platform records it ---------------------------

_NAMES = [
    ("alex", "smith"),
    ("sam", "jones"),
    ("kim", "lee"),
    ("maria", "garcia"),
    ("noah", "brown"),
    ("li", "wang"),
    ("olga", "ivanova"),
    ("yusuf", "demir"),
    ("aiko", "sato"),
    ("ben", "cohen"),
]
_DOMAIN = "contoso.com"
_PROCESSES = [
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
    ),
    (
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --lang=en-US --field-trial-handle=1712',
    ),
    (
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\\ProgramData\\inventory\\collect.ps1",
    ),
    ("C:\\Windows\\System32\\cmd.exe", "cmd.exe /c dir C:\\Users\\Public"),
    (
        "C:\\Windows\\System32\\conhost.exe",
        "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1",
    ),
    (
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
        '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE" /recycle',
    ),
    (
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "powershell.exe -Command Get-MailboxStatistics -Identity helpdesk | Select-Object ItemCount",
    ),
    (
        "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
        "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding",
    ),
]
_PARENTS = [
    "C:\\Windows\\explorer.exe",
    "C:\\Windows\\System32\\services.exe",
    "C:\\Windows\\System32\\cmd.exe",
]
_OPERATIONS = [
    ("MailItemsAccessed", "Exchange", 50),
    ("Send", "Exchange", 2),
    ("FileAccessed", "SharePoint", 6),
    ("FileDownloaded", "OneDrive", 6),
    ("UserLoggedIn", "AzureActiveDirectory", 15),
    ("New-InboxRule", "Exchange", 1),
    ("Set-Mailbox", "Exchange", 1),
    ("Update", "Exchange", 2),
]


def _user(rng, corpus) -> str:
    return f"{rng.choice(corpus._users)}@{_DOMAIN}"


def _process_start(rng, corpus) -> dict:
    image, command = rng.choice(_PROCESSES)
    return {
        "kind": "process",
        "security": rng.random() < 0.3,
        "host": rng.choice(corpus._hosts),
        "image": image,
        "command": command,
        "parent": rng.choice(_PARENTS),
        "pid": rng.randrange(400, 65000),
        "user": f"CONTOSO\\{rng.choice(corpus._users)}",
    }


def _network(rng, corpus) -> dict:
    return {
        "kind": "network",
        "host": rng.choice(corpus._hosts),
        "image": rng.choice(_PROCESSES)[0],
        "destination": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        "port": rng.choice([443, 80, 445, 389, 53, 3389]),
    }


def _logon(rng, corpus) -> dict:
    return {
        "kind": "logon",
        "host": rng.choice(corpus._hosts),
        "user": rng.choice(corpus._users),
        "logon_type": rng.choice([2, 3, 5, 10]),
        "source_ip": f"10.1.{rng.randrange(256)}.{rng.randrange(1, 255)}",
    }


def _audit(rng, corpus) -> dict:
    operation, workload, record_type = rng.choices(
        _OPERATIONS, weights=[40, 6, 15, 6, 20, 2, 1, 10]
    )[0]
    facts = {
        "kind": "audit",
        "operation": operation,
        "workload": workload,
        "record_type": record_type,
        "user": _user(rng, corpus),
        "ip": f"198.51.100.{rng.randrange(1, 255)}",
        "id": f"{rng.getrandbits(128):032x}",
        "parameters": [],
        "properties": [],
    }
    if operation == "MailItemsAccessed":
        facts["properties"] = [("MailAccessType", "Bind"), ("IsThrottled", "False")]
    elif operation == "New-InboxRule":  # tidy-up rules: move, never forward
        facts["parameters"] = [
            ("Name", "Newsletters"),
            ("From", "news@example.org"),
            ("MoveToFolder", "Newsletters"),
        ]
    elif operation == "Set-Mailbox":
        facts["parameters"] = [
            ("Identity", facts["user"]),
            ("RetainDeletedItemsFor", "30.00:00:00"),
        ]
    return facts


_BACKGROUND_KINDS = [_process_start, _network, _logon, _audit]
_BACKGROUND_WEIGHTS = [35, 20, 15, 30]


def write_jsonl(path: Path, events, compress: bool | None = None) -> int:
    """Write events as JSON Lines (gzip when the name ends in .gz); returns how many."""
    path = Path(path)
    compress = path.name.endswith(".gz") if compress is None else compress
    opener = gzip.open if compress else open
    count = 0
    with opener(path, "wt", encoding="utf-8") as fh:
        for event in events:
            fh.write(json.dumps(event, separators=(",", ":")) + "\n")
            count += 1
    return count


# --- generated rules, for scaling with rule count ----------------------------------------------

_WORDS = [
    "svchost",
    "NoProfile",
    "Bypass",
    "netsvcs",
    "renderer",
    "wmiprvse",
    "Get-MailboxStatistics",
    "conhost",
    "inventory",
    "OUTLOOK",
    "recycle",
    "Schedule",
    "Newsletters",
    "RetainDeletedItemsFor",
]
_SYLLABLES = [
    "ka",
    "zu",
    "mor",
    "tex",
    "qui",
    "lo",
    "vin",
    "dra",
    "pex",
    "sul",
    "nor",
    "gri",
    "fa",
    "yel",
]


def _token(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(3, 5)))


def generated_rules(count: int, seed: int = 1114) -> Iterator[tuple[str, str]]:
    """``count`` Sigma rules on the pack's log sources, as (name, YAML text): most look for
    words no corpus holds, some pair a common word with a rare one, one in fifty is a
    temporal correlation of two others."""
    import uuid

    rng = random.Random(seed)
    exchange: list[str] = []
    for n in range(count):
        name = f"gen_rule_{n:05d}"
        rule_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        if len(exchange) >= 2 and rng.random() < 0.02:
            first, second = rng.sample(exchange, 2)
            body = (
                f"correlation:\n  type: temporal\n  rules: [{first}, {second}]\n  group-by: [UserId]\n"
                f"  timespan: 1h\n"
            )
        elif rng.random() < 0.5:
            common = rng.random() < 0.2
            word = rng.choice(_WORDS) if common else _token(rng)
            extra = f"\n      - {_token(rng)}" if common else ""
            body = (
                "logsource:\n  product: windows\n  category: process_creation\ndetection:\n  selection:\n"
                f"    CommandLine|contains|all:\n      - {word}{extra}\n"
                f"    Image|endswith: '\\{rng.choice(['powershell.exe', 'cmd.exe', 'svchost.exe', _token(rng) + '.exe'])}'\n"
                "  condition: selection\n"
            )
        else:
            operation = rng.choice(
                [
                    "New-InboxRule",
                    "Set-InboxRule",
                    "Set-Mailbox",
                    "Add-MailboxPermission",
                    "MailItemsAccessed",
                    _token(rng),
                ]
            )
            parameter = rng.choice(
                ["ForwardTo", "RedirectTo", "ForwardingSmtpAddress", "AccessRights", _token(rng)]
            )
            body = (
                "logsource:\n  product: m365\n  service: exchange\ndetection:\n  selection:\n"
                f"    Operation: {operation}\n    Parameters.{parameter}|contains: {_token(rng)}\n"
                "  condition: selection\n"
            )
            exchange.append(name)
        yield (
            name,
            (
                f"title: Generated rule {n}\nid: {rule_id}\nname: {name}\nstatus: test\n{body}"
                f"level: {rng.choice(['low', 'medium', 'high'])}\n"
            ),
        )
