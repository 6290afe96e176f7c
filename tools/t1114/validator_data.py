"""Offline data for pySigma's data-driven validators.

SigmaHQ's field-name, log-source and Windows validators and the D3FEND tag validator
download their reference data on first use. The pack supplies its own instead, so
validation never touches the network and checks rules against the pack's taxonomy (the log
sources and field names in ``pipelines/sources.py``) rather than SigmaHQ's repository layout.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from sigma.pipelines.t1114.sources import SOURCES

# Windows categories whose rules must not test EventID: the category already implies it.
_CATEGORIES_WITHOUT_EVENTID = ("process_creation",)

_configured = False


def _taxonomy() -> dict:
    taxonomy = {}
    for key, source in sorted(SOURCES.items()):
        logsource = {
            k: v
            for k, v in (
                ("product", source.product),
                ("category", source.category),
                ("service", source.service),
            )
            if v
        }
        taxonomy[key] = {
            "logsource": logsource,
            "field": {"native": sorted(source.fields), "custom": [], "redundant": []},
        }
    return {"version": "t1114-pack", "taxonomy": taxonomy}


def use_offline_validator_data() -> None:
    """Write the pack's validator data to a private directory and point the loaders at it."""
    global _configured
    if _configured:
        return
    from sigma.validators.sigmahq.data import (
        data_filename,
        data_taxonomy,
        data_windows_eventid,
        data_windows_provider,
    )

    directory = Path(tempfile.mkdtemp(prefix="t1114-validator-data-"))
    documents = {
        data_taxonomy: ("taxonomy.json", _taxonomy()),
        # The pack names files after the rule's `name` (checked by t1114 itself), so no
        # SigmaHQ file-name prefixes apply.
        data_filename: ("filename.json", {"version": "t1114-pack", "pattern": {}}),
        data_windows_eventid: (
            "windows_eventid.json",
            {"version": "t1114-pack", "category_no_eventid": list(_CATEGORIES_WITHOUT_EVENTID)},
        ),
        data_windows_provider: (
            "windows_provider.json",
            {"version": "t1114-pack", "category_provider_name": {}},
        ),
    }
    for module, (name, content) in documents.items():
        path = directory / name
        path.write_text(json.dumps(content, indent=1, sort_keys=True), encoding="utf-8")
        module.set_cache_dir(str(directory / "cache" / name))
        module.set_url(str(path))
    _configured = True
