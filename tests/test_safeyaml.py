from pathlib import Path

import pytest

from t1114.errors import PackError
from t1114.safeyaml import MAX_DEPTH, load_json, load_yaml_documents


def write(tmp_path: Path, text: str, name="x.yml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_alias_bomb_is_refused_before_expansion(tmp_path):
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n"
    with pytest.raises(PackError, match="anchors are not allowed") as e:
        load_yaml_documents(write(tmp_path, bomb))
    assert str(tmp_path / "x.yml") in str(e.value)


def test_excessive_nesting_is_refused(tmp_path):
    deep = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    with pytest.raises(PackError, match="nesting deeper"):
        load_yaml_documents(write(tmp_path, deep))


def test_python_object_tags_are_refused(tmp_path):
    with pytest.raises(PackError, match="invalid YAML"):
        load_yaml_documents(write(tmp_path, "x: !!python/object/apply:os.system ['true']\n"))


def test_syntax_error_names_line(tmp_path):
    with pytest.raises(PackError, match=r"line 2"):
        load_yaml_documents(write(tmp_path, "title: x\n  bad: : indent\n"))


def test_oversized_file_is_refused(tmp_path):
    with pytest.raises(PackError, match="limit"):
        load_yaml_documents(write(tmp_path, "x: " + "y" * (3 * 1024 * 1024)))


def test_non_utf8_is_refused(tmp_path):
    p = tmp_path / "x.yml"
    p.write_bytes(b"title: \xff\xfe\n")
    with pytest.raises(PackError, match="not UTF-8"):
        load_yaml_documents(p)


def test_broken_json_names_position(tmp_path):
    with pytest.raises(PackError, match=r"invalid JSON at line 1"):
        load_json(write(tmp_path, '{"rule": ', name="f.json"))


def test_duplicate_keys_are_refused(tmp_path):
    with pytest.raises(PackError, match=r"duplicate key 'selection' \(first at line 2\)"):
        load_yaml_documents(write(tmp_path, "detection:\n  selection: a\n  selection: b\n"))
