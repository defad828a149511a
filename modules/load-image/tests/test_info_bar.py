"""Cutting the SEM data bar: from FEI/Zeiss metadata, from pixels, by hand; never by mistake."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image as PILImage

from lamella.core.errors import ModuleError
from lamella.core.sdk import Image
from lamella.core.sdk.testing import import_module_file, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
infobar = import_module_file(MODULE_DIR, "infobar")
_RUNS = itertools.count()
HEIGHT, WIDTH, BAR = 120, 100, 20


def load(tmp_path: Path, path: Path, **params: object) -> Image:
    result = run_module(MODULE_DIR, tmp_path / f"run{next(_RUNS)}", inputs={"path": path},
                        params=params)
    return result.image("image")


def micrograph(seed: int = 0) -> np.ndarray:
    """Noisy grey SEM-like content with a few bright particles."""
    rng = np.random.default_rng(seed)
    image = rng.normal(110, 12, (HEIGHT, WIDTH)).clip(0, 255).astype(np.uint8)
    for y, x in rng.integers(8, 90, (6, 2)):
        image[y - 4:y + 4, x - 4:x + 4] = 220
    return image


def with_bar(image: np.ndarray, *, background: int = 0, text: int = 255,
             separator: int | None = None) -> np.ndarray:
    """Paint a data bar like FEI/Zeiss software: flat band, a margin, then text and a scale bar."""
    out = image.copy()
    out[-BAR:] = background
    out[-BAR + 4:-BAR + 11, 8:30] = text   # "HV 5.00 kV"
    out[-BAR + 4:-BAR + 11, 40:52] = text  # "WD 4.1 mm"
    out[-6:-4, 70:95] = text               # scale bar
    if separator is not None:
        out[-BAR - 1] = separator
    return out


def fei_file(path: Path, pixels: np.ndarray, image_section: str) -> Path:
    text = ("[User]\r\nDate=03/14/2024\r\n[Scan]\r\nPixelWidth=2.5e-09\r\nPixelHeight=2.5e-09\r\n"
            f"{image_section}")
    tifffile.imwrite(path, pixels, extratags=[(34682, "s", 0, text, True)])
    return path


# ----- from metadata -----------------------------------------------------------------------
def test_fei_resolution_y_gives_the_micrograph_height(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    pixels = with_bar(micrograph())
    section = "[Image]\r\nResolutionX=100\r\nResolutionY=100\r\n"
    path = fei_file(tmp_path / "fei.tif", pixels, section)
    image = load(tmp_path, path)
    assert image.data.shape == (100, 100) and np.array_equal(image.data, pixels[:100])
    assert (image.calibration.x, image.calibration.unit) == (2.5, "nm")
    out = capsys.readouterr().out
    assert "info bar: removed the bottom 20 of 120 rows (FEI [Image] ResolutionY = 100)" in out
    assert "calibration: 2.5 nm per pixel, from FEI metadata" in out


def test_fei_file_saved_without_bar_is_not_cut(tmp_path: Path) -> None:
    # Metadata says all 120 rows are micrograph: trusted over the look of the pixels.
    pixels = with_bar(micrograph())
    path = fei_file(tmp_path / "fei.tif", pixels, "[Image]\r\nResolutionY=120\r\n")
    assert load(tmp_path, path).data.shape == (120, 100)


def test_fei_databar_height(tmp_path: Path) -> None:
    path = fei_file(tmp_path / "fei.tif", micrograph(), "[PrivateFei]\r\nDatabarHeight=17\r\n")
    assert load(tmp_path, path).data.shape == (103, 100)


def test_zeiss_store_resolution_shorter_than_file(tmp_path: Path) -> None:
    text = ("\r\n0\r\nAP_IMAGE_PIXEL_SIZE\r\nImage Pixel Size = 2.233 nm\r\n"
            "DP_IMAGE_STORE\r\nStore resolution = 100 * 100\r\n")
    tifffile.imwrite(tmp_path / "z.tif", micrograph(), extratags=[(34118, "s", 0, text, True)])
    image = load(tmp_path, tmp_path / "z.tif")
    assert image.data.shape == (100, 100) and image.calibration.x == 2.233


# ----- from pixels -------------------------------------------------------------------------
@pytest.mark.parametrize(("background", "text", "separator", "cut"), [
    (0, 255, None, BAR),        # black bar, white text (FEI, Zeiss)
    (255, 0, None, BAR),        # white bar, black text (JEOL, Tescan)
    (0, 255, 255, BAR + 1),     # white separator line above a black bar
])
def test_bar_found_in_pixels(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             background: int, text: int, separator: int | None, cut: int) -> None:
    pixels = with_bar(micrograph(), background=background, text=text, separator=separator)
    PILImage.fromarray(pixels).save(tmp_path / "sem.png")
    image = load(tmp_path, tmp_path / "sem.png")
    assert np.array_equal(image.data, pixels[:HEIGHT - cut])
    log = capsys.readouterr().out
    assert f"info bar: removed the bottom {cut} of 120 rows (pixel content)" in log


def test_bar_cut_from_rgb_and_from_every_plane(tmp_path: Path) -> None:
    pixels = with_bar(micrograph())
    PILImage.fromarray(np.stack([pixels] * 3, axis=-1)).save(tmp_path / "rgb.png")
    tifffile.imwrite(tmp_path / "stack.tif", np.stack([pixels, pixels]), imagej=True,
                     metadata={"axes": "ZYX"})
    rgb = load(tmp_path, tmp_path / "rgb.png", colour="keep")
    stack = load(tmp_path, tmp_path / "stack.tif")
    assert rgb.axes == "YXS" and rgb.data.shape == (100, 100, 3)
    assert stack.axes == "ZYX" and stack.data.shape == (2, 100, 100)


def dark_field() -> np.ndarray:
    image = np.zeros((HEIGHT, WIDTH), np.uint8)
    for y, x in np.random.default_rng(1).integers(3, 117, (25, 2)):
        image[y - 2:y + 2, min(x, 96) - 2:min(x, 96) + 2] = 240
    return image


def flat_dark_bottom() -> np.ndarray:
    image = micrograph()
    image[-BAR:] = 0  # e.g. a hole or the stage below a cross-section: no text on it
    return image


def text_at_the_edge() -> np.ndarray:
    image = with_bar(micrograph())
    image[-BAR:-BAR + 3, 8:30] = 255  # no flat margin nor line between picture and band
    return image


def smooth_micrograph_above_bar() -> np.ndarray:
    image = with_bar(micrograph())
    image[:-BAR] = 110  # a very smooth, flat micrograph: no row of it is a separator line
    image[20:30, 20:30] = 200
    return image


def tall_band() -> np.ndarray:
    image = micrograph()
    image[-50:] = 0
    image[-40:-30, 10:40] = 255
    return image


def speckled_micrograph(shape: tuple[int, int] = (400, 500), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(40, 200, shape).astype(np.uint8)


def one_particle_on_a_flat_band() -> np.ndarray:
    image = speckled_micrograph()
    image[370:] = 0  # flat substrate below the field, holding one bright particle
    image[380:392, 200:215] = 255
    return image


def two_particles_on_a_flat_band() -> np.ndarray:
    image = speckled_micrograph()
    image[360:] = 0
    yy, xx = np.indices(image.shape)
    for cy, cx, radius in ((380, 120, 8), (385, 300, 6)):
        image[(yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2] = 230
    return image


def vacuum_below_a_cross_section(particles: int = 0) -> np.ndarray:
    """Sample above, vacuum below: dark shot noise, hot pixels, maybe loose particles."""
    rng = np.random.default_rng(2)
    image = rng.normal(120, 15, (400, 500)).clip(0, 255).astype(np.uint8)
    vacuum = image[330:]
    vacuum[:] = rng.poisson(2, vacuum.shape)
    vacuum.flat[rng.integers(0, vacuum.size, 40)] = 250  # single hot pixels
    yy, xx = np.indices(vacuum.shape)
    for cy, cx, radius in ((20, 100, 5), (42, 260, 7))[:particles]:
        vacuum[(yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2] = 200
    return image


def vacuum_with_two_particles() -> np.ndarray:
    return vacuum_below_a_cross_section(particles=2)


@pytest.mark.parametrize("make", [micrograph, dark_field, flat_dark_bottom, text_at_the_edge,
                                  tall_band, one_particle_on_a_flat_band,
                                  two_particles_on_a_flat_band, vacuum_below_a_cross_section,
                                  vacuum_with_two_particles])
def test_no_bar_no_cut(make: object) -> None:
    pixels = make()  # type: ignore[operator]
    assert infobar.detect_bar_rows(pixels) == 0
    assert infobar.detect_bar_rows(jpeg_round_trip(pixels)) == 0


def jpeg_round_trip(pixels: np.ndarray, quality: int = 85) -> np.ndarray:
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with PILImage.open(buffer) as decoded:
        return np.asarray(decoded)


def test_bar_found_in_jpeg(tmp_path: Path) -> None:
    # JPEG rings around the bar's edge and text; the 3 % tolerance absorbs it.
    PILImage.fromarray(with_bar(micrograph())).save(tmp_path / "sem.jpg", quality=90)
    assert load(tmp_path, tmp_path / "sem.jpg").data.shape == (100, 100)
    assert infobar.detect_bar_rows(jpeg_round_trip(with_bar(micrograph(), separator=255))) == 21


def test_micrograph_without_bar_is_kept_whole(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    pixels = micrograph()
    tifffile.imwrite(tmp_path / "plain.tif", pixels)
    assert np.array_equal(load(tmp_path, tmp_path / "plain.tif").data, pixels)
    assert "info bar: nothing removed (pixel content)" in capsys.readouterr().out


def test_three_marks_on_a_flat_band_make_a_bar() -> None:
    # the fewest marks a bar carries: a word, a second word, a scale bar
    image = one_particle_on_a_flat_band()
    image[380:392, 240:262] = 255
    assert infobar.detect_bar_rows(image) == 0
    image[395:398, 400:480] = 255
    assert infobar.detect_bar_rows(image) == 30


def test_marks_are_8_connected_patches_of_3_pixels_or_more() -> None:
    band = np.zeros((10, 40), np.uint8)
    band[2:4, 2:4] = band[4:6, 4:6] = 255  # two squares touching at a corner: one mark
    band[2, 10] = band[2, 11] = 255  # 2 px: a speck, not a mark
    band[6:8, 20:38] = 255  # a line
    assert sorted(infobar._marks(band, 0, 64)) == [(2, 18), (4, 4)]


def test_smooth_micrograph_rows_are_not_taken_for_a_separator() -> None:
    assert infobar.detect_bar_rows(smooth_micrograph_above_bar()) == BAR


def test_16_bit_and_float_bars() -> None:
    grey = micrograph().astype(np.uint16) * 200
    assert infobar.detect_bar_rows(with_bar(grey, text=65535)) == BAR
    assert infobar.detect_bar_rows(with_bar(micrograph().astype(np.float32) / 255, text=1)) == BAR


# ----- by hand -----------------------------------------------------------------------------
def test_off_and_fixed_rows(tmp_path: Path) -> None:
    pixels = with_bar(micrograph())
    tifffile.imwrite(tmp_path / "sem.tif", pixels)
    assert load(tmp_path, tmp_path / "sem.tif", crop_info_bar="off").data.shape == (120, 100)
    fixed = load(tmp_path, tmp_path / "sem.tif", crop_info_bar="rows", info_bar_rows=7)
    assert np.array_equal(fixed.data, pixels[:113])


def test_too_many_rows_refused(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "sem.tif", micrograph())
    with pytest.raises(ModuleError) as info:
        load(tmp_path, tmp_path / "sem.tif", crop_info_bar="rows", info_bar_rows=119)
    assert str(info.value) == ("parameter 'info_bar_rows': 119 rows is too many; sem.tif is 120 "
                               "rows high and at least 2 rows must remain")
