"""The comparison of two sides, as a pure function of them: rules added, removed and changed,
query diffs, fixture verdicts, validator findings, coverage, and the regressions among them."""

from __future__ import annotations

import difflib

from t1114.package import coverage
from t1114.review.sides import Side


def _verdict(result: dict | None) -> str:
    if result is None:
        return "absent"
    return "pass" if result["passed"] else "fail"


def _diff(before: str, after: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            f"a/{name}",
            f"b/{name}",
        )
    )


def _metadata_changes(before: dict, after: dict) -> dict:
    changes = {}
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changes[key] = {"before": before.get(key), "after": after.get(key)}
    return changes


def _rule_entry(side_rules: dict, rid: str) -> dict:
    rule = side_rules[rid]
    return {
        "id": rid,
        "name": rule["name"],
        "title": rule["title"],
        "analytic": rule.get("analytic"),
    }


def _fixture_rows(base: Side, head: Side, rid: str) -> list[dict]:
    """A rule's fixture verdicts before and after, then its query-level checks."""
    rows = []
    for before, after, status, label in (
        (base.verdicts(), head.verdicts(), _verdict, "{}"),
        (base.query_checks(), head.query_checks(), _check_status, "{} query"),
    ):
        keys = sorted(
            {k for k in before if k[0] == rid} | {k for k in after if k[0] == rid},
            key=lambda k: (k[1], k[2]),
        )
        for key in keys:
            b, a = before.get(key), after.get(key)
            known = a or b
            assert known is not None  # the key comes from one side or the other
            rows.append(
                {
                    "target": label.format(key[1]),
                    "case": key[2],
                    "before": status(b),
                    "after": status(a),
                    "reason": known["reason"],
                }
            )
    return rows


def _check_status(check: dict | None) -> str:
    return "absent" if check is None else check["status"]


def _fixture_summary(side: Side, rid: str) -> dict[str, str]:
    out: dict[str, list[int]] = {}
    for r in side.results:
        if r["rule_id"] == rid:
            counts = out.setdefault(r["target"], [0, 0])
            counts[0] += bool(r["passed"])
            counts[1] += 1
    return {t: f"{p}/{n}" for t, (p, n) in sorted(out.items())}


def compare(base: Side, head: Side) -> dict:
    base_rules, head_rules = base.rules, head.rules
    added = sorted(set(head_rules) - set(base_rules), key=lambda r: head_rules[r]["name"])
    removed = sorted(set(base_rules) - set(head_rules), key=lambda r: base_rules[r]["name"])
    common = sorted(set(base_rules) & set(head_rules), key=lambda r: head_rules[r]["name"])
    targets = sorted({t for _, t in base.queries} | {t for _, t in head.queries})

    def details(rid: str) -> dict:
        entry = _rule_entry(head_rules if rid in head_rules else base_rules, rid)
        queries = {}
        for target in targets:
            b, a = base.queries.get((rid, target)), head.queries.get((rid, target))
            if b != a:
                name = f"queries/{target}/{entry['name']}"
                queries[target] = {
                    "status": "added" if b is None else "removed" if a is None else "changed",
                    "diff": _diff(b or "", a or "", name),
                }
        entry["metadata"] = _metadata_changes(base.docs.get(rid, {}), head.docs.get(rid, {}))
        entry["queries"] = queries
        entry["fixtures"] = _fixture_rows(base, head, rid)
        entry["fixtures_before"] = _fixture_summary(base, rid)
        entry["fixtures_after"] = _fixture_summary(head, rid)
        return entry

    changed, affected = [], []
    for rid in common:
        entry = details(rid)
        fixture_change = any(row["before"] != row["after"] for row in entry["fixtures"])
        if base.docs.get(rid) != head.docs.get(rid):
            changed.append(entry)
        elif entry["queries"] or fixture_change:
            affected.append(entry)

    regressions = []
    before, after = base.verdicts(), head.verdicts()
    for key, b in sorted(before.items(), key=lambda kv: (kv[1]["rule_name"], kv[0][1], kv[0][2])):
        a = after.get(key)
        if b["passed"] and a is not None and not a["passed"]:
            regressions.append(
                {
                    "kind": "fixture",
                    "rule": b["rule_name"],
                    "target": key[1],
                    "case": key[2],
                    "reason": a["reason"],
                }
            )
    checks_before, checks_after = base.query_checks(), head.query_checks()
    for key, b in sorted(
        checks_before.items(), key=lambda kv: (kv[1]["rule_name"], kv[0][1], kv[0][2])
    ):
        a = checks_after.get(key)
        if b["status"] == "agree" and a is not None and a["status"] in ("disagree", "syntax"):
            regressions.append(
                {
                    "kind": "query",
                    "rule": b["rule_name"],
                    "target": key[1],
                    "case": key[2],
                    "reason": a["reason"],
                }
            )
    for rid in common:
        for target in targets:
            if (rid, target) in base.queries and (rid, target) not in head.queries:
                regressions.append(
                    {"kind": "target", "rule": head_rules[rid]["name"], "target": target}
                )
    if head.errors and not base.errors:
        regressions.append(
            {"kind": "build", "rule": None, "target": None, "reason": head.errors[0]}
        )

    return {
        "base": {
            "label": base.label,
            "commit": base.commit,
            "errors": base.errors,
            "notes": base.notes,
        },
        "head": {
            "label": head.label,
            "commit": head.commit,
            "errors": head.errors,
            "notes": head.notes,
        },
        "summary": {
            "rules": [len(base_rules), len(head_rules)],
            "fixture_verdicts_passing": [
                sum(r["passed"] for r in base.results),
                sum(r["passed"] for r in head.results),
            ],
            "fixture_verdicts": [len(base.results), len(head.results)],
            "query_checks_agreeing": [
                sum(c["status"] == "agree" for c in side.checks) for side in (base, head)
            ],
            "query_checks": [len(base.checks), len(head.checks)],
            "findings": [len(base.findings), len(head.findings)],
        },
        "rules": {
            "added": [details(rid) for rid in added],
            "removed": [details(rid) for rid in removed],
            "changed": changed,
            "affected": affected,
        },
        "fixtures": {
            "per_rule": [
                {
                    "rule": (head_rules.get(rid) or base_rules[rid])["name"],
                    "before": _fixture_summary(base, rid),
                    "after": _fixture_summary(head, rid),
                }
                for rid in sorted(
                    set(base_rules) | set(head_rules),
                    key=lambda r: (head_rules.get(r) or base_rules[r])["name"],
                )
            ],
            "failing": [
                {
                    "rule": r["rule_name"],
                    "target": r["target"],
                    "case": r["case"],
                    "reason": r["reason"],
                }
                for r in head.results
                if not r["passed"]
            ],
        },
        "findings": {
            "new": sorted(set(head.findings) - set(base.findings)),
            "resolved": sorted(set(base.findings) - set(head.findings)),
        },
        "coverage": _coverage_change(base, head),
        "regressions": regressions,
        "ok": not regressions,
    }


def _coverage_of(side: Side) -> dict:
    return coverage.model(side.manifest, side.results)


def _coverage_change(base: Side, head: Side) -> dict:
    b, a = _coverage_of(base), _coverage_of(head)

    def per_analytic(cov: dict) -> dict:
        return {
            x["id"]: {
                "platform": x["platform"],
                "rules": len(x["rules"]),
                "cases": sum(r["cases"]["match"] + r["cases"]["no_match"] for r in x["rules"]),
                "techniques": sorted({t for r in x["rules"] for t in r["techniques"]}),
            }
            for x in cov["analytics"]
        }

    pb, pa = per_analytic(b), per_analytic(a)
    analytics = []
    for aid in sorted(set(pb) | set(pa)):
        platform = (pa.get(aid) or pb[aid])["platform"]
        empty = {"platform": platform, "rules": 0, "cases": 0, "techniques": []}
        x, y = pb.get(aid, empty), pa.get(aid, empty)
        analytics.append(
            {"analytic": aid, "platform": y["platform"], "before": x, "after": y, "changed": x != y}
        )
    techniques = []
    for tid in sorted(set(b["techniques"]) | set(a["techniques"])):
        x = len(b["techniques"].get(tid, {}).get("rules", []))
        y = len(a["techniques"].get(tid, {}).get("rules", []))
        techniques.append({"technique": tid, "before": x, "after": y})
    return {"analytics": analytics, "techniques": techniques}
