"""load-image on real files written with tifffile and Pillow: pixels, axes, calibration, errors."""

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
ZEISS = ("\r\n0\r\nAP_IMAGE_PIXEL_SIZE\r\nImage Pixel Size = 2.233 nm\r\n"
         "AP_MAG\r\nMag = 50.00 K X\r\n")


def load(tmp_path: Path, path: Path, **params: object) -> Image:
    result = run_module(MODULE_DIR, tmp_path / f"run{next(_RUNS)}", inputs={"path": path},
                        params=params)
    return result.image("image")


def failure(tmp_path: Path, path: Path, **params: object) -> str:
    with pytest.raises(ModuleError) as info:
        load(tmp_path, path, **params)
    return str(info.value)


def noise(shape: tuple[int, ...], dtype: type = np.uint8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(40, 200, shape).astype(dtype)


# ----- pixels, dtypes, axes ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_grey_tiff_keeps_values_and_dtype(tmp_path: Path, dtype: type) -> None:
    data = noise((6, 7), dtype)
    tifffile.imwrite(tmp_path / "grey.tif", data)
    image = load(tmp_path, tmp_path / "grey.tif")
    assert (image.axes, image.data.dtype, image.calibration) == ("YX", np.dtype(dtype), None)
    assert np.array_equal(image.data, data)


def test_16_bit_png_and_grey_jpeg(tmp_path: Path) -> None:
    data = (np.arange(12, dtype=np.uint16).reshape(3, 4) * 5000)
    PILImage.fromarray(data).save(tmp_path / "g.png")
    PILImage.new("L", (4, 3), 77).save(tmp_path / "g.jpg")
    png, jpg = load(tmp_path, tmp_path / "g.png"), load(tmp_path, tmp_path / "g.jpg")
    assert png.data.dtype == np.uint16 and np.array_equal(png.data, data)
    assert jpg.axes == "YX" and jpg.data.dtype == np.uint8 and int(jpg.data[1, 1]) == 77


def test_palette_images_give_the_index(tmp_path: Path) -> None:
    index = np.array([[0, 1, 2], [3, 2, 1]], np.uint8)
    colormap = np.zeros((3, 256), np.uint16)
    colormap[:, :4] = [[65535, 0, 0, 9000], [0, 65535, 0, 9000], [0, 0, 65535, 9000]]
    tifffile.imwrite(tmp_path / "p.tif", index, photometric="palette", colormap=colormap)
    png = PILImage.fromarray(index, mode="L").convert("P")
    png.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 30, 30, 30] + [0] * 756)
    png.save(tmp_path / "p.png")
    for name in ("p.tif", "p.png"):
        image = load(tmp_path, tmp_path / name)
        assert image.axes == "YX" and image.data.tolist() == index.tolist()


def rgb_file(tmp_path: Path) -> Path:
    rgb = np.zeros((2, 3, 3), np.uint8)
    rgb[0, 0], rgb[0, 1], rgb[0, 2] = (255, 0, 0), (0, 255, 0), (0, 0, 255)
    rgb[1] = (100, 150, 200)
    PILImage.fromarray(rgb).save(tmp_path / "colour.png")
    return tmp_path / "colour.png"


def test_rgb_to_grey_with_rec709_weights(tmp_path: Path) -> None:
    image = load(tmp_path, rgb_file(tmp_path))
    expected_row1 = round(0.2125 * 100 + 0.7154 * 150 + 0.0721 * 200)  # 143
    assert image.axes == "YX" and image.data.dtype == np.uint8
    assert image.data.tolist() == [[54, 182, 18], [expected_row1] * 3]


def test_grey_saved_as_rgb_stays_exact(tmp_path: Path) -> None:
    grey = noise((4, 5))
    PILImage.fromarray(np.stack([grey] * 3, axis=-1)).save(tmp_path / "sem.png")
    image = load(tmp_path, tmp_path / "sem.png")
    assert image.axes == "YX" and np.array_equal(image.data, grey)


def test_rgb_keep_and_channel_pick(tmp_path: Path) -> None:
    path = rgb_file(tmp_path)
    kept = load(tmp_path, path, colour="keep")
    green = load(tmp_path, path, channel=1)
    assert kept.axes == "YXS" and kept.data[1, 0].tolist() == [100, 150, 200]
    assert green.axes == "YX" and green.data.tolist() == [[0, 255, 0], [150, 150, 150]]
    assert failure(tmp_path, path, channel=3) == (
        "parameter 'channel': colour.png has 3 channels (0 to 2); there is no channel 3")


def test_multichannel_ome_keeps_all_or_one(tmp_path: Path) -> None:
    data = np.stack([np.full((4, 5), 10, np.uint16), np.full((4, 5), 20, np.uint16)])
    tifffile.imwrite(tmp_path / "cells.ome.tif", data, ome=True, metadata={
        "axes": "CYX", "PhysicalSizeX": 0.65, "PhysicalSizeY": 0.65})
    both = load(tmp_path, tmp_path / "cells.ome.tif")
    second = load(tmp_path, tmp_path / "cells.ome.tif", channel=1)
    assert both.axes == "CYX" and both.data[:, 0, 0].tolist() == [10, 20]
    assert second.axes == "YX" and int(second.data.max()) == 20
    assert (second.calibration.x, second.calibration.unit) == (0.65, "um")


def test_z_stack_kept_or_one_plane(tmp_path: Path) -> None:
    stack = np.stack([np.full((4, 5), z, np.uint8) for z in range(3)])
    tifffile.imwrite(tmp_path / "z.tif", stack, imagej=True, resolution=(2.0, 2.0),
                     metadata={"axes": "ZYX", "unit": "um", "spacing": 0.3})
    whole = load(tmp_path, tmp_path / "z.tif")
    plane = load(tmp_path, tmp_path / "z.tif", plane=2)
    assert whole.axes == "ZYX" and whole.data[:, 0, 0].tolist() == [0, 1, 2]
    cal = whole.calibration
    assert (cal.x, cal.y, cal.unit, cal.z) == (0.5, 0.5, "um", pytest.approx(0.3))  # ImageJ
    assert plane.axes == "YX" and int(plane.data.max()) == 2
    assert failure(tmp_path, tmp_path / "z.tif", plane=3) == (
        "parameter 'plane': z.tif has 3 planes (0 to 2); there is no plane 3")


def test_multipage_tiff_page_pick(tmp_path: Path) -> None:
    for value in (5, 6):
        tifffile.imwrite(tmp_path / "pages.tif", np.full((3, 4), value, np.uint8),
                         append=True, metadata=None)
    image = load(tmp_path, tmp_path / "pages.tif", plane=1)
    assert image.axes == "YX" and int(image.data.min()) == 6


# ----- calibration -------------------------------------------------------------------------
def test_zeiss_calibration_and_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "zeiss.tif"
    tifffile.imwrite(path, noise((40, 30)), extratags=[(34118, "s", 0, ZEISS, True)])
    image = load(tmp_path, path)
    cal = image.calibration
    assert (cal.x, cal.y, cal.unit) == (2.233, 2.233, "nm")  # source: the log below
    assert "calibration: 2.233 nm per pixel, from Zeiss CZ_SEM metadata" in capsys.readouterr().out


def test_pixel_size_parameter_wins(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "zeiss.tif"
    tifffile.imwrite(path, noise((40, 30)), extratags=[(34118, "s", 0, ZEISS, True)])
    image = load(tmp_path, path, pixel_size="2.5 nm")
    assert (image.calibration.x, image.calibration.unit) == (2.5, "nm")
    assert ("calibration: 2.5 nm per pixel, from the 'pixel_size' parameter (overrides "
            "2.233 nm from Zeiss CZ_SEM in zeiss.tif)") in capsys.readouterr().out


def test_non_square_pixels_are_logged_with_what_works_on_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tall.ome.tif"
    tifffile.imwrite(path, noise((40, 30)), ome=True, metadata={
        "PhysicalSizeX": 2.0, "PhysicalSizeXUnit": "nm",
        "PhysicalSizeY": 3.0, "PhysicalSizeYUnit": "nm"})
    cal = load(tmp_path, path).calibration
    assert (cal.x, cal.y, cal.unit) == (2.0, 3.0, "nm")
    assert ("calibration: 2 x 3 nm per pixel, from OME-XML metadata; pixels are not square: "
            "areas and phase fractions use x times y, but measuring objects, watershed, "
            "circularity limits and lengths in physical units need square pixels (resample the "
            "image, or set 'pixel_size' if the file's sizes are wrong)") in capsys.readouterr().out


def test_uncalibrated_file_is_logged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    PILImage.fromarray(noise((5, 6))).save(tmp_path / "plain.png")
    assert load(tmp_path, tmp_path / "plain.png").calibration is None
    assert ("calibration: none found in plain.png; sizes stay in pixels (set 'pixel_size', "
            "e.g. '2.5 nm', to measure in physical units)") in capsys.readouterr().out


@pytest.mark.parametrize(("value", "message"), [
    ("3 px", "parameter 'pixel_size': '3 px' is in pixels; give a physical size with its "
             "unit, e.g. '2.5 nm' or '0.65 um'"),
    ("0 nm", "parameter 'pixel_size': must be larger than 0, got '0 nm'"),
])
def test_bad_pixel_size(tmp_path: Path, value: str, message: str) -> None:
    tifffile.imwrite(tmp_path / "a.tif", noise((5, 6)))
    assert failure(tmp_path, tmp_path / "a.tif", pixel_size=value) == message


# ----- refusals ----------------------------------------------------------------------------
def test_missing_and_empty_files(tmp_path: Path) -> None:
    missing, empty = tmp_path / "gone.tif", tmp_path / "empty.tif"
    empty.write_bytes(b"")
    assert failure(tmp_path, missing) == f"input 'path': {missing}: file not found (check the path)"
    assert failure(tmp_path, empty) == (
        f"input 'path': {empty}: file is empty (0 bytes); re-export the image")


def test_truncated_tiff_and_png(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "whole.tif", noise((200, 200)))
    PILImage.fromarray(noise((200, 200))).save(tmp_path / "whole.png")
    for name in ("whole.tif", "whole.png"):
        cut = tmp_path / f"cut{Path(name).suffix}"
        cut.write_bytes((tmp_path / name).read_bytes()[:3000])
        message = failure(tmp_path, cut)
        assert message.startswith(f"input 'path': {cut}: not a readable ")
        assert "truncated or corrupt" in message


def test_image_without_pixels(tmp_path: Path) -> None:
    path = tmp_path / "none.tif"
    with pytest.warns(UserWarning, match="zero-size array"):
        tifffile.imwrite(path, np.zeros((0, 10), np.uint8))
    assert failure(tmp_path, path) == (
        f"input 'path': {path}: the image has no pixels (shape 0 x 10); re-export it from the "
        "microscope software or Fiji")


@pytest.mark.parametrize(("shape", "size"), [((1, 1), "1 x 1"), ((1, 40), "40 x 1")])
def test_too_small_images(tmp_path: Path, shape: tuple[int, int], size: str) -> None:
    path = tmp_path / "dot.tif"
    tifffile.imwrite(path, np.zeros(shape, np.uint8))
    assert failure(tmp_path, path) == (
        f"input 'path': {path} is {size} pixels; an image must be at least 2 x 2 pixels to "
        "analyse")


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "scan.czi"
    path.write_bytes(b"ZISRAWFILE")
    assert failure(tmp_path, path) == (
        f"input 'path': {path}: '.czi' files are not supported; use TIFF, OME-TIFF, PNG or "
        "JPEG (Fiji with Bio-Formats converts other microscope formats to OME-TIFF)")
