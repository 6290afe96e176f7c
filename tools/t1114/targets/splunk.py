from __future__ import annotations

from sigma.backends.splunk import SplunkBackend
from sigma.pipelines.t1114.splunk import SPLUNK_SOURCES, splunk_pipeline

from t1114.targets.base import Target, logsources_of


class SplunkTarget(Target):
    name = "splunk"
    shape = "splunk"
    description = "SPL over the Splunk add-ons' field names, sources behind overridable macros"
    timestamp_fields = ("_time", "timestamp")

    def evaluation_pipeline(self):
        return splunk_pipeline(macros=False)

    def query_pipeline(self):
        return splunk_pipeline(macros=True)

    def backend_for(self, rule):
        return SplunkBackend(processing_pipeline=self.query_pipeline()), "spl", "spl"

    def extra_for(self, rule):
        macros = {
            source.macro
            for ls in logsources_of(rule)
            for source in SPLUNK_SOURCES.values()
            if source.logsource.matches(ls)
        }
        return {"macros": sorted(macros)}

    def package(self, bundle, out):
        from t1114.package.splunk import write_app

        write_app(bundle, out)


TARGET = SplunkTarget()
