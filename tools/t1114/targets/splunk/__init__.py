"""Splunk: SPL over the add-ons' field names, each source behind an overridable macro.

``backend`` holds the SPL backend, ``package`` the Splunk app; the CIM variant
(``t1114.targets.splunk_cim``) reads the same events and shares the helpers below.
"""

from __future__ import annotations

import datetime as dt

from sigma.pipelines.t1114.splunk import SPLUNK_SOURCES, macros, splunk_pipeline
from sigma.pipelines.t1114.splunk_cim import CIM_SOURCES
from t1114.compiled import CompiledQuery
from t1114.synthetic import native_event
from t1114.targets import renderers as shapes
from t1114.targets.base import Target, logsources_of
from t1114.targets.splunk.backend import PackSplunkBackend
from t1114.targets.splunk.fields import sourcetypes, unknown_fields
from t1114.targets.splunk.package import write_app
from t1114.verify.base import Context

__all__ = [
    "TARGET",
    "PackSplunkBackend",
    "SplunkTarget",
    "corpus_event",
    "sourcetypes",
    "verification_context",
]


def verification_context(target: Target, compiled: CompiledQuery) -> Context:
    """Splunk searches expand the source macros and read the CIM data models' constraints."""
    datamodels = {s.datamodel: tuple(s.tags) for s in CIM_SOURCES.values()}
    return Context(
        target.name, tuple(target.timestamp_fields), macros=macros(), datamodels=datamodels
    )


def corpus_event(f: dict, at: dt.datetime) -> dict:
    """A synthetic event as the add-ons index it (t1114.corpus): its source's record, rendered
    by t1114.targets.renderers with the usual collector."""
    return shapes.render(native_event(f, at), "splunk")[0]


class SplunkTarget(Target):
    name = "splunk"
    shape = "splunk"
    description = "SPL over the Splunk add-ons' field names, sources behind overridable macros"
    timestamp_fields = ("_time", "timestamp")

    def evaluation_pipeline(self, tuning=None):
        return splunk_pipeline(macros=False, tuning=tuning)

    def query_pipeline(self, tuning=None):
        return splunk_pipeline(macros=True, tuning=tuning)

    def backend_for(self, rule, tuning=None):
        return PackSplunkBackend(processing_pipeline=self.query_pipeline(tuning)), "spl", "spl"

    def extra_for(self, rule):
        used = {
            source.macro
            for ls in logsources_of(rule)
            for source in SPLUNK_SOURCES.values()
            if source.logsource.matches(ls)
        }
        return {"macros": sorted(used)}

    def corpus_event(self, facts, at):
        return corpus_event(facts, at)

    def unknown_fields(self, compiled):
        return unknown_fields(compiled)

    def verification_context(self, compiled):
        return verification_context(self, compiled)

    def package(self, bundle, out):
        write_app(bundle, out)


TARGET = SplunkTarget()
