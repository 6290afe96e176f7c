"""Splunk CIM: the ``tstats`` variant of the Splunk searches, for rules on CIM-modelled sources.

Not a second copy of any rule: the same Sigma rule goes through the CIM pipeline
(pipelines/splunk_cim.py) and the Splunk backend's ``data_model`` output format. Events are
Splunk's (fixture shape ``splunk``), read through the CIM field names the add-ons extract.
"""

from __future__ import annotations

from sigma.backends.splunk import SplunkBackend
from sigma.correlations import SigmaCorrelationRule
from sigma.pipelines.t1114.splunk_cim import cim_source_for, splunk_cim_pipeline

from t1114.targets.base import Target


class SplunkCimTarget(Target):
    name = "splunk_cim"
    shape = "splunk"
    description = "tstats searches over the Splunk CIM data models (Endpoint.Processes, Endpoint.Filesystem)"
    timestamp_fields = ("_time", "timestamp")
    output_format = "data_model"

    def applies_to(self, rule):
        return not isinstance(rule, SigmaCorrelationRule) and cim_source_for(rule.logsource) is not None

    def evaluation_pipeline(self):
        return splunk_cim_pipeline(query=False)

    def query_pipeline(self):
        return splunk_cim_pipeline(query=True)

    def backend_for(self, rule):
        return SplunkBackend(processing_pipeline=self.query_pipeline()), "spl", "spl"

    def extra_for(self, rule):
        return {"datamodel": cim_source_for(rule.logsource).datamodel}


TARGET = SplunkCimTarget()
