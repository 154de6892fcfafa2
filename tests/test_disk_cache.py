"""The cache folder and ``memoized``: a value computed once per key, a new key for any change of what
it depends on, and a cache that cannot be read or written costing time only."""

import json
import os

import pytest

from harness import disk_cache

pytestmark = pytest.mark.tensorflow_kernel_free  # file plumbing: no backend runs


def counting(value):
    calls = []

    def compute():
        calls.append(1)
        return value
    return compute, calls


def test_a_value_is_computed_once_per_key_and_read_back_equal(tmp_path):
    compute, calls = counting({"rows": [{"rate": 0.01, "model": None}], "devices": {"cpu": 3}})
    key = disk_cache.content_key("ledger", b"bytes")
    first = disk_cache.memoized(tmp_path, key, compute)
    second = disk_cache.memoized(tmp_path, key, compute)
    assert first == second == {"rows": [{"rate": 0.01, "model": None}], "devices": {"cpu": 3}}
    assert len(calls) == 1
    other = disk_cache.memoized(tmp_path, disk_cache.content_key("ledger", b"bytes!"), compute)
    assert other == first and len(calls) == 2


def test_keys_differ_for_any_change_and_parts_never_run_together():
    key = disk_cache.content_key
    assert key("ab", "c") != key("a", "bc")
    assert key("a", b"") != key("a")
    assert key("a", b"x") == key("a", "x")


@pytest.mark.parametrize("stored", ["{torn", json.dumps({"format": 0, "key": "k", "value": 1}), "[]"])
def test_an_unreadable_or_foreign_stored_value_is_computed_again(tmp_path, stored):
    key = disk_cache.content_key("x")
    (tmp_path / f"{key}.json").write_text(stored)
    compute, calls = counting([1, 2])
    assert disk_cache.memoized(tmp_path, key, compute) == [1, 2] and calls == [1]
    assert disk_cache.memoized(tmp_path, key, compute) == [1, 2] and calls == [1]


def test_an_unwritable_cache_still_answers(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    compute, calls = counting(7)
    assert disk_cache.memoized(blocked / "cache", disk_cache.content_key("x"), compute) == 7
    assert disk_cache.memoized(blocked / "cache", disk_cache.content_key("x"), compute) == 7
    assert len(calls) == 2 and blocked.read_text() == "not a folder"


def test_the_folder_keeps_the_newest_values_and_no_file_of_another_kind(tmp_path, monkeypatch):
    monkeypatch.setattr(disk_cache, "KEEP", 2)
    (tmp_path / "notes.json").write_text("mine")
    keys = [disk_cache.content_key(str(n)) for n in range(4)]
    for n, key in enumerate(keys):
        disk_cache.memoized(tmp_path, key, lambda n=n: n)
        stored = tmp_path / f"{key}.json"
        os.utime(stored, (1000 + n, 1000 + n))
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == sorted(["notes.json", f"{keys[2]}.json", f"{keys[3]}.json"])


def test_the_source_digest_changes_with_a_module_and_its_name(tmp_path):
    (tmp_path / "pkg").mkdir()
    module = tmp_path / "pkg" / "a.py"
    module.write_text("X = 1\n")
    before = disk_cache.source_digest(tmp_path, ["pkg"])
    module.write_text("X = 2\n")
    assert disk_cache.source_digest(tmp_path, ["pkg"]) != before
    module.write_text("X = 1\n")
    assert disk_cache.source_digest(tmp_path, ["pkg"]) == before
    module.rename(tmp_path / "pkg" / "b.py")
    assert disk_cache.source_digest(tmp_path, ["pkg"]) != before


def test_the_folder_is_the_variable_else_the_users_cache(tmp_path):
    assert disk_cache.user_cache_path("V", "n", {"V": str(tmp_path)}) == tmp_path
    default = disk_cache.user_cache_path("V", "n", {"XDG_CACHE_HOME": "/c"})
    assert default.as_posix() == "/c/multireplica-harness/n"
