"""The HTML report in a real headless browser: Debian's chromium loads the file:// report,
and the test reads back the DOM it built and the pixels it painted.

chromium is installed by ``make test`` when missing; without it this test fails, it does not
skip: a report nobody has looked at in a browser is not checked.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from audit_helpers import tenant_audit
from t1114.audit import html
from t1114.audit.findings import Finding
from t1114.audit.run import AuditResult

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "chromium is not installed: `make test` installs it "
            "(apt-get install -y --no-install-recommends chromium)"
        )
    profile = tmp / f"profile-{len(list(tmp.iterdir()))}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


HOSTILE = Finding(
    source_file="x.csv",
    line=2,
    source_kind="exchange.inbox_rule",
    object="<script>alert(1)</script>",
    finding="inbox_rule_forwards_external",
    severity="critical",
    technique="T1114.003",
    summary="s",
    evidence={"Name": "<img src=x onerror=alert(1)>"},
    fix="Remove-InboxRule -Identity '<b>'",
    external_target="x@evil.example",
    mailbox="m@corp.example",
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("html")
    result = tenant_audit()
    report = tmp / "report.html"
    report.write_text(
        html.report(AuditResult(result.findings + [HOSTILE], [], result.files)), encoding="utf-8"
    )
    dom = chromium(tmp, "--dump-dom", report.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    shot = tmp / "shot.png"
    painted = chromium(tmp, f"--screenshot={shot}", "--window-size=1000,700", report.as_uri())
    assert painted.returncode == 0 and shot.exists(), painted.stderr[-2000:]
    return result, dom.stdout, shot


def test_dom_lists_every_finding_with_its_fix(rendered):
    result, dom, _ = rendered
    ids = re.findall(r'<div class="finding" id="f-([0-9a-f]{16})" data-severity="(\w+)"', dom)
    assert sorted(ids) == sorted(
        [(f.id, f.severity) for f in result.findings] + [(HOSTILE.id, "critical")]
    )
    assert "Set-RemoteDomain -Identity 'Default' -AutoForwardEnabled $false" in dom
    assert '<table class="evidence"><caption>Evidence row</caption>' in dom


def test_findings_come_by_severity_then_per_mailbox(rendered):
    _, dom, _ = rendered
    sections = re.findall(r'<section class="severity" data-severity="(\w+)"', dom)
    assert sections == ["critical", "high", "medium", "low", "informational"]
    assert dom.index('id="by-severity"') < dom.index('id="by-mailbox"')
    mailboxes = re.findall(r'<section class="mailbox"><h3>([^<]+)</h3>', dom)
    assert "bob@northwind.example" in mailboxes and mailboxes[-1] == "(tenant-wide)"


def test_hostile_values_stay_text(rendered):
    _, dom, _ = rendered
    assert "<script>alert" not in dom and "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "<img" not in dom and "<b>" not in dom


def test_no_external_resources(rendered):
    _, dom, _ = rendered
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", dom)
    assert "<script" not in dom and "<link" not in dom


def _pixels(png: Path) -> tuple[int, int, list[bytes]]:
    """The rows of an 8-bit RGB/RGBA, non-interlaced PNG (what chromium writes), unfiltered."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0
    bpp = 4 if colour == 6 else 3
    raw, stride, rows, prev = (
        zlib.decompress(idat),
        width * (4 if colour == 6 else 3),
        [],
        bytearray(width * bpp),
    )
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, bpp, rows


def test_the_browser_paints_the_severity_badges(rendered):
    _, _, shot = rendered
    width, bpp, rows = _pixels(shot)
    colours = {tuple(row[x * bpp : x * bpp + 3]) for row in rows for x in range(0, width, 2)}
    critical = tuple(int(html.COLOURS["critical"][i : i + 2], 16) for i in (1, 3, 5))
    high = tuple(int(html.COLOURS["high"][i : i + 2], 16) for i in (1, 3, 5))
    assert critical in colours and high in colours
