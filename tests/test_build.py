"""What ``t1114 build`` writes under dist/queries/: one query per file, each accepted by its
language's parser, and the manifest naming every file."""

from __future__ import annotations

import json

from t1114.verify import VERIFIERS

LANGUAGE_OF = {"eql": "eql", "esql": "esql", "spl": "spl"}


def test_every_query_file_holds_one_query_its_parser_accepts(dist):
    files = sorted((dist / "queries").rglob("*.*"))
    assert files
    for path in files:
        language = LANGUAGE_OF[path.suffix.lstrip(".")]
        text = path.read_text(encoding="utf-8")
        # parse() raises QuerySyntaxError on anything but one well-formed query.
        assert VERIFIERS[language].parse(text) is not None, path
        if language == "eql":
            assert text.count("sequence") <= 1, path


def test_a_rule_with_several_queries_has_one_file_each(dist):
    manifest = json.loads((dist / "manifest.json").read_text())
    paths = {p for rule in manifest["rules"] for files in rule["queries"].values() for p in files}
    assert paths == {str(p.relative_to(dist)) for p in (dist / "queries").rglob("*.*")}
    several = {
        rule["name"]: files
        for rule in manifest["rules"]
        for files in rule["queries"].values()
        if len(files) > 1
    }
    # The any-order temporal correlation on Elastic: one EQL sequence per order of its rules.
    assert several["m365_forwarding_rule_and_mailbox_sync"] == [
        "queries/elastic/m365_forwarding_rule_and_mailbox_sync.1.eql",
        "queries/elastic/m365_forwarding_rule_and_mailbox_sync.2.eql",
    ]
    first, second = [
        (dist / p).read_text() for p in several["m365_forwarding_rule_and_mailbox_sync"]
    ]
    assert first.startswith("sequence") and second.startswith("sequence") and first != second
