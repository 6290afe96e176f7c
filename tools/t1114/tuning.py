"""The pack's tuning file: organisation-specific lists every target's pipeline writes into its queries.

The lists and their defaults are defined by the pipelines (``sigma.pipelines.t1114.tuning``), so
sigma-cli users get the same defaults; this module reads config/tuning.yml, checks it, and hands
the lists it sets to the targets. A list the file leaves out keeps its default.
"""

from __future__ import annotations

from pathlib import Path

from sigma.pipelines.t1114.tuning import TUNING
from t1114.errors import PackError
from t1114.safeyaml import load_yaml_documents

Tuning = dict[str, list[str]]


def load_tuning(path: Path) -> Tuning:
    """The lists a tuning file sets; an absent file sets none."""
    if not path.exists():
        return {}
    docs = load_yaml_documents(path)
    if not docs:
        return {}
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise PackError(path, "a tuning file is one YAML mapping of list names to lists of strings")
    tuning: Tuning = {}
    for name, values in docs[0].items():
        if name not in TUNING:
            raise PackError(path, f"unknown tuning list '{name}' (known: {', '.join(TUNING)})")
        if values is None:
            values = []
        if not isinstance(values, list) or not all(
            isinstance(v, str) and v.strip() for v in values
        ):
            raise PackError(path, f"'{name}' must be a list of non-empty strings")
        tuning[name] = [v.strip() for v in values]
    return tuning
