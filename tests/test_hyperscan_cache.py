"""A stored Hyperscan database is used only when it is exactly the one asked for."""

from __future__ import annotations

import hyperscan

from t1114 import hyperscan_cache

PATTERNS = ([b"mailbox", b"ex+port"], [0, 1], [hyperscan.HS_FLAG_CASELESS] * 2)


def _compiler(calls: list):
    def compile_database():
        calls.append(1)
        db = hyperscan.Database()
        expressions, ids, flags = PATTERNS
        db.compile(expressions=expressions, ids=ids, elements=len(expressions), flags=flags)
        return db

    return compile_database


def _matches(db) -> list[int]:
    found: list[int] = []
    scratch = hyperscan.Scratch(db)
    db.scan(b"an EXXPORT of the Mailbox", lambda i, *_: found.append(i), 0, None, scratch)
    return sorted(found)


def test_compiled_once_then_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("T1114_CACHE_DIR", str(tmp_path))
    calls: list = []
    first = hyperscan_cache.cached_database(*PATTERNS, _compiler(calls))
    second = hyperscan_cache.cached_database(*PATTERNS, _compiler(calls))
    assert calls == [1]
    assert _matches(first) == _matches(second) == [0, 1]
    assert len(list(tmp_path.glob("*.hsdb"))) == 1


def test_other_patterns_have_another_name():
    expressions, ids, flags = PATTERNS
    key = hyperscan_cache.database_key(expressions, ids, flags)
    assert key != hyperscan_cache.database_key(expressions, ids, [0, 0])
    assert key != hyperscan_cache.database_key([b"mailbox"], [0], flags[:1])


def test_a_damaged_file_is_compiled_again(tmp_path, monkeypatch):
    monkeypatch.setenv("T1114_CACHE_DIR", str(tmp_path))
    calls: list = []
    hyperscan_cache.cached_database(*PATTERNS, _compiler(calls))
    (path,) = tmp_path.glob("*.hsdb")
    data = bytearray(path.read_bytes())
    data[-8:] = b"\xff" * 8
    path.write_bytes(bytes(data))
    db = hyperscan_cache.cached_database(*PATTERNS, _compiler(calls))
    assert calls == [1, 1]
    assert _matches(db) == [0, 1]


def test_an_unwritable_directory_only_means_compiling(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("T1114_CACHE_DIR", str(blocker / "cache"))
    calls: list = []
    for _ in range(2):
        assert _matches(hyperscan_cache.cached_database(*PATTERNS, _compiler(calls))) == [0, 1]
    assert calls == [1, 1]


def test_only_the_newest_databases_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("T1114_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(hyperscan_cache, "KEPT", 2)
    for n in range(4):
        patterns = ([b"mailbox%d" % n], [0], [0])
        hyperscan_cache.cached_database(*patterns, lambda p=patterns: _compile(*p))
    assert len(list(tmp_path.glob("*.hsdb"))) == 2


def _compile(expressions, ids, flags):
    db = hyperscan.Database()
    db.compile(expressions=expressions, ids=ids, elements=len(expressions), flags=flags)
    return db
