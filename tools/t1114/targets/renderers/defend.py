"""What every Elastic Defend event carries, whatever the operating system: its data stream and
its ``event`` fields (the per-OS renderers add the process, file and host details)."""

from __future__ import annotations


def envelope(kind: str, action: str, types: list[str]) -> dict:
    """``data_stream`` and ``event`` of a Defend ``kind`` event (``process``, ``file``)."""
    dataset = f"endpoint.events.{kind}"
    return {
        "data_stream": {"dataset": dataset, "namespace": "default", "type": "logs"},
        "event": {
            "action": action,
            "category": [kind],
            "type": types,
            "kind": "event",
            "module": "endpoint",
            "dataset": dataset,
        },
    }
