"""pySigma processing pipelines of the T1114 pack, registered as pySigma plugins.

Installed, this package is ``sigma.pipelines.t1114``: ``sigma list pipelines`` shows the
pipelines below and ``sigma convert -p t1114_splunk -t splunk`` uses them.
"""

from sigma.pipelines.t1114.elastic import t1114_elastic_pipeline
from sigma.pipelines.t1114.native import t1114_native_pipeline
from sigma.pipelines.t1114.splunk import t1114_splunk_pipeline
from sigma.pipelines.t1114.splunk_cim import t1114_splunk_cim_pipeline

pipelines = {
    "t1114_native": t1114_native_pipeline,
    "t1114_splunk": t1114_splunk_pipeline,
    "t1114_elastic": t1114_elastic_pipeline,
    "t1114_splunk_cim": t1114_splunk_cim_pipeline,
}

__all__ = [
    "pipelines",
    "t1114_native_pipeline",
    "t1114_splunk_pipeline",
    "t1114_elastic_pipeline",
    "t1114_splunk_cim_pipeline",
]
