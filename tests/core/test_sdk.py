"""The module SDK: task folders, calibrated images between modules, label checks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lamella.core.errors import InputFileError, ModuleError
from lamella.core.sdk import Calibration, Image, Task, read_image, write_image
from lamella.core.sdk.testing import run_module


def test_calibration_and_axes_survive_a_module(fixture_modules: Path, tmp_path: Path) -> None:
    source = write_image(tmp_path / "in.ome.tif",
                         Image(np.arange(12, dtype=np.uint16).reshape(3, 4), "YX",
                               Calibration(0.65, 0.65, "µm")))
    result = run_module(fixture_modules / "add", tmp_path, inputs={"image": source},
                        params={"amount": 10})
    out = result.image("image")
    assert out.data.tolist() == (np.arange(12).reshape(3, 4) + 10).tolist()
    assert out.axes == "YX" and out.data.dtype == np.uint16
    assert (out.calibration.x, out.calibration.y, out.calibration.unit) == (0.65, 0.65, "um")
    assert [round(f, 2) for f, _ in result.progress] == [0.25, 0.5, 0.75, 1.0]


def test_task_folder_layout(fixture_modules: Path, tmp_path: Path) -> None:
    source = write_image(tmp_path / "in.ome.tif", Image(np.zeros((2, 2), np.uint8), "YX"))
    result = run_module(fixture_modules / "stats", tmp_path, inputs={"image": source}, node="st")
    folder = tmp_path / "task-st"
    task = json.loads((folder / "task.json").read_text())
    assert task["inputs"] == {"image": ["inputs/image/in.ome.tif"]}
    assert task["outputs"] == {"table": "table"} and task["node"] == "st"
    assert (folder / "inputs" / "image" / "in.ome.tif").samefile(source)
    assert json.loads((folder / "outputs" / "outputs.json").read_text()) == {
        "outputs": {"table": ["table.csv"]}}
    assert result.path("table").read_text().splitlines() == ["mean,pixel_nm", "0.0,"]


def test_module_that_writes_nothing_fails(fixture_modules: Path, tmp_path: Path) -> None:
    source = write_image(tmp_path / "in.ome.tif", Image(np.zeros((2, 2), np.uint8), "YX"))
    with pytest.raises(ModuleError, match=re.escape("module finished without writing output 'image'")):
        run_module(fixture_modules / "crash", tmp_path, inputs={"image": source},
                   params={"mode": "no-output"})


def test_run_module_checks_parameters(fixture_modules: Path, tmp_path: Path) -> None:
    with pytest.raises(ModuleError) as info:
        run_module(fixture_modules / "gen", tmp_path, params={"value": 999})
    assert str(info.value) == "parameter 'value': must be between 0 and 255, got 999"


def make_task(tmp_path: Path, outputs: dict[str, str], files: dict[str, Path] | None = None) -> Task:
    folder = tmp_path / "task"
    (folder / "outputs").mkdir(parents=True)
    spec = {"node": "n", "module": "a/b", "version": "1.0.0", "params": {"size": "20 nm"},
            "inputs": {k: [str(v)] for k, v in (files or {}).items()}, "outputs": outputs,
            "input_types": {}}
    (folder / "task.json").write_text(json.dumps(spec))
    return Task(folder)


def test_labels_refuse_fractional_floats(tmp_path: Path) -> None:
    path = write_image(tmp_path / "probs.ome.tif", Image(np.array([[0.2, 1.0]], np.float32), "YX"))
    task = make_task(tmp_path, {}, {"labels": path})
    with pytest.raises(InputFileError) as info:
        task.labels("labels")
    assert str(info.value) == (
        "input 'labels' (probs.ome.tif) holds fractional float32 values, not labels; labels are "
        "whole numbers (0 = background). Threshold a probability map first, or load the file "
        "with load-image")


def test_labels_accept_whole_number_floats(tmp_path: Path) -> None:
    path = write_image(tmp_path / "l.ome.tif", Image(np.array([[0, 3], [3, 7]], np.float32), "YX"))
    labels = make_task(tmp_path, {}, {"labels": path}).labels("labels")
    assert labels.data.tolist() == [[0, 3], [3, 7]] and labels.data.dtype.kind == "i"


def test_save_labels_picks_dtype_and_mask_is_0_255(tmp_path: Path) -> None:
    task = make_task(tmp_path, {"small": "labels", "big": "labels", "mask": "mask"})
    task.save_labels("small", np.array([[0, 1], [2, 65535]]))
    task.save_labels("big", np.array([[0, 70000]]))
    task.save_mask("mask", np.array([[True, False]]))
    assert read_image(task.output_dir / "small.ome.tif").data.dtype == np.uint16
    assert read_image(task.output_dir / "big.ome.tif").data.dtype == np.uint32
    assert read_image(task.output_dir / "mask.ome.tif").data.tolist() == [[255, 0]]


def test_saving_to_wrong_port_kind_is_refused(tmp_path: Path) -> None:
    task = make_task(tmp_path, {"mask": "mask"})
    with pytest.raises(ModuleError) as info:
        task.save_labels("mask", np.zeros((2, 2), int))
    assert str(info.value) == "output 'mask' is a mask port; it cannot take a labels"
    with pytest.raises(ModuleError) as info:
        task.save_mask("masks", np.zeros((2, 2), bool))
    assert str(info.value) == "module wrote to unknown output 'masks' (outputs: mask)"


def test_length_parameter_in_pixels(tmp_path: Path) -> None:
    task = make_task(tmp_path, {})
    calibrated = Image(np.zeros((2, 2)), "YX", Calibration(2.5, 2.5, "nm"))
    assert task.length_in_pixels("size", calibrated) == pytest.approx(8.0)
    with pytest.raises(ModuleError) as info:
        task.length_in_pixels("size", Image(np.zeros((2, 2)), "YX"))
    assert str(info.value).startswith("parameter 'size': '20 nm' is a physical size but the image")


@pytest.mark.parametrize(("content", "message"), [
    (b"", "file is empty (0 bytes); re-export the image"),
    (b"II*\x00\x08\x00\x00\x00\xff\xff", "not a readable TIFF"),
])
def test_unreadable_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "broken.tif"
    path.write_bytes(content)
    with pytest.raises(InputFileError) as info:
        read_image(path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_truncated_tiff_is_refused(tmp_path: Path) -> None:
    whole = write_image(tmp_path / "whole.tif", Image(np.ones((256, 256), np.uint16), "YX"))
    cut = tmp_path / "cut.tif"
    cut.write_bytes(whole.read_bytes()[:40000])
    with pytest.raises(InputFileError) as info:
        read_image(cut)
    assert str(info.value).endswith("the file is truncated or corrupt, re-export it from the "
                                    "microscope software or Fiji")


def test_every_exported_sdk_name_resolves_and_light_imports_stay_light() -> None:
    import lamella.core.sdk as sdk

    assert set(sdk.__all__) == {name for names in sdk._HOME.values() for name in names}
    for name in sdk.__all__:
        assert getattr(sdk, name) is not None
    # The runner imports the task-folder contract; that must not drag in numpy.
    probe = ("import sys; from lamella.core.sdk import prepare_task_folder, OUTPUTS_DIR; "
             "import lamella.runner.cli; print('numpy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
