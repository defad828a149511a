"""lamella/filter-objects on label images of known shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lamella.core.errors import ModuleError
from lamella.core.sdk import Calibration, Image, write_image
from lamella.core.sdk.testing import import_module_file, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
NM2 = Calibration(2.0, 2.0, "nm")


def run(tmp_path: Path, labels: np.ndarray, axes: str = "YX", **params) -> Image:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_image(tmp_path / "labels.ome.tif", Image(labels, axes, NM2))
    return run_module(MODULE_DIR, tmp_path, inputs={"labels": path}, params=params).image("labels")


def ids(labels: np.ndarray) -> list[int]:
    return [int(i) for i in np.unique(labels) if i]


def squares() -> np.ndarray:
    labels = np.zeros((40, 40), np.uint16)
    labels[2:6, 2:6] = 1      # 16 px^2 = 64 nm^2
    labels[2:7, 20:25] = 2    # 25 px^2 = 100 nm^2
    labels[20:26, 20:26] = 3  # 36 px^2 = 144 nm^2
    return labels


def disk(shape: tuple[int, int], centre: tuple[int, int], radius: float) -> np.ndarray:
    yy, xx = np.indices(shape)
    return (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2


def test_min_and_max_area_in_square_nanometres(tmp_path: Path) -> None:
    out = run(tmp_path, squares(), min_area="100 nm^2", relabel=False)
    assert ids(out.data) == [2, 3]  # 25 px^2 is exactly the limit: kept
    assert np.array_equal(out.data, np.where(squares() == 1, 0, squares()))
    assert (out.calibration.x, out.calibration.unit) == (2.0, "nm")
    out = run(tmp_path / "max", squares(), max_area="100 nm^2", relabel=False)
    assert ids(out.data) == [1, 2]


def test_physical_area_without_pixel_size_is_refused(tmp_path: Path) -> None:
    path = write_image(tmp_path / "plain.ome.tif", Image(squares(), "YX", None))
    with pytest.raises(ModuleError) as info:
        run_module(MODULE_DIR, tmp_path, inputs={"labels": path}, params={"min_area": "100 nm^2"})
    assert str(info.value) == (
        "parameter 'min_area': '100 nm^2' is a physical size but the image has no pixel size; "
        "give it in pixels (e.g. '20 px') or set the pixel size when loading the image")


def test_c_shape_has_low_solidity(tmp_path: Path) -> None:
    labels = np.zeros((30, 60), np.uint8)
    labels[5:25, 5:25] = 1
    labels[10:20, 12:25] = 0  # a C opening to the right: 270 of the hull's 400 px
    labels[5:25, 35:55] = 2  # a full square
    out = run(tmp_path, labels, min_solidity=0.8, relabel=False)
    assert ids(out.data) == [2]
    shape = import_module_file(MODULE_DIR, "shape")
    assert shape.solidity(labels == 1) == pytest.approx(270 / 400)
    assert shape.solidity(labels == 2) == 1.0


def test_thin_lines_have_low_circularity(tmp_path: Path) -> None:
    labels = np.zeros((40, 80), np.uint8)
    labels[3, 5:35] = 1                            # 1 px wide line
    labels[8:10, 5:35] = 2                         # 2 px wide line
    labels[disk(labels.shape, (25, 20), 8)] = 3    # disk
    labels[16:34, 45:63] = 4                       # square
    shape = import_module_file(MODULE_DIR, "shape")
    values = [round(shape.circularity(labels == i), 2) for i in (1, 2, 3, 4)]
    assert values == [0.11, 0.21, 0.91, 0.9]
    out = run(tmp_path, labels, min_circularity=0.6, relabel=False)
    assert ids(out.data) == [3, 4]


def test_objects_touching_the_border_are_removed(tmp_path: Path) -> None:
    labels = np.zeros((20, 20), np.uint16)
    labels[0:3, 5:8] = 1     # top edge
    labels[8:11, 17:20] = 2  # right edge
    labels[19, 0] = 3        # bottom-left corner pixel
    labels[8:12, 8:12] = 4   # inside
    labels[1:4, 1:4] = 5     # one pixel from the edge: inside
    out = run(tmp_path, labels, exclude_border=True, relabel=False)
    assert ids(out.data) == [4, 5]


def test_relabel_makes_ids_consecutive(tmp_path: Path) -> None:
    labels = np.zeros((20, 20), np.uint16)
    labels[2:4, 2:4] = 3
    labels[2:10, 12:18] = 7
    labels[12:16, 2:6] = 9
    out = run(tmp_path, labels, max_area=20)  # drops 7 (48 px^2)
    expected = np.zeros_like(labels)
    expected[labels == 3] = 1
    expected[labels == 9] = 2
    assert np.array_equal(out.data, expected)
    kept = run(tmp_path / "keep", labels, max_area=20, relabel=False)
    assert ids(kept.data) == [3, 9]


def test_no_objects_gives_empty_labels(tmp_path: Path) -> None:
    out = run(tmp_path, np.zeros((8, 8), np.uint16), min_area=4, min_circularity=0.5)
    assert out.data.shape == (8, 8) and not out.data.any()


def test_stack_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModuleError) as info:
        run(tmp_path, np.zeros((2, 8, 8), np.uint16), axes="ZYX")
    assert str(info.value) == ("input 'labels' has axes 'ZYX' (shape (2, 8, 8)); filter-objects "
                               "works on one 2-D label image (YX)")
