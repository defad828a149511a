"""Bad input, as a user meets it on the command line: one clear line, non-zero exit, and
nothing half-written in the cache or the results folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

from lamella.core.sdk import Image, write_image
from tests.bad_inputs import BadInput

REPO = Path(__file__).resolve().parents[1]
LAMELLA = str(Path(sys.executable).parent / "lamella")
NANOPARTICLES = REPO / "examples" / "workflows" / "nanoparticle-size-distribution.yaml"

MEASURE_LABELS = """\
lamella: 1
name: measure-labels
inputs:
  labels: {type: file}
nodes:
  load: {module: lamella/load-labels@1, in: {path: $inputs.labels}}
  measure: {module: lamella/measure@1, in: {labels: load.labels}}
outputs: {sizes: measure.table}
"""


def lamella(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMELLA, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def assert_nothing_half_written(out: Path, cache: Path, failed_node: str) -> None:
    """Only logs and the run record in the results; no scratch and no entry for the failure."""
    leftovers = {p.name for p in out.iterdir()} - {"logs", "run-record.json"}
    assert leftovers == set()
    assert not list(out.rglob(".*"))  # no temporary files
    assert list((cache / "tmp").iterdir()) == []
    nodes = [p.read_text() for p in (cache / "store").rglob("entry.json")]
    assert not any(f'"node": "{failed_node}"' in text for text in nodes)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    whole = write_image(tmp_path / "whole.tif", Image(np.ones((256, 256), np.uint16), "YX"))
    (tmp_path / "cut.tif").write_bytes(whole.read_bytes()[:40000])
    (tmp_path / "empty.tif").write_bytes(b"")
    tifffile.imwrite(tmp_path / "one.tif", np.zeros((1, 1), np.uint8))
    tifffile.imwrite(tmp_path / "probs.tif",
                     np.random.default_rng(0).random((8, 8)).astype(np.float32))
    (tmp_path / "measure-labels.yaml").write_text(MEASURE_LABELS)
    return tmp_path


LOAD_FAILED = "✗ node 'load' (lamella/{}-{} 1.0.0) failed with exit status 2: input 'path'"
IMAGE_FILES = [
    (NANOPARTICLES, "image=cut.tif", BadInput(
        "truncated-tiff", "--input image=cut.tif (a TIFF cut short)",
        LOAD_FAILED.format("load", "image") + ": {d}/cut.tif: not a readable TIFF (failed to read "
        "131072 bytes, got 39776); the file is truncated or corrupt, re-export it from the "
        "microscope software or Fiji", 1)),
    (NANOPARTICLES, "image=empty.tif", BadInput(
        "empty-file", "--input image=empty.tif (0 bytes)",
        LOAD_FAILED.format("load", "image") + ": {d}/empty.tif: file is empty (0 bytes); re-export "
        "the image", 1)),
    (NANOPARTICLES, "image=one.tif", BadInput(
        "one-pixel", "--input image=one.tif (1 x 1 pixels)",
        LOAD_FAILED.format("load", "image") + ": {d}/one.tif is 1 x 1 pixels; an image must be at "
        "least 2 x 2 pixels to analyse", 1)),
    ("measure-labels.yaml", "labels=probs.tif", BadInput(
        "float-labels", "--input labels=probs.tif (float32 values) for load-labels",
        LOAD_FAILED.format("load", "labels") + " (probs.tif) holds fractional float32 values, not "
        "labels; labels are whole numbers (0 = background). Threshold a probability map first, or "
        "load the file with load-image", 1)),
]


@pytest.mark.parametrize(("workflow", "given", "case"), IMAGE_FILES,
                         ids=[c[-1].id for c in IMAGE_FILES])
def test_bad_image_files(files: Path, isolated_cache: Path, workflow: Path | str, given: str,
                         case: BadInput) -> None:
    done = lamella("run", workflow, "--input", given, "--out", "out", cwd=files)
    assert done.returncode == case.exit_status
    assert done.stderr.splitlines()[0] == case.line(files)
    assert "Traceback" not in done.stderr
    assert_nothing_half_written(files / "out", isolated_cache, "load")


WIRING = [
    ("module: lamella/threshold@1.2", "module: lamella/threshhold@1.2", BadInput(
        "unknown-module", "module: lamella/threshhold@1.2",
        "  - node 'segment': unknown module 'lamella/threshhold' (did you mean 'lamella/threshold'?)",
        2)),
    ("in: {mask: segment.mask,", "in: {mask: segment.masks,", BadInput(
        "misspelled-port", "in: {mask: segment.masks}",
        "  - node 'separate', input 'mask': node 'segment' (lamella/threshold) has no output 'masks' "
        "(did you mean 'mask'?); its outputs: mask, classes", 2)),
    ("in: {mask: segment.mask,", "in: {mask: load.image,", BadInput(
        "type-mismatch", "in: {mask: load.image}",
        "  - node 'separate', input 'mask': type mismatch: image cannot feed mask (an image holds "
        "intensities, not foreground; add a 'threshold' step) (from load.image)", 2)),
    ("in: {mask: segment.mask,", "in: {mask: edge.labels,", BadInput(
        "cycle", "in: {mask: edge.labels} (a loop)",
        "  - graph: cycle edge -> separate -> edge; a workflow must not loop back on itself", 2)),
    ("core_smooth: auto", "core_smooth: -1 px", BadInput(
        "out-of-range", "core_smooth: -1 px",
        "  - node 'separate', parameter 'core_smooth': must not be negative, got '-1 px'", 2)),
    ("core_smooth: auto", "core_smooth: auto, conectivity: 4", BadInput(
        "unknown-parameter", "conectivity: 4",
        "  - node 'separate', parameter 'conectivity': unknown parameter (did you mean "
        "'connectivity'?)", 2)),
]


@pytest.mark.parametrize("case", WIRING, ids=[c[-1].id for c in WIRING])
def test_bad_wiring_is_refused_before_anything_runs(tmp_path: Path,
                                                    case: tuple[str, str, BadInput]) -> None:
    old, new, bad = case
    text = NANOPARTICLES.read_text()
    assert old in text
    (tmp_path / "wf.yaml").write_text(text.replace(old, new, 1))
    done = lamella("run", "wf.yaml", "--out", "out", cwd=tmp_path)
    assert done.returncode == bad.exit_status
    lines = done.stderr.splitlines()
    assert lines[0] == f"error: {tmp_path}/wf.yaml: 1 problem in workflow"
    assert lines[1].startswith(bad.line(tmp_path))
    assert not (tmp_path / "out").exists()  # nothing ran, nothing written


MISSING = BadInput("missing-input-file", "--input image=nowhere.tif",
                   "error: input 'image': {d}/nowhere.tif: file not found (check the path)", 2)
PYTHON_TAG = BadInput("python-object-tag", "a node written as !!python/object/apply:os.system",
                      "error: wf.yaml line 4: the YAML tag '!!python/object/apply:os.system' is "
                      "not allowed; workflows hold plain data only (remove the tag)", 2)


def test_missing_input_file(tmp_path: Path) -> None:
    done = lamella("run", NANOPARTICLES, "--input", "image=nowhere.tif", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (MISSING.exit_status, MISSING.line(tmp_path) + "\n")


def test_python_object_tag_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "hacked"
    (tmp_path / "wf.yaml").write_text(
        f"lamella: 1\nname: x\nnodes:\n  a: !!python/object/apply:os.system ['touch {marker}']\n")
    done = lamella("validate", "wf.yaml", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (PYTHON_TAG.exit_status, PYTHON_TAG.line(tmp_path) + "\n")
    assert not marker.exists()


CRASHING = """\
lamella: 1
name: crashing
inputs:
  image: {{type: image}}
nodes:
  crash: {{module: test/crash@1, params: {{mode: {mode}}}, in: {{image: $inputs.image}}}}
  after: {{module: test/stats@1, in: {{image: crash.image}}}}
outputs: {{table: after.table}}
"""


CRASH_FAILED = "✗ node 'crash' (test/crash 1.0.0) failed"
CRASHES = [
    ("raise", BadInput("module-raises", "a module that raises ValueError",
                       f"{CRASH_FAILED} with exit status 1: ValueError: bad pixel at (3, 4)", 1)),
    ("exit", BadInput("module-exits", "a module that calls os._exit(3)",
                      f"{CRASH_FAILED}: module process exited with exit status 3", 1)),
    ("segfault", BadInput("module-segfaults", "a module that crashes (segmentation fault)",
                          f"{CRASH_FAILED}: module process killed by SIGSEGV (segmentation fault)", 1)),
]


@pytest.mark.parametrize(("mode", "case"), CRASHES, ids=[c[1].id for c in CRASHES])
def test_crashing_module(tmp_path: Path, fixture_modules: Path, isolated_cache: Path, mode: str,
                         case: BadInput) -> None:
    (tmp_path / "wf.yaml").write_text(CRASHING.format(mode=mode))
    write_image(tmp_path / "in.tif", Image(np.ones((4, 4), np.uint8), "YX"))
    done = lamella("run", "wf.yaml", "--modules", fixture_modules, "--input", "image=in.tif",
                   "--out", "out", cwd=tmp_path)
    assert done.returncode == case.exit_status
    assert done.stderr.splitlines()[0] == case.line(tmp_path)
    assert "  skipped because it failed: after" in done.stderr
    if mode == "raise":  # the traceback starts in the module's own code, not in the runner's
        assert "_worker.py" not in done.stderr and "_entry.py" not in done.stderr
        assert 'crash/main.py", line' in done.stderr
    assert_nothing_half_written(tmp_path / "out", isolated_cache, "crash")


BAD_INPUTS = [*(c[-1] for c in IMAGE_FILES), *(c[-1] for c in WIRING), MISSING, PYTHON_TAG,
              *(c[-1] for c in CRASHES)]
