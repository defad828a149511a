"""Modules that write outside their outputs/ folder, or wrong files under a port type.

A module's output names must be plain names inside ``outputs/``; the runner checks the
listing again for modules that do not use the SDK (``outputs.json`` written by hand), and
checks each file against its port type before anything is cached or published.
"""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lamella.core.sdk import Image, write_image
from tests.bad_inputs import BadInput
from tests.runner.tmp_modules import write_module

LAMELLA = str(Path(sys.executable).parent / "lamella")

WORKFLOW = """\
lamella: 1
name: hostile
inputs:
  image: {{type: image, default: in.tif}}
nodes:
  write: {{module: test/write@1, in: {{image: $inputs.image}}}}
outputs: {{result: write.{port}}}
"""

FAILED = "✗ node 'write' (test/write 1.0.0) failed"
PLAIN = "; write it directly in outputs/ under a plain name, e.g. 'table.csv'"

# save_table(filename=NAME): the module records where the file would land, then saves.
SAVE_AS = """\
from pathlib import Path

NAME = {name!r}

def run(task):
    Path({witness!r}).write_text(str(Path(task.output_dir, NAME)))
    task.save_table("table", [{{"a": 1}}], filename=NAME)
"""

SDK_NAMES = [
    BadInput("output-name-escapes", "save_table(filename='../../../../../../x.csv')",
             f"{FAILED} with exit status 2: output 'table': file name '../../../../../../x.csv' "
             f"holds '/'{PLAIN}", 1),
    BadInput("output-name-absolute", "save_table(filename='<dir>/x.csv')",
             f"{FAILED} with exit status 2: output 'table': file name '{{d}}/x.csv' holds '/'{PLAIN}", 1),
    BadInput("output-name-folder", "save_table(filename='sub/x.csv')",
             f"{FAILED} with exit status 2: output 'table': file name 'sub/x.csv' holds '/'{PLAIN}", 1),
    BadInput("output-name-hidden", "save_table(filename='.x.csv')",
             f"{FAILED} with exit status 2: output 'table': file name '.x.csv' starts with '.' "
             f"(a hidden file){PLAIN}", 1),
    BadInput("output-name-nul", "save_table(filename='x\\x00.csv')",
             f"{FAILED} with exit status 2: output 'table': file name 'x\\x00.csv' holds a control "
             f"character{PLAIN}", 1),
    BadInput("output-name-contract-file", "save_table(filename='outputs.json')",
             f"{FAILED} with exit status 2: output 'table': file name 'outputs.json' is the runner's "
             f"listing of outputs{PLAIN}", 1),
]
NAMES = {"output-name-escapes": "../../../../../../x.csv", "output-name-absolute": "{d}/x.csv",
         "output-name-folder": "sub/x.csv", "output-name-hidden": ".x.csv",
         "output-name-nul": "x\x00.csv", "output-name-contract-file": "outputs.json"}

# A planted link: the SDK must not write through it to the file it points at.
THROUGH_LINK = """\
import os

def run(task):
    os.symlink({outside!r}, task.output_dir / "table.csv")
    task.save_table("table", [{{"a": 1}}])
"""

# A module that does not use the SDK's savers: it writes outputs.json itself and exits.
BY_HAND = """\
import json, os

def run(task):
    out = task.output_dir
    {prepare}
    (out / "outputs.json").write_text(json.dumps({{"outputs": {{"table": [{listed!r}]}}}}))
    os._exit(0)
"""

LISTED = "; a module writes each output as a plain file directly in outputs/ (the SDK's task.save_* do)"
RUNNER_NAMES = [
    BadInput("listed-name-escapes", "outputs.json lists an absolute path (isolated backend)",
             f"{FAILED}: output 'table': outputs.json lists '{{d}}/outside.csv', which holds '/'"
             f"{LISTED}", 1),
    BadInput("listed-file-is-link", "outputs.json lists a symbolic link (isolated backend)",
             f"{FAILED}: output 'table': table.csv is a symbolic link, not a file{LISTED}", 1),
]

SDK_LINK = BadInput("output-through-link", "a link planted at outputs/table.csv, then save_table",
                    f"{FAILED} with exit status 2: output 'table': table.csv is already in outputs/ "
                    "as a symbolic link; the SDK does not write through links (remove it first)", 1)


def lamella(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMELLA, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def run_module(tmp_path: Path, code: str, *args: str, port: str = "table",
               outputs: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` as module test/write on a small image with the real CLI."""
    write_module(tmp_path / "mods", "write", code, outputs=outputs or {"table": "table"})
    (tmp_path / "wf.yaml").write_text(WORKFLOW.format(port=port))
    write_image(tmp_path / "in.tif", Image(np.arange(16, dtype=np.uint8).reshape(4, 4), "YX"))
    return lamella("run", "wf.yaml", "--modules", "mods", "--out", "out", *args, cwd=tmp_path)


@pytest.mark.parametrize("case", SDK_NAMES, ids=[c.id for c in SDK_NAMES])
def test_output_names_must_be_plain_names(tmp_path: Path, case: BadInput) -> None:
    witness = tmp_path / "would-land-at.txt"
    name = NAMES[case.id].format(d=tmp_path)
    done = run_module(tmp_path, SAVE_AS.format(name=name, witness=str(witness)))
    assert (done.returncode, done.stderr.splitlines()[0]) == (case.exit_status, case.line(tmp_path))
    landing = Path(witness.read_text())
    assert not landing.exists() and not (tmp_path / "x.csv").exists()
    assert "Traceback" not in done.stderr


def test_the_sdk_does_not_write_through_a_planted_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text("precious\n")
    done = run_module(tmp_path, THROUGH_LINK.format(outside=str(outside)))
    assert (done.returncode, done.stderr.splitlines()[0]) == (SDK_LINK.exit_status,
                                                               SDK_LINK.line(tmp_path))
    assert outside.read_text() == "precious\n"


@pytest.mark.parametrize("case", RUNNER_NAMES, ids=[c.id for c in RUNNER_NAMES])
def test_a_listing_written_by_hand_touches_nothing_outside(tmp_path: Path, isolated_cache: Path,
                                                          case: BadInput) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text("a\n1\n")
    outside.chmod(0o644)
    if case.id == "listed-name-escapes":
        code = BY_HAND.format(prepare="pass", listed=str(outside))
    else:
        code = BY_HAND.format(prepare=f"os.symlink({str(outside)!r}, out / 'table.csv')",
                              listed="table.csv")
    done = run_module(tmp_path, code, "--backend", "isolated")
    assert (done.returncode, done.stderr.splitlines()[0]) == (case.exit_status, case.line(tmp_path))
    # Not moved, not made read-only, not published, not stored.
    assert outside.read_text() == "a\n1\n"
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644
    assert not (tmp_path / "out" / "result.csv").exists()
    assert not [p for p in (isolated_cache / "store").rglob("*") if p.suffix == ".csv"]


# save_file: the module writes raw content under a typed port, bypassing the typed savers.
RAW = """\
import json
from pathlib import Path

import numpy as np
import tifffile

def run(task):
    path = Path(task.folder, {filename!r})
    {write}
    task.save_file({port!r}, path)
"""

WRONG_CONTENT = [
    ("image", "image", "image.ome.tif", "path.write_bytes(b'not an image')",
     BadInput("image-not-tiff", "12 bytes of text as an image output",
              f"{FAILED}: output 'image' (image.ome.tif): not a TIFF file (the module wrote 12 bytes "
              "of text); write it with task.save_image", 1)),
    ("image", "image", "image.ome.tif",
     "tifffile.imwrite(path, np.zeros((64, 64), np.uint16)); path.write_bytes(path.read_bytes()[:4000])",
     BadInput("image-truncated", "a TIFF cut short as an image output",
              f"{FAILED}: output 'image' (image.ome.tif): truncated TIFF (its pixel data needs 8192 "
              "bytes from byte 224, the file has 4000); write it with task.save_image", 1)),
    ("labels", "labels", "labels.ome.tif", "tifffile.imwrite(path, np.full((4, 4), 0.5, np.float32))",
     BadInput("labels-float", "a float TIFF as a labels output",
              f"{FAILED}: output 'labels' (labels.ome.tif): holds float32 values, not integer labels; "
              "write it with task.save_labels", 1)),
    ("mask", "mask", "mask.ome.tif", "tifffile.imwrite(path, np.arange(16, dtype=np.uint8).reshape(4, 4))",
     BadInput("mask-not-binary", "values 0..15 as a mask output",
              f"{FAILED}: output 'mask' (mask.ome.tif): not a binary mask (values 0, 1, 2 ..., not "
              "only 0 and 255 or 0 and 1); write it with task.save_mask", 1)),
    ("mask", "mask", "mask.ome.tif", "tifffile.imwrite(path, np.ones((4, 4), np.float32))",
     BadInput("mask-float", "a float TIFF as a mask output",
              f"{FAILED}: output 'mask' (mask.ome.tif): holds float32 values, not a binary mask "
              "(0 and 255); write it with task.save_mask", 1)),
    ("probs", "probabilities", "probs.ome.tif", "tifffile.imwrite(path, np.full((4, 4), 1.5, np.float32))",
     BadInput("probabilities-above-1", "1.5 in a probabilities output",
              f"{FAILED}: output 'probs' (probs.ome.tif): probabilities must lie in [0, 1], found "
              "values from 1.5 to 1.5; write it with task.save_probabilities", 1)),
    ("probs", "probabilities", "probs.ome.tif",
     "tifffile.imwrite(path, np.array([[0.5, np.nan], [0, 1]], np.float32))",
     BadInput("probabilities-nan", "NaN in a probabilities output",
              f"{FAILED}: output 'probs' (probs.ome.tif): probabilities must lie in [0, 1], found NaN "
              "or infinite values; write it with task.save_probabilities", 1)),
    ("probs", "probabilities", "probs.ome.tif", "tifffile.imwrite(path, np.ones((4, 4), np.uint8))",
     BadInput("probabilities-integer", "a uint8 TIFF as a probabilities output",
              f"{FAILED}: output 'probs' (probs.ome.tif): holds uint8 values, not float probabilities; "
              "write it with task.save_probabilities", 1)),
    ("table", "table", "table.csv", "tifffile.imwrite(path, np.ones((4, 4), np.uint8))",
     BadInput("table-binary", "a TIFF as a table output",
              f"{FAILED}: output 'table' (table.csv): not a CSV text file (binary data); write it "
              "with task.save_table", 1)),
    ("table", "table", "table.csv", "path.write_bytes(b'')",
     BadInput("table-empty", "an empty file as a table output",
              f"{FAILED}: output 'table' (table.csv): empty file, a table needs a header row; "
              "write it with task.save_table", 1)),
    ("plot", "plot", "plot.png", "path.write_text('<svg/>')",
     BadInput("plot-not-png", "SVG text named .png as a plot output",
              f"{FAILED}: output 'plot' (plot.png): not a PNG file (the module wrote 6 bytes of text); "
              "write it with task.save_plot", 1)),
    ("plot", "plot", "plot.pdf", "path.write_bytes(b'%PDF-1.4')",
     BadInput("plot-other-format", "a PDF as a plot output",
              f"{FAILED}: output 'plot' (plot.pdf): a plot is a PNG, with an optional SVG, not "
              "'.pdf'; write it with task.save_plot", 1)),
    ("values", "json", "values.json", "path.write_text('{\"a\": ')",
     BadInput("json-invalid", "broken JSON as a json output",
              f"{FAILED}: output 'values' (values.json): not valid JSON (Expecting value at line 1 "
              "column 7); write it with task.save_json", 1)),
    ("model", "model", "model.pt", "path.write_bytes(b'')",
     BadInput("model-empty", "an empty file as a model output",
              f"{FAILED}: output 'model' (model.pt): empty file (0 bytes); a model output is the "
              "trained model's file", 1)),
]


@pytest.mark.parametrize("case", WRONG_CONTENT, ids=[c[-1].id for c in WRONG_CONTENT])
def test_wrong_content_under_a_port_type_fails_that_node(tmp_path: Path, isolated_cache: Path,
                                                         case: tuple) -> None:
    port, kind, filename, write, bad = case
    done = run_module(tmp_path, RAW.format(filename=filename, write=write, port=port), port=port,
                      outputs={port: kind})
    assert (done.returncode, done.stderr.splitlines()[0]) == (bad.exit_status, bad.line(tmp_path))
    assert not (tmp_path / "out" / filename).exists()
    assert not list((isolated_cache / "store").rglob(filename))


GOOD = """\
import numpy as np

def run(task):
    data = np.zeros((6, 6), np.uint8)
    data[1:3, 1:3] = 1
    task.save_mask("mask", data)
    task.save_labels("labels", data.astype(np.int64) * 7)
    task.save_probabilities("probs", np.stack([data * 0.25, 1 - data * 0.25]))
    task.save_table("table", [])
"""


def test_what_the_sdk_writes_passes_the_checks(tmp_path: Path) -> None:
    outputs = {"mask": "mask", "labels": "labels", "probs": "probabilities", "table": "table"}
    done = run_module(tmp_path, GOOD, port="mask", outputs=outputs)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "result.ome.tif").is_file()


BAD_INPUTS = [*SDK_NAMES, SDK_LINK, *RUNNER_NAMES, *(c[-1] for c in WRONG_CONTENT)]
