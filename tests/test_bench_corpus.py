"""The benchmark's corpora look like telemetry: the volumes the issue describes, attacks rare."""

from __future__ import annotations

from collections import Counter

from t1114.bench_corpus import TelemetryCorpus


def _sample(pack, profile, n=20_000):
    corpus = TelemetryCorpus(pack, profile, seed=3)
    return corpus, list(corpus.events(n))


def test_realistic_volumes(pack):
    corpus, events = _sample(pack, "realistic")
    operations = Counter(e["Operation"] for e in events if isinstance(e.get("Operation"), str))
    windows = Counter(str(e["Event"]["System"]["EventID"]) for e in events if "Event" in e)
    # Exchange mailbox auditing dominates Microsoft 365; ordinary Sysmon events dominate Windows.
    assert operations.most_common(1)[0][0] == "MailItemsAccessed"
    assert operations["MailItemsAccessed"] > 0.5 * sum(operations.values())
    assert windows["1"] + windows["3"] + windows["11"] > 0.6 * sum(windows.values())
    # Attacks are rare: planted fixture cases about 1 in 10,000 events.
    assert 0 < corpus.planted < 10
    assert all(str(e.get("UserDisplayName", "")).isascii() for e in events if "Operation" in e)


def test_worst_case_events_cannot_be_judged_by_the_prefilter(pack):
    _, events = _sample(pack, "worst_case", 2000)
    background = [
        e
        for e in events
        if "UserDisplayName" in e or "UserDisplayName" in e.get("Event", {}).get("EventData", {})
    ]
    assert len(background) > 0.99 * len(events)
    assert all(
        not (e.get("UserDisplayName") or e["Event"]["EventData"]["UserDisplayName"]).isascii()
        for e in background
    )
