"""Keeping the cache bounded: last use recorded on hits, pruning by age and by size."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lamella.runner.backends import Artifact
from lamella.runner.cache import CacheInUse, CacheStore, parse_size, prune
from lamella.runner.cli._cache import format_size

LAMELLA = str(Path(sys.executable).parent / "lamella")
DAY = 86400.0


def add_entry(store: CacheStore, key: str, size: int, *, created: float) -> None:
    """A stored result with one output file of ``size`` bytes, made at ``created``."""
    made = store.tmp_dir / f"task-{key}" / "out.bin"
    made.parent.mkdir(parents=True)
    made.write_bytes(b"x" * size)
    digest = hashlib.sha256(made.read_bytes()).hexdigest()
    store.put(key, {"out.bin": Artifact("out.bin", digest, made)},
              {"key": key, "outputs": {"out": ["out.bin"]}, "output_digests": {"out": [digest]},
               "created": created, "workflow": "wf", "node": key[:4],
               "components": {"module": "test/add", "version": "1.0.0"}})


def keys(store: CacheStore) -> list[str]:
    return sorted(e.key for e in store.entries())


@pytest.mark.parametrize(("text", "size"), [
    ("500MB", 500 * 1024**2), ("2GB", 2 * 1024**3), ("1.5 G", int(1.5 * 1024**3)),
    ("800k", 800 * 1024), ("64 KiB", 64 * 1024), ("1024", 1024), ("10b", 10), ("1TB", 1024**4)])
def test_sizes_are_read_in_1024s(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "big", "-1MB", "5 XB", "1,5GB", "MB"])
def test_a_bad_size_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a size; write e\.g\. 500MB or 2GB"):
        parse_size(text)


def test_a_hit_records_its_use_and_listing_does_not(tmp_path: Path) -> None:
    store = CacheStore(tmp_path / "cache")
    add_entry(store, "aa" + "1" * 62, 10, created=time.time() - 5 * DAY)
    [entry] = store.entries()
    assert entry.last_used() == pytest.approx(time.time() - 5 * DAY, abs=5)
    assert not (entry.folder / "used").exists()  # listing is no use
    before = time.time()
    assert store.get(entry.key) is not None
    assert entry.last_used() >= before - 1
    assert store.get(entry.key) is not None  # a second hit only touches the file again
    assert entry.size_bytes() > 10 and not entry.damaged_files()


def test_prune_removes_unused_then_least_recently_used(tmp_path: Path) -> None:
    store = CacheStore(tmp_path / "cache")
    now = time.time()
    old, stale, recent, fresh = ("aa" + c * 62 for c in "1234")
    add_entry(store, old, 1000, created=now - 40 * DAY)
    add_entry(store, stale, 1000, created=now - 35 * DAY)
    add_entry(store, recent, 20_000, created=now - 40 * DAY)
    os.utime(store.get(recent).folder / "used", (now - 2 * DAY, now - 2 * DAY))  # reused lately
    add_entry(store, fresh, 20_000, created=now - 1 * DAY)
    pruned = prune(store, older_than_days=30, now=now)
    assert [(r.entry.key, r.why) for r in pruned.removed] == [(old, "unused"), (stale, "unused")]
    assert keys(store) == sorted([recent, fresh]) and pruned.entries_left == 2
    assert pruned.freed == sum(r.size for r in pruned.removed) > 2000
    # Over the size: the least recently used goes first, until the cache fits.
    limit = store.size_bytes() - 1
    pruned = prune(store, max_bytes=limit, now=now)
    assert [(r.entry.key, r.why) for r in pruned.removed] == [(recent, "size")]
    assert keys(store) == [fresh] and pruned.size_left == store.size_bytes() <= limit


def test_prune_refuses_while_a_run_uses_the_cache(tmp_path: Path) -> None:
    store = CacheStore(tmp_path / "cache")
    add_entry(store, "bb" + "1" * 62, 100, created=time.time() - 90 * DAY)
    store.new_run_dir("live-run")
    try:
        with pytest.raises(CacheInUse, match=r"a run is using the cache .*; wait for it to "
                           r"finish, then prune again"):
            prune(CacheStore(tmp_path / "cache"), older_than_days=1)
    finally:
        store.release_run_dir("live-run")
    assert len(store.entries()) == 1  # nothing removed
    assert len(prune(store, older_than_days=1).removed) == 1


def test_cache_ls_and_prune_on_the_command_line(tmp_path: Path, isolated_cache: Path) -> None:
    store = CacheStore(isolated_cache)
    now = time.time()
    add_entry(store, "cc" + "1" * 62, 3000, created=now - 60 * DAY)
    add_entry(store, "cc" + "2" * 62, 5000, created=now)
    old, new = sorted(store.entries(), key=lambda e: e.key)
    size = format_size(old.size_bytes())
    listed = subprocess.run([LAMELLA, "cache", "ls"], capture_output=True, text=True, timeout=60)
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["key", "workflow/node", "module", "size", "last", "used"]
    # Least recently used first, each with its size (its files, entry.json included).
    assert lines[1].split()[:6] == ["cc1111111111", "wf/cc11", "test/add", "1.0.0",
                                    *format_size(old.size_bytes()).split()]
    assert lines[2].split()[4:6] == format_size(new.size_bytes()).split()
    assert old.size_bytes() > 3000 and format_size(3300) == "3.2 KB"
    assert lines[-1].startswith("2 entries, ") and lines[-1].endswith(f" in {isolated_cache}")
    done = subprocess.run([LAMELLA, "cache", "prune", "--older-than", "30"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(f"  removed cc1111111111  wf/cc11 (test/add "
                                                  f"1.0.0), {size}, last used ")
    assert done.stdout.splitlines()[0].endswith(": not used for 30 days")
    assert done.stdout.splitlines()[1] == (f"Removed 1 entries ({size}); 1 entries, "
                                           f"{format_size(store.size_bytes())} left in "
                                           f"{isolated_cache}")
    bad = subprocess.run([LAMELLA, "cache", "prune"], capture_output=True, text=True, timeout=60)
    assert (bad.returncode, bad.stderr) == (2, "error: cache prune: give --older-than DAYS, "
                                            "--max-size SIZE or both, e.g. --older-than 30 "
                                            "--max-size 2GB\n")
