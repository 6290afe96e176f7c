"""Shared by the audit tests: where the exports are, and an audit of them built once."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "audit"
TENANT = DATA / "tenant"
BAD = DATA / "bad"
TUNING = DATA / "tuning.yml"
