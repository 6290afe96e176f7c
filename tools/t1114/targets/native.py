from __future__ import annotations

from sigma.pipelines.t1114.native import t1114_native_pipeline

from t1114.targets.base import Target


class NativeTarget(Target):
    name = "native"
    shape = "native"
    builds = False
    description = (
        "events as recorded at the source (Sysmon/Windows XML names, O365 Management API JSON, Linux audit "
        "records, macOS Endpoint Security messages)"
    )
    timestamp_fields = (
        "@timestamp",
        "timestamp",
        "CreationTime",
        "TimeCreated_SystemTime",
        "TimeCreated",
        "UtcTime",
        "id.time",
        "time",
    )

    def evaluation_pipeline(self):
        return t1114_native_pipeline()


TARGET = NativeTarget()
