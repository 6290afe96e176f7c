from __future__ import annotations

from sigma.pipelines.t1114.native import native_pipeline
from t1114.synthetic import native_event
from t1114.targets.base import Target


class NativeTarget(Target):
    name = "native"
    shape = "native"
    builds = False
    description = (
        "events as recorded at the source (Sysmon/Windows XML names, O365 Management API JSON, Microsoft "
        "Graph, Google Reports API, Linux audit records, macOS Endpoint Security messages)"
    )
    timestamp_fields = (
        "@timestamp",
        "timestamp",
        "CreationTime",
        "createdDateTime",
        "activityDateTime",
        "TimeGenerated",
        "date_time",
        "TimeCreated_SystemTime",
        "TimeCreated",
        "UtcTime",
        "id.time",
        "time",
    )

    def evaluation_pipeline(self, tuning=None):
        return native_pipeline(tuning)

    def corpus_event(self, facts, at):
        return native_event(facts, at)


TARGET = NativeTarget()
