"""The audit as one self-contained HTML page: counts by severity, every finding by severity,
then per mailbox, each with its evidence row and its fix. Inline CSS only: no script, font,
image or stylesheet is fetched, so the page can be mailed or archived as it is."""

from __future__ import annotations

import json
from collections import defaultdict
from html import escape

from t1114.audit.findings import MITIGATION, SEVERITIES, Finding
from t1114.audit.render import counts, summary_line
from t1114.audit.run import AuditResult

COLOURS = {
    "critical": "#7a0019",
    "high": "#c0392b",
    "medium": "#d68910",
    "low": "#2471a3",
    "informational": "#5d6d7e",
}
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2em;color:#1b1b1b;
max-width:80em}
h1{font-size:1.5em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}h3{margin-bottom:.3em}
table{border-collapse:collapse;margin:.4em 0}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}.sev{color:#fff;padding:.1em .45em;border-radius:.25em;font-weight:bold}
pre{background:#f6f6f6;border:1px solid #ddd;padding:.5em;white-space:pre-wrap}
.finding{margin:1em 0 1.5em}.meta{color:#555}
.new{background:#fde68a;padding:.1em .4em;border-radius:.25em;font-weight:bold}
"""


def _badge(severity: str) -> str:
    return f'<span class="sev" style="background:{COLOURS[severity]}">{escape(severity)}</span>'


def _value(value: object) -> str:
    if isinstance(value, (dict, list)):
        return escape(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return escape("" if value is None else str(value))


def _finding(f: Finding) -> str:
    rows = "".join(
        f"<tr><th>{escape(str(k))}</th><td>{_value(v)}</td></tr>" for k, v in f.evidence.items()
    )
    where = f"{f.source_file}:{f.line}" if f.line else f.source_file
    target = (
        f' &rarr; <strong class="target">{escape(f.external_target)}</strong>'
        if f.external_target
        else ""
    )
    new = ' <span class="new">new</span>' if f.new else ""
    reasons = "".join(f"<li>{escape(r)}</li>" for r in f.reasons)
    return (
        f'<div class="finding" id="f-{f.id}" data-severity="{f.severity}" '
        f'data-finding="{escape(f.finding)}">'
        f"<h3>{_badge(f.severity)} <code>{escape(f.finding)}</code> "
        f"{escape(f.object)}{target}{new}</h3>"
        f'<p>{escape(f.summary)}</p><p class="meta">{escape(f.technique)} &middot; '
        f"{MITIGATION} &middot; "
        f"id {f.id} &middot; {escape(where)}</p><ul>{reasons}</ul>"
        f'<table class="evidence"><caption>Evidence row</caption>{rows}</table>'
        "<p>Fix (review, then run yourself):</p>"
        f'<pre class="fix"><code>{escape(f.fix)}</code></pre></div>'
    )


def report(result: AuditResult, resolved: list[dict] | None = None) -> str:
    c = counts(result)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>t1114 audit: {escape(summary_line(result))}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>T1114 email collection audit ({MITIGATION} Audit)</h1>",
        f'<p id="summary">{escape(summary_line(result))}</p>',
        '<table id="counts"><tr><th>Severity</th><th>Findings</th></tr>',
    ]
    parts += [
        f'<tr data-severity="{s}"><td>{_badge(s)}</td><td>{c[s]}</td></tr>'
        for s in reversed(SEVERITIES)
    ]
    parts.append("</table>")
    if result.errors:
        parts.append('<h2 id="problems">Input problems</h2><ul>')
        parts += [f"<li>{escape(str(e))}</li>" for e in result.errors]
        parts.append("</ul>")
    parts.append('<h2 id="by-severity">Findings by severity</h2>')
    for s in reversed(SEVERITIES):
        mine = [f for f in result.findings if f.severity == s]
        if mine:
            parts.append(
                f'<section class="severity" data-severity="{s}"><h2>{_badge(s)} {len(mine)}</h2>'
            )
            parts += [_finding(f) for f in mine]
            parts.append("</section>")
    parts.append('<h2 id="by-mailbox">Per mailbox</h2>')
    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        groups[f.mailbox or "(tenant-wide)"].append(f)
    for mailbox in sorted(groups, key=lambda m: (m == "(tenant-wide)", m.lower())):
        items = "".join(
            f'<li>{_badge(f.severity)} <a href="#f-{f.id}">{escape(f.finding)}</a> '
            f"{escape(f.object)}"
            + (f" &rarr; {escape(f.external_target)}" if f.external_target else "")
            + "</li>"
            for f in groups[mailbox]
        )
        parts.append(
            f'<section class="mailbox"><h3>{escape(mailbox)}</h3><ul>{items}</ul></section>'
        )
    if resolved:
        parts.append('<h2 id="resolved">Resolved since the baseline</h2><ul>')
        parts += [
            f"<li>{_value(d.get('severity'))} {_value(d.get('finding'))}: "
            f"{_value(d.get('object'))}</li>"
            for d in resolved
        ]
        parts.append("</ul>")
    parts.append(
        '<h2 id="sources">Exports read</h2><table><tr><th>File</th><th>Export</th><th>Format</th>'
        "<th>Records</th></tr>"
    )
    parts += [
        f"<tr><td>{escape(s.path)}</td><td>{escape(s.source or 'not read')}</td>"
        f"<td>{escape(s.format or '')}</td><td>{s.records}</td></tr>"
        for s in result.files
    ]
    parts.append("</table></body></html>\n")
    return "\n".join(parts)
