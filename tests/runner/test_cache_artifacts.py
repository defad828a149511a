"""The cache takes artifacts and gives them back by digest; copies from elsewhere are checked."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

import pytest

from lamella.runner.backends import Artifact
from lamella.runner.cache import CacheError, CacheStore


def artifact(folder: Path, name: str, content: bytes, digest: str | None = None) -> Artifact:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return Artifact(name, digest or hashlib.sha256(content).hexdigest(), path)


def put(store: CacheStore, key: str, *artifacts: Artifact):  # type: ignore[no-untyped-def]
    names = [a.name for a in artifacts]
    return store.put(key, {a.name: a for a in artifacts},
                     {"key": key, "outputs": {"out": names},
                      "output_digests": {"out": [a.digest for a in artifacts]}, "created": 1.0})


def test_a_stored_file_is_found_by_its_digest(tmp_path: Path) -> None:
    store = CacheStore(tmp_path / "cache")
    made = artifact(tmp_path / "task", "a.csv", b"x,y\n1,2\n")
    entry = put(store, "ab" + "0" * 62, made)
    found = store.artifact(made.digest)
    assert found == (entry.folder / "outputs" / "a.csv").resolve()
    assert found.read_bytes() == b"x,y\n1,2\n" and stat.S_IMODE(found.stat().st_mode) == 0o444
    assert store.artifact("f" * 64) is None


def test_a_discarded_entry_gives_nothing_back(tmp_path: Path) -> None:
    store = CacheStore(tmp_path / "cache")
    made = artifact(tmp_path / "task", "a.csv", b"1\n")
    entry = put(store, "cd" + "0" * 62, made)
    store.discard(entry)
    assert store.artifact(made.digest) is None


def test_a_damaged_entry_gives_nothing_back(tmp_path: Path) -> None:
    store = CacheStore(tmp_path / "cache")
    made = artifact(tmp_path / "task", "a.csv", b"1\n")
    entry = put(store, "ef" + "0" * 62, made)
    stored = entry.folder / "outputs" / "a.csv"
    os.chmod(stored, 0o644)
    stored.write_bytes(b"changed")
    assert store.artifact(made.digest) is None


def test_artifacts_on_another_filesystem_are_copied_and_checked(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on another filesystem than the test folder")
    store = CacheStore(tmp_path / "cache")
    with tempfile.TemporaryDirectory(dir=shm) as elsewhere:
        good = artifact(Path(elsewhere), "good.csv", b"1\n")
        entry = put(store, "12" + "0" * 62, good)
        stored = entry.folder / "outputs" / "good.csv"
        assert stored.read_bytes() == b"1\n" and not stored.samefile(good.path)
        bad = artifact(Path(elsewhere), "bad.csv", b"2\n", digest="0" * 64)
        with pytest.raises(CacheError) as caught:
            put(store, "34" + "0" * 62, bad)
    assert str(caught.value) == ("bad.csv: the copy brought into the cache differs from what the "
                                 "module wrote (a disk or network fault); run again")
    assert store.get("34" + "0" * 62) is None
    assert [p.name for p in store.tmp_dir.iterdir()] == []  # nothing half-made left behind
