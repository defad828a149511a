"""load-labels on label and mask files as ilastik, Fiji and drawing tools write them."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image as PILImage

from lamella.core.errors import ModuleError
from lamella.core.sdk import Image
from lamella.core.sdk.testing import run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
_RUNS = itertools.count()

# Two squares touching only at a corner, and a separate bar.
MASK = np.array([
    [1, 1, 0, 0, 0, 0],
    [1, 1, 0, 0, 0, 0],
    [0, 0, 1, 1, 0, 1],
    [0, 0, 1, 1, 0, 1],
], np.uint8) * 255


def load(tmp_path: Path, path: Path, **params: object) -> tuple[Image, Image]:
    result = run_module(MODULE_DIR, tmp_path / f"run{next(_RUNS)}", inputs={"path": path},
                        params=params)
    return result.image("labels"), result.image("mask")


def failure(tmp_path: Path, path: Path, **params: object) -> str:
    with pytest.raises(ModuleError) as info:
        load(tmp_path, path, **params)
    return str(info.value)


def save_png(path: Path, data: np.ndarray) -> Path:
    PILImage.fromarray(data).save(path)
    return path


# ----- labels ------------------------------------------------------------------------------
def test_label_values_are_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = np.array([[0, 1, 1, 0], [5, 0, 0, 9], [5, 0, 9, 9]], np.uint16)
    tifffile.imwrite(tmp_path / "fiji.tif", data)
    labels, mask = load(tmp_path, tmp_path / "fiji.tif")
    assert labels.axes == "YX" and labels.data.dtype == np.uint16
    assert labels.data.tolist() == data.tolist()
    assert mask.data.tolist() == ((data > 0) * 255).tolist()
    log = capsys.readouterr().out
    assert ("labels: 3 objects (label values 1 to 9) read as labels (values kept as in the "
            "file)") in log


def test_whole_number_float_labels_accepted(tmp_path: Path) -> None:
    data = np.array([[0, 1, 2], [2, 2, 70000]], np.float32)
    tifffile.imwrite(tmp_path / "float.tif", data)
    labels, _ = load(tmp_path, tmp_path / "float.tif")
    assert labels.data.dtype == np.uint32 and labels.data.tolist() == [[0, 1, 2], [2, 2, 70000]]


@pytest.mark.parametrize("bad", [0.5, np.nan])
def test_fractional_or_nan_floats_refused(tmp_path: Path, bad: float) -> None:
    tifffile.imwrite(tmp_path / "prob.tif", np.array([[0, 1], [bad, 1]], np.float32))
    assert failure(tmp_path, tmp_path / "prob.tif") == (
        "input 'path' (prob.tif) holds fractional float32 values, not labels; labels are whole "
        "numbers (0 = background). Threshold a probability map first, or load the file with "
        "load-image")


def test_negative_and_huge_values_refused(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "neg.tif", np.array([[0, -3], [2, 2]], np.int16))
    tifffile.imwrite(tmp_path / "big.tif", np.array([[0, 2**33], [1, 1]], np.uint64))
    assert failure(tmp_path, tmp_path / "neg.tif") == (
        "input 'path' (neg.tif) holds negative values; labels must be 0 or more")
    assert failure(tmp_path, tmp_path / "big.tif") == (
        "input 'path': big.tif holds labels above 4294967295; relabel it (Fiji: Remap Labels) "
        "before loading")


def test_palette_png_labels_are_the_index(tmp_path: Path) -> None:
    index = np.array([[0, 1, 1], [0, 3, 3]], np.uint8)
    png = PILImage.fromarray(index, mode="L").convert("P")
    png.putpalette([0, 0, 0, 230, 25, 75, 60, 180, 75, 255, 225, 25] + [0] * 756)
    png.save(tmp_path / "glasbey.png")
    labels, _ = load(tmp_path, tmp_path / "glasbey.png")
    assert labels.data.tolist() == index.tolist()


# ----- masks -------------------------------------------------------------------------------
def test_mask_objects_with_8_and_4_connectivity(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = save_png(tmp_path / "mask.png", MASK)
    eight, mask = load(tmp_path, path)
    four, _ = load(tmp_path, path, connectivity=4)
    assert eight.data.tolist() == [[1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0],
                                   [0, 0, 1, 1, 0, 2], [0, 0, 1, 1, 0, 2]]
    assert four.data.tolist() == [[1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0],
                                  [0, 0, 2, 2, 0, 3], [0, 0, 2, 2, 0, 3]]
    assert mask.data.tolist() == MASK.tolist()
    assert "labels: 2 objects (label values 1 to 2) read as mask (8-connected objects)" in (
        capsys.readouterr().out)


def test_one_bit_png_and_grey_saved_as_rgb(tmp_path: Path) -> None:
    PILImage.fromarray(MASK > 0).save(tmp_path / "bits.png")
    rgb = save_png(tmp_path / "rgb.png", np.stack([MASK] * 3, axis=-1))
    assert int(load(tmp_path, tmp_path / "bits.png")[0].data.max()) == 2
    assert int(load(tmp_path, rgb)[0].data.max()) == 2


def test_black_objects_on_white(tmp_path: Path) -> None:
    path = save_png(tmp_path / "drawn.png", 255 - MASK)
    labels, _ = load(tmp_path, path, background=255)
    assert labels.data.tolist() == [[1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0],
                                    [0, 0, 1, 1, 0, 2], [0, 0, 1, 1, 0, 2]]


def test_kind_mask_joins_label_values(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "l.tif", np.array([[3, 4, 0], [0, 0, 0], [0, 7, 7]], np.uint8))
    labels, _ = load(tmp_path, tmp_path / "l.tif", kind="mask")
    assert labels.data.tolist() == [[1, 1, 0], [0, 0, 0], [0, 2, 2]]


def test_empty_mask_gives_no_objects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels, mask = load(tmp_path, save_png(tmp_path / "empty.png", np.zeros((3, 4), np.uint8)))
    assert int(labels.data.max()) == 0 and int(mask.data.max()) == 0
    assert "labels: no objects (every pixel is background)" in capsys.readouterr().out


# ----- ilastik Simple Segmentation (1 = first class, 2 = second, no 0) ---------------------
ILASTIK = np.array([[1, 1, 2, 2], [2, 2, 2, 1], [1, 2, 2, 1]], np.uint8)


def test_ilastik_class_ids_and_one_class_as_mask(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "seg.tif", ILASTIK)
    classes, _ = load(tmp_path, tmp_path / "seg.tif")
    objects, mask = load(tmp_path, tmp_path / "seg.tif", foreground_value=1)
    assert classes.data.tolist() == ILASTIK.tolist()
    assert objects.data.tolist() == [[1, 1, 0, 0], [0, 0, 0, 2], [3, 0, 0, 2]]
    assert mask.data.tolist() == ((ILASTIK == 1) * 255).tolist()


def test_foreground_value_problems(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "seg.tif", ILASTIK)
    assert failure(tmp_path, tmp_path / "seg.tif", foreground_value=3) == (
        "parameter 'foreground_value': no pixel of seg.tif holds 3; its values are 1, 2")
    assert failure(tmp_path, tmp_path / "seg.tif", foreground_value=1, kind="labels") == (
        "parameter 'foreground_value': picks one class as a mask, which kind 'labels' does not "
        "do; set kind to 'auto' or 'mask', or clear foreground_value")


def test_background_other_than_zero_with_zero_labels(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "l.tif", np.array([[255, 0], [1, 2]], np.uint8))
    assert failure(tmp_path, tmp_path / "l.tif", background=255) == (
        "parameter 'background': l.tif holds the value 0 as well as the background 255; as "
        "labels, 0 can only be background. Set kind to 'mask', or re-export with background 0")


# ----- shapes, colour, calibration ---------------------------------------------------------
def test_colour_label_image_refused(tmp_path: Path) -> None:
    colour = np.zeros((3, 4, 3), np.uint8)
    colour[0, 0] = (230, 25, 75)
    path = save_png(tmp_path / "overlay.png", colour)
    assert failure(tmp_path, path) == (
        "input 'path': overlay.png is a colour (RGB) image; labels cannot be read from colours. "
        "Export the labels as a single-channel integer image (e.g. a 16-bit grey TIFF from Fiji "
        "or ilastik)")


def test_stacks_need_a_plane_and_channels_are_refused(tmp_path: Path) -> None:
    stack = np.stack([np.full((3, 4), v, np.uint16) for v in (0, 4)])
    tifffile.imwrite(tmp_path / "z.tif", stack, imagej=True, metadata={"axes": "ZYX"})
    tifffile.imwrite(tmp_path / "c.ome.tif", stack, ome=True, photometric="minisblack",
                     metadata={"axes": "CYX"})
    assert failure(tmp_path, tmp_path / "z.tif") == (
        "parameter 'plane': z.tif is a stack of 2 planes (axes ZYX); set 'plane' to the one to "
        "load (0 to 1)")
    assert failure(tmp_path, tmp_path / "z.tif", plane=2) == (
        "parameter 'plane': z.tif has 2 planes (0 to 1); there is no plane 2")
    assert int(load(tmp_path, tmp_path / "z.tif", plane=1, kind="labels")[0].data.max()) == 4
    assert failure(tmp_path, tmp_path / "c.ome.tif") == (
        "input 'path': c.ome.tif has 2 channels (axes CYX); a label image has one channel. "
        "Export the labels as a single-channel integer image")


def test_calibration_read_and_overridden(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    tifffile.imwrite(tmp_path / "fiji.tif", (MASK > 0).astype(np.uint8), imagej=True,
                     resolution=(1 / 0.65, 1 / 0.65), metadata={"unit": "micron"})
    labels, mask = load(tmp_path, tmp_path / "fiji.tif")
    assert (labels.calibration.x, labels.calibration.unit) == (0.65, "um")
    assert (mask.calibration.x, mask.calibration.unit) == (0.65, "um")
    assert "calibration: 0.65 um per pixel, from ImageJ metadata" in capsys.readouterr().out
    override, _ = load(tmp_path, tmp_path / "fiji.tif", pixel_size="2.5 nm")
    assert (override.calibration.x, override.calibration.unit) == (2.5, "nm")
    assert failure(tmp_path, tmp_path / "fiji.tif", pixel_size=4) == (
        "parameter 'pixel_size': '4' is in pixels; give a physical size with its unit, e.g. "
        "'2.5 nm' or '0.65 um'")


# ----- unreadable files --------------------------------------------------------------------
def test_unreadable_files(tmp_path: Path) -> None:
    missing, empty, dot = tmp_path / "gone.tif", tmp_path / "empty.png", tmp_path / "dot.tif"
    empty.write_bytes(b"")
    tifffile.imwrite(dot, np.ones((1, 1), np.uint8))
    assert failure(tmp_path, missing) == f"input 'path': {missing}: file not found (check the path)"
    assert failure(tmp_path, empty) == (
        f"input 'path': {empty}: file is empty (0 bytes); re-export the image")
    assert failure(tmp_path, dot) == (
        f"input 'path': {dot} is 1 x 1 pixels; an image must be at least 2 x 2 pixels to analyse")


# ----- hand masks separated by 1-px lines --------------------------------------------------
def test_one_pixel_lines_separate_objects_only_with_4_connectivity(tmp_path: Path) -> None:
    mask = np.full((12, 12), 255, np.uint8)
    mask[np.arange(8), np.arange(8)] = 0  # a slanting 1-px line between two particles...
    mask[8] = 0  # ...and a straight one under them
    mask[:8, 8:] = 0
    path = save_png(tmp_path / "hand.png", mask)
    assert int(load(tmp_path, path)[0].data.max()) == 2  # 8: diagonal steps cross the line
    four, _ = load(tmp_path, path, connectivity=4)
    assert int(four.data.max()) == 3
    assert np.bincount(four.data.ravel()).tolist() == [52, 28, 28, 36]


# ----- cutting the rows of the image's data bar --------------------------------------------
def drawn_on_the_whole_file(tmp_path: Path) -> Path:
    """A hand mask of a 10 x 6 SEM file whose bottom 3 rows are the data bar."""
    mask = np.zeros((10, 6), np.uint8)
    mask[1:3, 1:3] = mask[5:7, 3:6] = 255
    return save_png(tmp_path / "hand.png", mask)


def cut_image(tmp_path: Path, rows: int, columns: int = 6) -> Path:
    tifffile.imwrite(tmp_path / "image.tif", np.full((rows, columns), 90, np.uint8))
    return tmp_path / "image.tif"


def load_like(tmp_path: Path, path: Path, like: Path, **params: object) -> Image:
    result = run_module(MODULE_DIR, tmp_path / f"run{next(_RUNS)}",
                        inputs={"path": path, "like": like}, params=params)
    return result.image("labels")


@pytest.mark.parametrize(("rows", "kept"), [(0, 10), (3, 7), (8, 2)])
def test_crop_bottom_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: int,
                          kept: int) -> None:
    labels, mask = load(tmp_path, drawn_on_the_whole_file(tmp_path), crop_bottom_rows=rows)
    assert labels.data.shape == mask.data.shape == (kept, 6)
    log = capsys.readouterr().out
    assert ("labels: removed the bottom 3 of 10 rows (parameter 'crop_bottom_rows')" in log) == (
        rows == 3)


def test_crop_bottom_rows_too_many(tmp_path: Path) -> None:
    assert failure(tmp_path, drawn_on_the_whole_file(tmp_path), crop_bottom_rows=9) == (
        "parameter 'crop_bottom_rows': 9 rows is too many; hand.png is 10 rows high and at least "
        "2 rows must remain")


@pytest.mark.parametrize("rows", [7, 10])
def test_like_cuts_labels_to_the_image_height(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              rows: int) -> None:
    labels = load_like(tmp_path, drawn_on_the_whole_file(tmp_path), cut_image(tmp_path, rows))
    assert labels.data.shape == (rows, 6)
    assert labels.data[:7].tolist() == [[0] * 6, [0, 1, 1, 0, 0, 0], [0, 1, 1, 0, 0, 0],
                                        [0] * 6, [0] * 6, [0, 0, 0, 2, 2, 2], [0, 0, 0, 2, 2, 2]]
    log = capsys.readouterr().out
    cut = "labels: removed the bottom 3 of 10 rows (to the height of input 'like', image.tif)"
    assert (cut in log) == (rows == 7)


@pytest.mark.parametrize(("shape", "params", "message"), [
    ((7, 5), {}, "input 'like': hand.png is 6 pixels wide and image.tif 5; labels and image "
                 "must have the same width (only the data bar rows may differ). Connect the image "
                 "the labels were drawn on"),
    ((11, 6), {}, "input 'like': hand.png is 10 rows high, fewer than the 11 of image.tif; the "
                  "labels must cover the whole image. Export them at the image's full size"),
    ((7, 6), {"crop_bottom_rows": 3}, "parameter 'crop_bottom_rows': set it or connect input "
                                      "'like', not both (with 'like' the rows are counted)"),
])
def test_like_refuses_labels_that_do_not_fit(tmp_path: Path, shape: tuple[int, int],
                                             params: dict[str, object], message: str) -> None:
    path, like = drawn_on_the_whole_file(tmp_path), cut_image(tmp_path, *shape)
    with pytest.raises(ModuleError) as info:
        load_like(tmp_path, path, like, **params)
    assert str(info.value) == message
