"""Stored results: read-only, checked by size and mtime on every hit, never cleared mid-run."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lamella.runner.cache import CacheInUse, CacheStore
from tests.runner.test_cli import SLOW
from tests.runner.test_engine import CHAIN

LAMELLA = str(Path(sys.executable).parent / "lamella")


def stored(cache: Path, name: str) -> Path:
    return next((cache / "store").rglob(f"outputs/{name}"))


def test_stored_files_are_read_only_with_size_and_mtime_recorded(make_analysis, image_file: Path,
                                                                 tmp_path: Path,
                                                                 isolated_cache: Path) -> None:
    make_analysis(CHAIN).run(out=tmp_path / "out")
    table = stored(isolated_cache, "table.csv")
    assert stat.S_IMODE(table.stat().st_mode) == 0o444
    meta = json.loads((table.parent.parent / "entry.json").read_text())
    assert meta["files"] == {"table.csv": [table.stat().st_size, table.stat().st_mtime_ns]}
    # The published copy is the user's to edit.
    assert stat.S_IMODE((tmp_path / "out" / "table.csv").stat().st_mode) & 0o200


@pytest.mark.parametrize("damage", ["truncate", "same-size-rewrite"])
def test_a_damaged_stored_result_is_made_again(make_analysis, image_file: Path, tmp_path: Path,
                                               isolated_cache: Path, damage: str) -> None:
    make_analysis(CHAIN).run(out=tmp_path / "out")
    image = stored(isolated_cache, "image.ome.tif")
    size = image.stat().st_size
    os.chmod(image, 0o644)  # as a user's tool, or root, could
    if damage == "truncate":
        os.truncate(image, size // 2)
    else:
        with image.open("r+b") as handle:
            handle.write(b"\0" * 64)
        assert image.stat().st_size == size
    result = make_analysis(CHAIN).run(out=tmp_path / "out")
    assert result.ok
    assert {j.node.id: j.status for j in result.jobs} == {"add": "finished", "stats": "cached"}
    assert result.table("table")["mean"].tolist() == [15.0]
    again = stored(isolated_cache, "image.ome.tif")
    assert again.stat().st_size == size and stat.S_IMODE(again.stat().st_mode) == 0o444


def test_an_entry_without_recorded_sizes_counts_as_damaged(make_analysis, image_file: Path,
                                                           tmp_path: Path,
                                                           isolated_cache: Path) -> None:
    make_analysis(CHAIN).run(out=tmp_path / "out")
    entry_file = stored(isolated_cache, "table.csv").parent.parent / "entry.json"
    meta = json.loads(entry_file.read_text())
    del meta["files"]
    entry_file.write_text(json.dumps(meta))
    result = make_analysis(CHAIN).run(out=tmp_path / "out")
    assert {j.node.id: j.status for j in result.jobs} == {"add": "cached", "stats": "finished"}


def test_cache_clear_is_refused_while_a_run_uses_the_cache(tmp_path: Path, fixture_modules: Path,
                                                           isolated_cache: Path) -> None:
    (tmp_path / "slow.yaml").write_text(SLOW)
    run = subprocess.Popen([LAMELLA, "run", "slow.yaml", "--modules", str(fixture_modules), "-o",
                            "out", "--json-events"], cwd=tmp_path, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        assert run.stdout is not None
        started = 0
        while started < 2:  # gen, then a: gen's result is in the cache and a needs it
            started += json.loads(run.stdout.readline())["kind"] == "node_started"
        message = (f"a run is using the cache {isolated_cache}; wait for it to finish, then "
                   "clear again")
        with pytest.raises(CacheInUse) as info:
            CacheStore(isolated_cache).clear()
        assert str(info.value) == message
        cleared = subprocess.run([LAMELLA, "cache", "clear"], capture_output=True, text=True,
                                 timeout=60)
        assert (cleared.returncode, cleared.stderr) == (2, f"error: {message}\n")
        assert len(CacheStore(isolated_cache).entries()) == 1  # gen's result is still there
    finally:
        run.send_signal(signal.SIGTERM)
        run.communicate(timeout=60)
    assert run.returncode == 130
    assert CacheStore(isolated_cache).clear() > 0  # the run is over: clearing works again
    assert CacheStore(isolated_cache).entries() == []
