"""lamella/filter-objects on label images of known shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tifffile

from lamella.core.catalog import builtin_modules_dir
from lamella.core.errors import ModuleError
from lamella.core.sdk import Calibration, Image, write_image
from lamella.core.sdk.shapes import mask_circularity, mask_solidity
from lamella.core.sdk.testing import run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
MEASURE_DIR = builtin_modules_dir() / "measure"
PARTICLES_TRUTH = Path(__file__).resolve().parents[3] / "examples" / "data" / "particles-truth.tif"
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
    assert mask_solidity(labels == 1) == pytest.approx(270 / 400)
    assert mask_solidity(labels == 2) == 1.0


def test_solidity_is_taken_on_the_pixel_outline_hull(tmp_path: Path) -> None:
    # A radius-2 disk of 13 pixels: its outline hull is an octagon of 17 px^2 (the 5 x 5
    # square less four corner triangles of 2 px^2), so solidity is 13/17 = 0.76, not 1.
    labels = disk((9, 9), (4, 4), 2).astype(np.uint8)
    assert labels.sum() == 13
    assert mask_solidity(labels == 1) == pytest.approx(13 / 17, abs=1e-12)
    assert ids(run(tmp_path, labels, min_solidity=0.77).data) == []
    assert ids(run(tmp_path / "kept", labels, min_solidity=0.76).data) == [1]


def test_thin_lines_have_low_circularity(tmp_path: Path) -> None:
    labels = np.zeros((40, 80), np.uint8)
    labels[3, 5:35] = 1                            # 1 px wide line
    labels[8:10, 5:35] = 2                         # 2 px wide line
    labels[disk(labels.shape, (25, 20), 8)] = 3    # disk
    labels[16:34, 45:63] = 4                       # square
    values = [round(mask_circularity(labels == i), 2) for i in (1, 2, 3, 4)]
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


@pytest.fixture(scope="module")
def particles_measured(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """The bundled particles' exact labels, and the measure module's table of them."""
    folder = tmp_path_factory.mktemp("particles")
    path = write_image(folder / "labels.ome.tif",
                       Image(tifffile.imread(PARTICLES_TRUTH), "YX", NM2))
    result = run_module(MEASURE_DIR, folder / "measure", inputs={"labels": path})
    return path, pd.read_csv(result.path("table"))


@pytest.mark.parametrize(("column", "limit"), [
    ("solidity", 0.9), ("solidity", 0.93), ("solidity", "median"),
    ("circularity", 0.95), ("circularity", 1.0), ("circularity", "median"),
])
def test_shape_limits_keep_what_measure_reports_at_or_above_them(
        particles_measured, tmp_path: Path, column: str, limit: float | str) -> None:
    path, table = particles_measured
    # "median": a limit equal to one object's measured value, which must be kept; 1.0: the
    # objects whose circularity is capped at 1
    limit = float(np.sort(table[column])[len(table) // 2]) if limit == "median" else limit
    out = run_module(MODULE_DIR, tmp_path, inputs={"labels": path},
                     params={f"min_{column}": limit, "relabel": False}).image("labels")
    expected = table.loc[table[column] >= limit, "label"].tolist()
    # the limit splits the sample (fewest at 1.0: 18 of the 494 particles are capped at 1)
    assert 0.03 * len(table) < len(expected) < 0.95 * len(table)
    assert ids(out.data) == expected


def test_circularity_on_non_square_pixels_is_refused_solidity_and_area_are_not(
        tmp_path: Path) -> None:
    labels = squares()
    path = write_image(tmp_path / "tall.ome.tif", Image(labels, "YX", Calibration(2.0, 4.0, "nm")))
    with pytest.raises(ModuleError) as info:
        run_module(MODULE_DIR, tmp_path / "circ", inputs={"labels": path},
                   params={"min_circularity": 0.5})
    assert str(info.value) == (
        "parameter 'min_circularity': input 'labels' has non-square pixels (2 x 4 nm) and "
        "circularity needs square pixels: resample the image to square pixels or correct its "
        "pixel size when loading it (min_solidity and the area limits work on any pixels)")
    kept = run_module(MODULE_DIR, tmp_path / "area", inputs={"labels": path},
                      params={"min_area": "200 nm^2", "min_solidity": 0.9, "relabel": False})
    assert ids(kept.image("labels").data) == [2, 3]  # 25 and 36 px of 8 nm^2: 200 and 288 nm^2
