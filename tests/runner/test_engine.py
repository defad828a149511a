"""The engine through the Python API: order, cache, explanations, failures, batches, records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lamella.core.errors import InputFileError, LamellaError
from lamella.core.sdk import Image, write_image
from lamella.runner.cache import CacheStore

CHAIN = """\
lamella: 1
name: chain
inputs:
  image: {type: image, default: input.ome.tif}
nodes:
  add: {module: test/add@1, params: {amount: 5}, in: {image: $inputs.image}}
  stats: {module: test/stats@1, in: {image: add.image}}
outputs: {table: stats.table, image: add.image}
"""

BRANCHES = """\
lamella: 1
name: branches
inputs:
  image: {type: image, default: input.ome.tif}
nodes:
  good: {module: test/add@1, in: {image: $inputs.image}}
  good-stats: {module: test/stats@1, in: {image: good.image}}
  bad: {module: test/crash@1, params: {mode: MODE}, in: {image: $inputs.image}}
  after-bad: {module: test/stats@1, in: {image: bad.image}}
outputs: {good: good-stats.table, bad: after-bad.table}
"""


def events_of(analysis, **kwargs):  # type: ignore[no-untyped-def]
    events = []
    result = analysis.run(on_event=events.append, **kwargs)
    return result, events


def test_chain_runs_and_publishes(make_analysis, image_file: Path, tmp_path: Path) -> None:
    result = make_analysis(CHAIN).run(out=tmp_path / "out")
    assert result.ok and result.status == "succeeded"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "image.ome.tif", "logs", "run-record.json", "table.csv"]
    assert result.table("table").to_dict("records") == [{"mean": 15.0, "pixel_nm": 2.0}]
    assert result.path("image") == tmp_path / "out" / "image.ome.tif"
    assert (tmp_path / "out" / "logs" / "add.log").read_text() == "adding 5\n"


def test_run_record_pins_everything(make_analysis, image_file: Path, tmp_path: Path) -> None:
    result = make_analysis(CHAIN).run(out=tmp_path / "out")
    record = json.loads(result.record_path.read_text())
    assert record["status"] == "succeeded" and record["backend"]["name"] == "local"
    assert len(record["workflow"]["sha256"]) == 64 and record["workflow"]["name"] == "chain"
    node = record["items"]["chain"]["nodes"]["add"]
    assert (node["module"], node["version"], node["params"]) == ("test/add", "1.0.0",
                                                                {"amount": 5, "sleep": 0.0})
    assert node["inputs"]["image"][0]["path"] == str(image_file.resolve())
    assert node["inputs"]["image"][0]["sha256"] == __import__("hashlib").sha256(
        image_file.read_bytes()).hexdigest()
    assert len(node["outputs"]["image"][0]["sha256"]) == 64
    assert node["status"] == "finished" and node["exit_status"] == 0
    assert node["log"] == "logs/add.log" and node["duration_s"] >= 0
    stats = record["items"]["chain"]["nodes"]["stats"]
    assert stats["inputs"]["image"][0]["sha256"] == node["outputs"]["image"][0]["sha256"]


def test_warm_rerun_reuses_everything(make_analysis, image_file: Path, tmp_path: Path) -> None:
    analysis = make_analysis(CHAIN)
    analysis.run(out=tmp_path / "out")
    result, events = events_of(analysis, out=tmp_path / "out")
    assert [e.kind for e in events if e.node] == ["node_queued", "node_queued", "node_cached",
                                                   "node_cached"]
    assert all(j.reason.startswith("reused: same module, parameters and inputs as run ")
               for j in result.jobs)
    assert result.table("table")["mean"].tolist() == [15.0]


def test_parameter_change_reruns_only_what_it_affects(make_analysis, image_file: Path,
                                                      tmp_path: Path) -> None:
    make_analysis(CHAIN).run(out=tmp_path / "out")
    result = make_analysis(CHAIN.replace("amount: 5", "amount: 6")).run(out=tmp_path / "out")
    reasons = {j.node.id: j.reason for j in result.jobs}
    assert reasons == {"add": "ran: parameter 'amount' changed (5 -> 6)",
                       "stats": "ran: input 'image' content changed"}
    assert result.table("table")["mean"].tolist() == [16.0]


def test_input_change_and_no_cache_explained(make_analysis, image_file: Path, tmp_path: Path) -> None:
    analysis = make_analysis(CHAIN)
    first = analysis.run(out=tmp_path / "out")
    assert first.jobs[0].reason == "ran: no earlier run of this node is in the cache"
    write_image(image_file, Image(np.full((4, 4), 11, np.uint16), "YX"))
    changed = make_analysis(CHAIN).run(out=tmp_path / "out")
    assert changed.jobs[0].reason == "ran: input 'image' content changed"
    forced = make_analysis(CHAIN).run(out=tmp_path / "out", use_cache=False)
    assert {j.reason for j in forced.jobs} == {"ran: --no-cache given, the cache was not consulted"}


def test_cleared_cache_explained(make_analysis, image_file: Path, tmp_path: Path,
                                 isolated_cache: Path) -> None:
    make_analysis(CHAIN).run(out=tmp_path / "out")
    CacheStore(isolated_cache).clear()
    result = make_analysis(CHAIN).run(out=tmp_path / "out")
    assert result.jobs[0].reason == "ran: no earlier run of this node is in the cache"


@pytest.mark.parametrize(("mode", "error"), [
    ("raise", "ValueError: bad pixel at (3, 4)"),
    ("exit", "module process exited with exit status 3"),
    ("segfault", "module process killed by SIGSEGV (segmentation fault)"),
])
def test_failure_skips_dependants_and_keeps_branches(make_analysis, image_file: Path, tmp_path: Path,
                                                     isolated_cache: Path, mode: str,
                                                     error: str) -> None:
    result, events = events_of(make_analysis(BRANCHES.replace("MODE", mode)), out=tmp_path / "out")
    status = {j.node.id: j.status for j in result.jobs}
    assert status == {"good": "finished", "good-stats": "finished", "bad": "failed",
                      "after-bad": "skipped"}
    assert not result.ok and result.status == "failed"
    failed = next(e for e in events if e.kind == "node_failed")
    assert failed.node == "bad" and failed.message == error
    log = (tmp_path / "out" / "logs" / "bad.log").read_text()
    assert log.startswith("crash module starting\n")
    assert failed.detail["log_tail"] == log.splitlines()[-12:]
    skipped = next(e for e in events if e.kind == "node_skipped")
    assert (skipped.node, skipped.message) == ("after-bad", "skipped because 'bad' failed")
    assert result.table("good")["mean"].tolist() == [11.0]
    # Nothing half-written: no store entry for the failed node, no scratch, no temp files.
    entries = CacheStore(isolated_cache).entries()
    assert sorted(e.meta["node"] for e in entries) == ["good", "good-stats"]
    assert list((isolated_cache / "tmp").iterdir()) == []
    out_files = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*"))
    assert out_files == ["good.csv", "logs", "logs/bad.log", "logs/good-stats.log", "logs/good.log",
                         "run-record.json"]
    record = json.loads(result.record_path.read_text())["items"]["branches"]["nodes"]
    assert record["bad"]["status"] == "failed" and record["bad"]["error"] == error
    assert record["after-bad"]["status"] == "skipped"


def test_rerun_after_fix_resumes_from_cache(make_analysis, image_file: Path, tmp_path: Path) -> None:
    make_analysis(BRANCHES.replace("MODE", "raise")).run(out=tmp_path / "out")
    fixed = make_analysis(BRANCHES.replace("MODE", "ok")).run(out=tmp_path / "out")
    assert {j.node.id: j.status for j in fixed.jobs} == {
        "good": "cached", "good-stats": "cached", "bad": "finished", "after-bad": "finished"}


def test_batch_runs_each_image_and_combines_tables(make_analysis, tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    for value in (1, 2, 3):
        write_image(folder / f"img{value}.tif", Image(np.full((4, 4), value, np.uint16), "YX"))
    result = make_analysis(CHAIN).run(batch=str(folder / "*.tif"), out=tmp_path / "out", jobs=2)
    assert result.ok and sorted(result.outputs) == ["img1", "img2", "img3"]
    combined = result.table("table")
    assert combined.columns.tolist() == ["image", "mean", "pixel_nm"]
    assert combined[["image", "mean"]].sort_values("image").values.tolist() == [
        ["img1.tif", 6.0], ["img2.tif", 7.0], ["img3.tif", 8.0]]
    assert result.table("table", item="img2")["mean"].tolist() == [7.0]
    assert (tmp_path / "out" / "img3" / "image.ome.tif").is_file()
    assert (tmp_path / "out" / "logs" / "img1" / "add.log").is_file()


def test_batch_errors(make_analysis, image_file: Path, tmp_path: Path) -> None:
    with pytest.raises(LamellaError) as info:
        make_analysis(CHAIN).run(batch=str(tmp_path / "none" / "*.tif"))
    assert str(info.value) == (f"batch='{tmp_path}/none/*.tif': no files match (check the pattern; "
                               "on a command line, quote it)")


def test_input_errors(make_analysis, image_file: Path, tmp_path: Path) -> None:
    analysis = make_analysis(CHAIN)
    with pytest.raises(InputFileError) as info:
        analysis.run(inputs={"image": tmp_path / "missing.tif"})
    assert str(info.value) == f"input 'image': {tmp_path}/missing.tif: file not found (check the path)"
    with pytest.raises(LamellaError) as info:
        analysis.run(inputs={"picture": image_file})
    assert str(info.value) == "inputs['picture']: the workflow has no input 'picture' (inputs: image)"
    no_default = make_analysis(CHAIN.replace(", default: input.ome.tif", ""), name="nd.yaml")
    with pytest.raises(LamellaError) as info:
        no_default.run()
    assert str(info.value) == ("inputs['image']: no file given, and the workflow has no default for "
                               "this input")


def test_abandoned_scratch_is_removed_but_a_live_runs_is_kept(make_analysis, image_file: Path,
                                                               tmp_path: Path,
                                                               isolated_cache: Path) -> None:
    abandoned = isolated_cache / "tmp" / "20260101-000000-dead00"
    (abandoned / "item" / "node" / "outputs").mkdir(parents=True)
    (abandoned / "lock").write_text("otherhost 1\n")  # nobody holds its lock any more
    live = isolated_cache / "tmp" / "20260101-000000-live00"
    live.mkdir()
    holder = subprocess.Popen(  # another process holding a run's lock, as a live run does
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'w'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
         str(live / "lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        make_analysis(CHAIN).run(out=tmp_path / "out")
        assert not abandoned.exists() and live.exists()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert sorted(os.listdir(isolated_cache / "tmp")) == ["20260101-000000-live00"]


def test_damaged_cache_entry_is_replaced(make_analysis, image_file: Path, tmp_path: Path,
                                         isolated_cache: Path) -> None:
    make_analysis(CHAIN).run(out=tmp_path / "out")
    stored = next((isolated_cache / "store").rglob("table.csv"))
    stored.unlink()
    result = make_analysis(CHAIN).run(out=tmp_path / "out")
    assert {j.node.id: j.status for j in result.jobs} == {"add": "cached", "stats": "finished"}
    assert result.table("table")["mean"].tolist() == [15.0]


def test_no_cache_refreshes_the_stored_result(make_analysis, image_file: Path, tmp_path: Path,
                                              isolated_cache: Path) -> None:
    make_analysis(CHAIN).run(out=tmp_path / "out")
    stored = next((isolated_cache / "store").rglob("table.csv"))
    stored.chmod(0o644)  # stored files are read-only
    stored.write_text("mean,pixel_nm\n999,CORRUPT\n")
    result = make_analysis(CHAIN).run(out=tmp_path / "out", use_cache=False)
    assert result.table("table")["mean"].tolist() == [15.0]
    assert next((isolated_cache / "store").rglob("table.csv")).read_text().startswith("mean,pixel_nm\n15.0")


def test_earlier_results_in_the_same_folder_are_removed(make_analysis, image_file: Path,
                                                        tmp_path: Path) -> None:
    make_analysis(CHAIN).run(out=tmp_path / "out")
    (tmp_path / "out" / "notes.txt").write_text("mine")
    renamed = CHAIN.replace("outputs: {table: stats.table, image: add.image}",
                            "outputs: {summary: stats.table}")
    make_analysis(renamed, name="renamed.yaml").run(out=tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "logs", "notes.txt", "run-record.json", "summary.csv"]


def test_batch_names_never_collide(make_analysis, tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    for name in ("a-2.tif", "a.tif", "a.tiff"):
        write_image(folder / name, Image(np.full((4, 4), 1, np.uint16), "YX"))
    result = make_analysis(CHAIN).run(batch=str(folder / "*"), out=tmp_path / "out")
    assert result.ok and len(result.outputs) == 3
    assert sorted(result.outputs) == ["a", "a-2", "a-3"]


def test_api_from_a_script_without_main_guard(fixture_modules: Path, image_file: Path,
                                              tmp_path: Path) -> None:
    (tmp_path / "wf.yaml").write_text(CHAIN)
    script = tmp_path / "analyse.py"
    script.write_text(
        "from lamella.runner import Analysis\n"
        f"result = Analysis.load('wf.yaml', modules=[{str(fixture_modules)!r}]).run(out='out')\n"
        "print('mean', result.table('table')['mean'].tolist())\n")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, "mean [15.0]\n"), done.stderr
