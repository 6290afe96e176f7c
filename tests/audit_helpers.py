"""Shared by the audit tests: where the exports are, and an audit of them built once."""

from __future__ import annotations

import functools
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "audit"
TENANT = DATA / "tenant"
BAD = DATA / "bad"
TUNING = DATA / "tuning.yml"


@functools.cache
def tenant_audit():
    """The fixture tenant audited once per session (the audit does not change it)."""
    from t1114.audit.run import audit_paths, tenant_from_tuning

    return audit_paths([TENANT], tenant_from_tuning(TUNING))


def by(result, finding: str, obj: str):
    return [f for f in result.findings if f.finding == finding and f.object == obj]
