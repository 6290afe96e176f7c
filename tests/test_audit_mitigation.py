"""The audit appears in the coverage layer as M1047's implementation."""

from __future__ import annotations

from t1114.audit.mitigation import mitigation_coverage, technique_note
from t1114.package import coverage


def test_coverage_model_and_layer_name_the_audit():
    cov = coverage.model({"rules": []}, [])
    m1047 = cov["mitigations"]["M1047"]
    assert m1047["implementation"] == "t1114 audit" and m1047["name"] == "Audit"
    assert "inbox_rule_forwards_external" in m1047["techniques"]["T1114.003"]
    assert "role_assignment_mailbox_import_export" in m1047["techniques"]["T1114.002"]
    layer = coverage.navigator_layer(cov)
    comments = {t["techniqueID"]: t["comment"] for t in layer["techniques"]}
    assert comments["T1114.003"].endswith(technique_note("T1114.003"))
    assert "t1114 audit" not in comments.get("T1114.001", "")
    assert cov["mitigations"] == mitigation_coverage()
