"""ATT&CK data comes from the shipped bundle, never from the network."""

import urllib.request

from t1114.attack import load_attack, use_offline_attack_data


def test_validators_load_attack_without_network(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("network access attempted")

    import sigma.data.mitre_attack as loader

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(loader, "urlopen", refuse)
    use_offline_attack_data()
    from sigma.data import mitre_attack

    assert mitre_attack.mitre_attack_techniques["T1114.003"] == "Email Forwarding Rule"
    assert "collection" in mitre_attack.mitre_attack_techniques_tactics_mapping["T1114"]


def test_pack_data_covers_the_detection_strategy():
    data = load_attack()
    assert set(data.detection_strategies["DET0476"]["analytics"]) == {
        "AN1309",
        "AN1310",
        "AN1311",
        "AN1312",
    }
    assert data.technique_for_tag("attack.t1114.001").name == "Local Email Collection"
    assert data.tactic_for_tag("attack.collection").id == "TA0009"
