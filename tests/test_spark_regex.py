"""Python regular expressions in Java's syntax (t1114.spark.regex); no Spark needed."""

from __future__ import annotations

import re

import pytest

from t1114.spark.regex import RegexNotTranslatable, to_java


@pytest.mark.parametrize(
    "python, java",
    [
        (r"(?P<verb>Set|New)-Mailbox", r"(?U)(?<verb>Set|New)-Mailbox"),
        (r"(?P<q>['\"]).*(?P=q)", r"(?U)(?<q>['\"]).*\k<q>"),
        (r"\.pst\Z", r"(?U)\.pst\z"),
        (r"[[a]", r"(?U)[\[a]"),
        (r"[a&&b]", r"(?U)[a\&\&b]"),
        (r"[]x]", r"(?U)[\]x]"),
        (r"(?i)outlook\.exe", r"(?U)(?u)(?i)outlook\.exe"),
    ],
)
def test_translation(python, java):
    assert to_java(python) == java


def test_plain_patterns_keep_their_text():
    assert to_java(r"-NoProfile\s+-Enc") == r"(?U)-NoProfile\s+-Enc"


@pytest.mark.parametrize(
    "pattern, construct",
    [
        (r"(a)?(?(1)b|c)", "conditional"),
        (r"a(?#note)b", "comment"),
        (r"\N{DIGIT ONE}", "named Unicode"),
    ],
)
def test_untranslatable_constructs_are_refused_by_name(pattern, construct):
    re.compile(pattern)  # valid Python: the refusal is about Java
    with pytest.raises(RegexNotTranslatable, match=construct):
        to_java(pattern)


def test_invalid_regex_is_refused():
    with pytest.raises(RegexNotTranslatable, match="invalid regular expression"):
        to_java("(unclosed")
