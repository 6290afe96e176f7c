"""Splunk CIM: the ``tstats`` variant of the Splunk searches, for rules on CIM-modelled sources.

Not a second copy of any rule: the same Sigma rule goes through the CIM pipeline
(pipelines/splunk_cim.py) and the Splunk backend's ``data_model`` output format. Events are
Splunk's (fixture shape ``splunk``), read through the CIM field names the add-ons extract.
"""

from __future__ import annotations

from sigma.backends.splunk import SplunkBackend
from sigma.correlations import SigmaCorrelationRule

from sigma.pipelines.t1114.splunk_cim import cim_source_for, splunk_cim_pipeline
from t1114 import schema
from t1114.targets.base import Target, detection_fields
from t1114.targets.splunk import corpus_event, verification_context


class PackSplunkCimBackend(SplunkBackend):
    """The stock ``data_model`` output, with two fixes the query-level check found:

    * with OR-ed regexes the stock ``tstats ... where <condition>`` refers to the
      ``<field>Condition`` fields that only the ``rex``/``eval`` after it create, so ``tstats``
      drops the very events the regex should catch; the condition already runs again after
      them (``| search``), so ``tstats`` reads the whole data set (``where *``);
    * the search after ``tstats`` sees only its ``by`` fields, so every field the rule's
      condition uses joins the ``by`` list.
    """

    def finalize_query_data_model(self, rule, query, index, state):
        used = sorted(f for f in detection_fields(rule) if "." in f)
        state.processing_state["fields"] = list(
            dict.fromkeys([*state.processing_state.get("fields", []), *used])
        )
        text = super().finalize_query_data_model(rule, query, index, state)
        marker = "\n| search "
        if marker in query:
            condition = query.split(marker, 1)[1].split("\n| ", 1)[0]
            text = text.replace(f" where {condition} by ", " where * by ", 1)
        return text


class SplunkCimTarget(Target):
    name = "splunk_cim"
    shape = "splunk"
    description = (
        "tstats searches over the Splunk CIM data models (Endpoint.Processes, Endpoint.Filesystem)"
    )
    timestamp_fields = ("_time", "timestamp")
    output_format = "data_model"

    def applies_to(self, rule):
        return (
            not isinstance(rule, SigmaCorrelationRule)
            and cim_source_for(rule.logsource) is not None
        )

    def evaluation_pipeline(self, tuning=None):
        return splunk_cim_pipeline(query=False, tuning=tuning)

    def query_pipeline(self, tuning=None):
        return splunk_cim_pipeline(query=True, tuning=tuning)

    def backend_for(self, rule, tuning=None):
        return PackSplunkCimBackend(processing_pipeline=self.query_pipeline(tuning)), "spl", "spl"

    def extra_for(self, rule):
        source = cim_source_for(rule.logsource)
        assert source is not None  # applies_to admits only rules on a CIM source
        return {"datamodel": source.datamodel}

    def unknown_fields(self, compiled):
        datamodel = compiled.extra.get("datamodel", "")
        entry = schema.splunk_datamodel(datamodel)
        if not entry:
            return [f"no Splunk CIM schema for data model {datamodel!r}"]
        known = {f"{entry['prefix']}.{f}" for f in entry["fields"]}
        return [
            f"field '{f}' is not in the CIM data model {datamodel}"
            for f in compiled.fields
            if f not in known
        ]

    def verification_context(self, compiled):
        return verification_context(self, compiled)

    def corpus_event(self, facts, at):
        return corpus_event(facts, at)


TARGET = SplunkCimTarget()
