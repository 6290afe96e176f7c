"""Sigma regexes in Lucene syntax (EQL regex, ES|QL RLIKE) keep their meaning: the translated
pattern matches the whole value exactly when the original finds a match in it."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from t1114.targets.elastic import lucene_regex
from t1114.verify.lucene_regex import compile_lucene_regex


def pcre_to_lucene(pattern):
    flags = 0
    if pattern.startswith("(?i)"):  # the rule's |i modifier
        pattern, flags = pattern[4:], re.IGNORECASE
    return lucene_regex(pattern), bool(flags)


PATTERNS = [
    r"new-mailbox[a-z]+request",
    r"(?i)NEW-MAILBOX[a-z]+request",
    r"^C:\\Windows\\.*\.exe$",
    r"a|b",
    r"^x(y|z)+",
    r"[0-9]{2,3}@evil",
    r'say "hi" #1 <a> & ~b',
]


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=80, deadline=None)
@given(
    text=st.text(st.sampled_from(list('abxyz0123@-"#<>&~ \\.CWindowsexNEWmailbox')), max_size=30)
)
def test_translation_keeps_search_semantics(pattern, text):
    lucene, ignore_case = pcre_to_lucene(pattern)
    expected = re.search(pattern, text) is not None
    assert bool(compile_lucene_regex(lucene, ignore_case).fullmatch(text)) == expected


@pytest.mark.parametrize("pattern", PATTERNS)
def test_translation_matches_an_example(pattern):
    sample = {
        PATTERNS[0]: "x new-mailboxexportrequest y",
        PATTERNS[1]: "new-mailboxExportRequest",
        PATTERNS[2]: "C:\\Windows\\cmd.exe",
        PATTERNS[3]: "zzbzz",
        PATTERNS[4]: "xyzq",
        PATTERNS[5]: "id 123@evil.com",
        PATTERNS[6]: 'we say "hi" #1 <a> & ~b!',
    }[pattern]
    lucene, ignore_case = pcre_to_lucene(pattern)
    assert compile_lucene_regex(lucene, ignore_case).fullmatch(sample)


@pytest.mark.parametrize("pattern", [r"\bword", r"(?:a|b)", r"a(?=b)", r"x^y", r"\s"])
def test_constructs_without_a_lucene_form_are_refused(pattern):
    with pytest.raises(ValueError):
        lucene_regex(pattern)
