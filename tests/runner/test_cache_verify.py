"""``lamella cache verify``: damage that keeps size and mtime is found, and the entry removed.

Verify and prune run beside real runs on the same cache without breaking them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lamella.runner.cache import CacheStore
from lamella.runner.cache._entry_files import stamp
from lamella.runner.cli._cache import format_size
from tests.runner.test_concurrent_runs import KEY, TABLES, WORKFLOW, put
from tests.runner.test_engine import CHAIN

LAMELLA = str(Path(sys.executable).parent / "lamella")


def lamella(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMELLA, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture
def chain_run(tmp_path: Path, image_file: Path, fixture_modules: Path) -> Path:
    """A finished run of the two-step chain: two entries, one file each."""
    (tmp_path / "chain.yaml").write_text(CHAIN)
    done = lamella("run", "chain.yaml", "--modules", str(fixture_modules), "-o", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path


def stored(cache: Path, name: str) -> Path:
    return next((cache / "store").rglob(f"outputs/{name}"))


def rewrite_keeping_size_and_mtime(path: Path, content: bytes) -> None:
    """Change a stored file as a disk fault or a timestamp-keeping tool would."""
    info = path.stat()
    assert len(content) == info.st_size
    os.chmod(path, 0o644)
    path.write_bytes(content)
    os.chmod(path, 0o444)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_verify_finds_a_change_that_kept_size_and_mtime(chain_run: Path, isolated_cache: Path,
                                                        fixture_modules: Path) -> None:
    table = stored(isolated_cache, "table.csv")
    image = stored(isolated_cache, "image.ome.tif")
    assert table.read_text() == "mean,pixel_nm\n15.0,2.0\n"
    rewrite_keeping_size_and_mtime(table, table.read_bytes().replace(b"15.0", b"99.0"))
    # A run trusts size and mtime: it reuses the changed table.
    again = lamella("run", "chain.yaml", "--modules", str(fixture_modules), "-o", "out", cwd=chain_run)
    assert "Run succeeded (0 ran, 2 reused from cache;" in again.stdout
    assert (chain_run / "out" / "table.csv").read_text() == "mean,pixel_nm\n99.0,2.0\n"
    read = format_size(table.stat().st_size + image.stat().st_size)
    key = table.parent.parent.name
    done = lamella("cache", "verify", cwd=chain_run)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        f"  removed {key[:12]}  chain/stats (test/stats 1.0.0): table.csv differs from its "
        "recorded SHA-256",
        f"Checked 2 entries (2 files, {read} read): 1 damaged and removed, 1 sound, in "
        f"{isolated_cache}"]
    assert [e.meta["node"] for e in CacheStore(isolated_cache).entries()] == ["add"]
    fixed = lamella("run", "chain.yaml", "--modules", str(fixture_modules), "-o", "out", cwd=chain_run)
    assert "Run succeeded (1 ran, 1 reused from cache;" in fixed.stdout
    assert (chain_run / "out" / "table.csv").read_text() == "mean,pixel_nm\n15.0,2.0\n"


@pytest.mark.parametrize(("damage", "problem"), [
    ("truncate", "image.ome.tif changed in size or modification time"),
    ("remove", "image.ome.tif is missing"),
    ("entry", "entry.json cannot be read")])
def test_verify_reports_every_kind_of_damage(chain_run: Path, isolated_cache: Path, damage: str,
                                            problem: str) -> None:
    image = stored(isolated_cache, "image.ome.tif")
    key = image.parent.parent.name
    if damage == "truncate":
        os.chmod(image, 0o644)
        os.truncate(image, 10)
    elif damage == "remove":
        image.unlink()
    else:
        (image.parent.parent / "entry.json").write_text("{not json")
    done = lamella("cache", "verify", cwd=chain_run)
    lines = done.stdout.splitlines()
    expected = (f"  removed {key[:12]}  chain/add (test/add 1.0.0): {problem}" if damage != "entry"
                else f"  removed {key[:12]}: {problem}")
    assert (done.returncode, lines[0]) == (0, expected)
    assert re.fullmatch(r"Checked 2 entries \(1 files, \d+ B read\): 1 damaged and removed, "
                        rf"1 sound, in {re.escape(str(isolated_cache))}", lines[1])
    assert not (isolated_cache / "store" / key[:2] / key).exists()


def test_verify_of_a_sound_cache_removes_nothing(chain_run: Path, isolated_cache: Path) -> None:
    first = lamella("cache", "verify", cwd=chain_run)
    second = lamella("cache", "verify", cwd=chain_run)
    assert first.stdout == second.stdout
    assert re.fullmatch(r"Checked 2 entries \(2 files, [\d.]+ [KB]+ read\): 0 damaged and "
                        rf"removed, 2 sound, in {re.escape(str(isolated_cache))}\n", first.stdout)
    assert len(CacheStore(isolated_cache).entries()) == 2


def test_an_entry_replaced_after_it_was_judged_stays(tmp_path: Path) -> None:
    store = CacheStore(tmp_path / "cache")
    put(store, b"old", "run-1", replace=False)
    folder = store.entry_folders()[0]
    judged = stamp(folder / "entry.json")
    put(store, b"new", "run-2")  # another run's --no-cache lands between check and removal
    assert store.remove_damaged(folder, judged) is False
    assert store.get(KEY).outputs["out"][0].read_bytes() == b"new"
    assert store.remove_damaged(folder, stamp(folder / "entry.json")) is True
    assert store.entry_folders() == []


# ----- beside real runs -------------------------------------------------------------------
VERIFIED = re.compile(r"Checked (\d+) entries \(\d+ files, [\d.]+ [KMGB]+ read\): 0 damaged and "
                      r"removed, (\d+) sound, in (.+)\n")


def check_maintenance(workdir: Path, cache: Path) -> tuple[int, int]:
    """One verify and one prune beside the runs; return (verifies, prunes refused)."""
    verified = lamella("cache", "verify", cwd=workdir)
    match = VERIFIED.fullmatch(verified.stdout)
    assert (verified.returncode, verified.stderr) == (0, "") and match, verified.stdout
    assert match[1] == match[2] and match[3] == str(cache)
    pruned = lamella("cache", "prune", "--older-than", "0", cwd=workdir)
    refusal = (f"error: a run is using the cache {cache}; wait for it to finish, then prune "
               "again\n")
    # Refused while a run holds the cache; between runs (a run not yet started) it may
    # empty it, which a run only notices as results to make again.
    assert (pruned.returncode, pruned.stderr) == (2, refusal) or (
        pruned.returncode == 0 and pruned.stdout.splitlines()[-1].startswith("Removed ")), pruned
    return 1, int(pruned.returncode == 2)


def test_verify_and_prune_beside_two_runs(tmp_path: Path, fixture_modules: Path,
                                         isolated_cache: Path) -> None:
    # One step waits 2 s, so a prune always meets a run holding the cache (runs of this
    # workflow are otherwise over in well under a second, before any prune starts).
    slow = WORKFLOW.replace("params: {amount: 1}", "params: {amount: 1, sleep: 2}")
    assert slow != WORKFLOW
    (tmp_path / "shared.yaml").write_text(slow)
    verifies = refused = 0
    for flags in (["--no-cache"], [], ["--no-cache"]):
        runs = [subprocess.Popen([LAMELLA, "run", "shared.yaml", "--modules", str(fixture_modules),
                                  "-o", f"out{i}", "-q", *flags], cwd=tmp_path,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for i in range(2)]
        while any(run.poll() is None for run in runs):
            done = check_maintenance(tmp_path, isolated_cache)
            verifies, refused = verifies + done[0], refused + done[1]
        for i, run in enumerate(runs):
            stdout, stderr = run.communicate(timeout=300)
            assert (run.returncode, stderr) == (0, ""), stdout
            assert {n: (tmp_path / f"out{i}" / n).read_text() for n in TABLES} == TABLES
    assert verifies >= 3 and refused >= 1  # verify ran beside runs, prune was refused by one
    # The last prune may have come after the runs ended: count what is left.
    final = VERIFIED.fullmatch(lamella("cache", "verify", cwd=tmp_path).stdout)
    assert final and int(final[1]) == len(CacheStore(isolated_cache).entries())
