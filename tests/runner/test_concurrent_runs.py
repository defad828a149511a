"""Two runs sharing one cache, with any flags, both succeed with the same correct tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lamella.core.cache_keys import file_digest
from lamella.core.manifest import Manifest
from lamella.core.sdk import prepare_task_folder, read_image
from lamella.runner.backends import Artifact
from lamella.runner.cache import CacheEntry, CacheStore

LAMELLA = str(Path(sys.executable).parent / "lamella")

# Two branches off one generated image, chains of steps, three tables: each step's result
# is read by the next while the other run replaces (--no-cache) or reuses it.
WORKFLOW = """\
lamella: 1
name: shared
nodes:
  gen: {module: test/gen@1, params: {value: 3, size: 64}}
  a1: {module: test/add@1, params: {amount: 1}, in: {image: gen.image}}
  a2: {module: test/add@1, params: {amount: 2}, in: {image: a1.image}}
  a3: {module: test/add@1, params: {amount: 3}, in: {image: a2.image}}
  a4: {module: test/add@1, params: {amount: 4}, in: {image: a3.image}}
  b1: {module: test/add@1, params: {amount: 5}, in: {image: gen.image}}
  b2: {module: test/add@1, params: {amount: 6}, in: {image: b1.image}}
  s1: {module: test/stats@1, in: {image: a4.image}}
  s2: {module: test/stats@1, in: {image: b2.image}}
  s3: {module: test/stats@1, in: {image: a2.image}}
outputs: {t1: s1.table, t2: s2.table, t3: s3.table}
"""
TABLES = {"t1.csv": "mean,pixel_nm\n13.0,2.0\n", "t2.csv": "mean,pixel_nm\n14.0,2.0\n",
          "t3.csv": "mean,pixel_nm\n6.0,2.0\n"}
ROUNDS = 3
KEY = "ab" + "0" * 62


def put(store: CacheStore, content: bytes, run_id: str, *, replace: bool = True) -> CacheEntry:
    """Store one output file with ``content`` under KEY, as a run's node would."""
    made = store.tmp_dir / f"made-by-{run_id}" / "out.bin"
    made.parent.mkdir(parents=True, exist_ok=True)
    made.write_bytes(content)
    digest = file_digest(made)
    return store.put(KEY, {"out.bin": Artifact("out.bin", digest, made)},
                     {"key": KEY, "outputs": {"out": ["out.bin"]},
                      "output_digests": {"out": [digest]}, "run_id": run_id}, replace=replace)


def test_a_replacement_with_the_same_content_keeps_the_stored_files(tmp_path: Path) -> None:
    store = CacheStore(tmp_path / "cache")
    first = put(store, b"same", "run-1", replace=False)
    inode = first.outputs["out"][0].stat().st_ino
    second = put(store, b"same", "run-2")
    assert second.meta["run_id"] == "run-2" and second.folder == first.folder
    assert second.outputs["out"][0].stat().st_ino == inode
    assert first.damaged_files() == []  # a run holding the first entry sees no change
    assert list(store.tmp_dir.glob("replaced-*")) == []


def test_a_replacement_with_other_content_keeps_the_old_entry_for_its_readers(tmp_path: Path) -> None:
    store = CacheStore(tmp_path / "cache")
    store.new_run_dir("reader")
    first = put(store, b"old", "run-1", replace=False)
    put(store, b"new", "run-2")
    assert first.damaged_files() == first.outputs["out"]
    kept = store.sound_entry(KEY, first.output_digests)
    assert kept is not None and kept.folder.parent == store.tmp_dir
    assert kept.outputs["out"][0].read_bytes() == b"old"
    assert store.sound_entry(KEY, {"out": ["0" * 64]}) is None
    assert store.artifact(first.output_digests["out"][0]) is None  # not the new content
    store.release_run_dir("reader")  # the last run out removes it
    assert list(store.tmp_dir.glob("replaced-*")) == []
    assert store.get(KEY).outputs["out"][0].read_bytes() == b"new"


def test_an_entry_a_live_run_made_with_other_content_is_not_replaced(tmp_path: Path) -> None:
    maker, other = CacheStore(tmp_path / "cache"), CacheStore(tmp_path / "cache")
    maker.new_run_dir("run-1")  # run 1 is on: it may be publishing its entry right now
    first = put(maker, b"one", "run-1", replace=False)
    second = put(other, b"two", "run-2")
    assert second.meta["run_id"] == "run-1" and first.damaged_files() == []
    maker.release_run_dir("run-1")  # once run 1 has ended, --no-cache replaces it
    assert put(other, b"two", "run-3").outputs["out"][0].read_bytes() == b"two"


SWEEPER = """\
import sys
from pathlib import Path
from lamella.runner.cache import CacheStore
store, stop = CacheStore(Path(sys.argv[1])), Path(sys.argv[2])
print("sweeping", flush=True)
while not stop.exists():
    store.remove_abandoned_runs()
"""


def test_a_starting_run_is_never_taken_for_abandoned(tmp_path: Path) -> None:
    store, stop = CacheStore(tmp_path / "cache"), tmp_path / "stop"
    # Another run starting at the same moment removes the scratch folders nobody holds.
    sweeper = subprocess.Popen([sys.executable, "-c", SWEEPER, str(store.root), str(stop)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert sweeper.stdout is not None and sweeper.stdout.readline() == "sweeping\n"
        kept = 0
        for i in range(1500):
            kept += (store.new_run_dir(f"run-{i}") / "lock").is_file()
            store.release_run_dir(f"run-{i}")
    finally:
        stop.touch()
        sweeper.communicate(timeout=60)
    assert kept == 1500


def test_a_stored_input_is_hard_linked_and_outlives_its_entry(tmp_path: Path) -> None:
    store = CacheStore(tmp_path / "cache")
    entry = put(store, b"stored", "run-1", replace=False)
    manifest = Manifest.model_validate({
        "id": "test/read", "version": "1.0.0", "name": "Read", "category": "Other",
        "description": "Reads.", "inputs": {"data": {"type": "table", "description": "In."}},
        "outputs": {"table": {"type": "table", "description": "Out."}}})
    spec = prepare_task_folder(store.tmp_dir / "task", node="read", manifest=manifest,
                               inputs={"data": entry.outputs["out"]}, params={})
    given = store.tmp_dir / "task" / spec.inputs["data"][0]
    assert not given.is_symlink() and given.samefile(entry.outputs["out"][0])
    store.discard(entry)  # another run replaced or removed it
    assert given.read_bytes() == b"stored"


def start(workdir: Path, out: str, flags: list[str], modules: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([LAMELLA, "run", "shared.yaml", "--modules", str(modules), "-o", out,
                             "-q", *flags], cwd=workdir, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def run_together(workdir: Path, flags: tuple[list[str], list[str]], modules: Path) -> None:
    """Start two runs at once on the test's cache; both must exit 0 with the right tables."""
    runs = [start(workdir, f"out{i}", f, modules) for i, f in enumerate(flags)]
    for i, run in enumerate(runs):
        stdout, stderr = run.communicate(timeout=300)
        assert (run.returncode, stderr) == (0, ""), stdout
        tables = {name: (workdir / f"out{i}" / name).read_text() for name in TABLES}
        assert tables == TABLES


@pytest.mark.parametrize("flags", [(["--no-cache"], ["--no-cache"]), (["--no-cache"], []),
                                   ([], [])], ids=["both-no-cache", "one-no-cache", "cached"])
def test_two_runs_on_one_cache_both_succeed(tmp_path: Path, fixture_modules: Path,
                                           flags: tuple[list[str], list[str]]) -> None:
    (tmp_path / "shared.yaml").write_text(WORKFLOW)
    for _ in range(ROUNDS):
        run_together(tmp_path, flags, fixture_modules)


# ----- a result replaced while a run is about to read it ---------------------------------
GATE = """\
import os
import time


def run(task):
    # Hold the run's only slot until the test opens the gate: the next node then starts
    # after the other run has replaced the results it reads.
    while not os.path.exists(os.environ["LAMELLA_TEST_GATE"]):
        time.sleep(0.05)
    image = task.image("image")
    task.save_image("image", image.data, like=image)
"""
NOISE = """\
import numpy as np


def run(task):
    task.save_image("image", np.random.default_rng().integers(0, 1000, (16, 16)).astype(np.uint16))
"""
GATED = """\
lamella: 1
name: gated
nodes:
  src: {module: test/SOURCE@1}
  gate: {module: test/gate@1, in: {image: src.image}}
  late: {module: test/stats@1, in: {image: src.image}}
  after: {module: test/stats@1, in: {image: gate.image}}
outputs: {src: src.image, late: late.table, after: after.table}
"""


def image_module(folder: Path, name: str, code: str, inputs: dict[str, str]) -> None:
    (folder / name).mkdir(parents=True)
    manifest = {"id": f"test/{name}", "version": "1.0.0", "name": name, "category": "Other",
                "description": f"{name}, for concurrent-run tests.",
                "inputs": {port: {"type": kind, "description": "In."} for port, kind in inputs.items()},
                "outputs": {"image": {"type": "image", "description": "Out."}}}
    (folder / name / "module.json").write_text(json.dumps(manifest))
    (folder / name / "main.py").write_text(code)


def run_gated(tmp_path: Path, fixture_modules: Path, source: str, *,
              made_before: bool = False) -> subprocess.CompletedProcess[str]:
    """Run 1 holds at 'gate'; run 2 (--no-cache) remakes 'src'; then run 1 starts 'late'.

    With ``made_before`` a run that has ended made 'src' and run 1 reuses it. Returns
    run 1, finished; run 2 must have succeeded.
    """
    mods = tmp_path / "mods"
    image_module(mods, "gate", GATE, {"image": "image"})
    image_module(mods, "noise", NOISE, {})
    (tmp_path / "gated.yaml").write_text(GATED.replace("SOURCE", source))
    gate = tmp_path / "gate-open"
    command = [LAMELLA, "run", "gated.yaml", "--modules", str(mods), "--modules", str(fixture_modules)]
    if made_before:
        subprocess.run([*command, "-o", "out0", "--until", "src"], cwd=tmp_path, check=True,
                       capture_output=True, timeout=300)
    first = subprocess.Popen([*command, "-o", "out1", "-j", "1", "--json-events"], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "LAMELLA_TEST_GATE": str(gate)})
    try:
        assert first.stdout is not None
        started = []
        while "gate" not in started:
            event = json.loads(first.stdout.readline())
            started += [event["node"]] if event["kind"] == "node_started" else []
        assert started == (["gate"] if made_before else ["src", "gate"])  # 'late' waits
        second = subprocess.run([*command, "-o", "out2", "--no-cache", "--until", "src"],
                                cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert (second.returncode, second.stderr) == (0, "")
    finally:
        gate.touch()
        stdout, stderr = first.communicate(timeout=300)
    return subprocess.CompletedProcess(first.args, first.returncode, stdout, stderr)


def test_a_result_remade_by_another_run_is_read_by_the_waiting_nodes(tmp_path: Path,
                                                                     fixture_modules: Path) -> None:
    first = run_gated(tmp_path, fixture_modules, "gen")
    assert (first.returncode, first.stderr.splitlines()[-1]) == (0, "  run record   run-record.json")
    for table in ("late.csv", "after.csv"):
        assert (tmp_path / "out1" / table).read_text() == "mean,pixel_nm\n1.0,2.0\n"


def test_a_run_uses_the_other_content_a_live_run_stored(tmp_path: Path,
                                                        fixture_modules: Path) -> None:
    first = run_gated(tmp_path, fixture_modules, "noise")
    assert first.returncode == 0, first.stderr
    # Run 2 keeps (and publishes) what run 1, still on, stored: no swap under run 1.
    made = (tmp_path / "out1" / "src.ome.tif").read_bytes()
    assert (tmp_path / "out2" / "src.ome.tif").read_bytes() == made
    mean = float(read_image(tmp_path / "out1" / "src.ome.tif").data.mean())
    for table in ("late.csv", "after.csv"):
        assert (tmp_path / "out1" / table).read_text() == f"mean,pixel_nm\n{mean!r},\n"


def test_a_result_remade_with_other_content_is_still_read_as_it_was(
        tmp_path: Path, fixture_modules: Path, isolated_cache: Path) -> None:
    first = run_gated(tmp_path, fixture_modules, "noise", made_before=True)
    assert first.returncode == 0, first.stderr
    # Run 1's tables describe run 1's image, not the one run 2 stored meanwhile.
    made = float(read_image(tmp_path / "out1" / "src.ome.tif").data.mean())
    remade = float(read_image(tmp_path / "out2" / "src.ome.tif").data.mean())
    assert made != remade
    for table in ("late.csv", "after.csv"):
        assert (tmp_path / "out1" / table).read_text() == f"mean,pixel_nm\n{made!r},\n"
    assert list((isolated_cache / "tmp").glob("replaced-*")) == []  # removed by the last run out
