"""Data bars laid out as Zeiss SmartSEM and FEI/Thermo software write them, and look-alikes.

Every fixture is synthetic: it reproduces the row layout measured on real files (bar
background, separator and frame lines, rows left under the bar), not their pixels.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image as PILImage

from lamella.core.sdk.testing import ModuleRun, import_module_file, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
infobar = import_module_file(MODULE_DIR, "infobar")
_RUNS = itertools.count()
GREY_MAP = np.tile(np.arange(256, dtype=np.uint16) * 257, (3, 1))


def run(tmp_path: Path, path: Path, **params: object) -> ModuleRun:
    return run_module(MODULE_DIR, tmp_path / f"run{next(_RUNS)}", inputs={"path": path},
                      params=params)


# ----- painting micrographs and bars -------------------------------------------------------
def micrograph(shape: tuple[int, int], seed: int = 0, *, grey: float = 120,
               mode: int | None = None) -> np.ndarray:
    """SEM-like uint8 content: smooth shading, noise and bright round particles.

    ``mode``: rows of a low-contrast scan whose most common value holds ~18 % of a row.
    """
    rng = np.random.default_rng(seed)
    if mode is not None:
        return (mode + rng.normal(0, 1.7, shape)).round().clip(0, 255).astype(np.uint8)
    yy, xx = np.indices(shape)
    image = grey + 25 * np.sin(xx / 37.0) * np.cos(yy / 23.0) + rng.normal(0, 10, shape)
    for cy, cx in rng.integers(0, shape, (shape[0] * shape[1] // 4000, 2)):
        image[(yy - cy) ** 2 + (xx - cx) ** 2 <= 16] = 225
    return image.clip(0, 255).astype(np.uint8)


def characters(image: np.ndarray, row: int, col: int, count: int, value: int, *,
               height: int = 8) -> None:
    """``count`` separate glyphs, 3 px wide with 2 px gaps (each one mark)."""
    for k in range(count):
        image[row:row + height, col + 5 * k:col + 5 * k + 3] = value


def scale_bar(image: np.ndarray, row: int, col: int, length: int, value: int) -> None:
    image[row:row + 2, col:col + length] = value
    image[row - 4:row + 6, col] = image[row - 4:row + 6, col + length - 1] = value


def write_text(image: np.ndarray, top: int, value: int) -> None:
    """A two-line data bar text starting ``top`` rows down: labels, values, a scale bar."""
    width = image.shape[1]
    for line, row in enumerate((top + 4, top + 16)):
        for word in range(4):
            characters(image, row, 20 + word * width // 5 + 7 * line, 6, value)
    scale_bar(image, top + 8, width - width // 5, width // 8, value)


def zeiss_layout_a(seed: int = 0) -> np.ndarray:
    """1024 x 768: micrograph, bar rows 712-765 (black, text up to 243), 2 scan rows under it."""
    image = micrograph((768, 1024), seed)
    image[712:766] = 0
    write_text(image, 724, 243)
    characters(image, 750, 400, 8, 160)  # anti-aliased grey of the small font
    image[766:] = micrograph((2, 1024), seed, mode=44)
    return image


def zeiss_layout_b(height: int = 768, width: int = 1024, *, bar: int = 74,
                   background: int = 255, seed: int = 0) -> np.ndarray:
    """Black line, white bar with black text in a black frame, black line, one scan row."""
    image = micrograph((height, width), seed)
    top = height - bar - 2
    image[top - 1] = 0
    image[top:height - 2, 2:-2] = background
    image[top:height - 2, 1] = image[top:height - 2, -2] = 0  # frame; columns 0 and -1 stay
    image[height - 2] = 0
    write_text(image, top + 4, 0)
    characters(image, top + 40, width // 2, 3, 18)  # palette overlay colour 18
    return image


def fei_layout(*, blank: bool = False, bits: int = 8, seed: int = 0) -> np.ndarray:
    """471 x 512: micrograph rows 0-441, line 442 (252), black bar 443-469 with bright text
    in cells, frame line 470 (252); at 16 bits the same in 256ths (64512, 65280)."""
    image = np.zeros((471, 512), np.uint8) if blank else micrograph((471, 512), seed)
    image[442] = image[470] = 252
    image[443:470] = 0
    image[443:470, 0] = image[443:470, -1] = 252
    for x in (36, 84, 134, 190, 240, 300):
        image[443:470, x] = 252  # cell dividers
    write_text(image, 443, 255)
    return image.astype(np.uint16) * 256 if bits == 16 else image


def with_bar(image: np.ndarray, rows: int, *, background: int, text: int,
             separator: int | None = None, scan_rows: int = 0,
             line_under: int | None = None) -> np.ndarray:
    """A generic bar ``rows`` high over ``scan_rows`` image rows, maybe with lines around it."""
    out = image.copy()
    bottom = out.shape[0] - scan_rows - (line_under is not None)
    out[bottom - rows:bottom] = background
    write_text(out, bottom - rows, text)
    if separator is not None:
        out[bottom - rows - 1] = separator
    if line_under is not None:
        out[bottom] = line_under
    return out


def jpeg(pixels: np.ndarray, quality: int = 90) -> np.ndarray:
    buffer = io.BytesIO()
    PILImage.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with PILImage.open(buffer) as decoded:
        return np.asarray(decoded)


# ----- bars that must be found: (case, pixels, rows cut) -----------------------------------
PLAIN = micrograph((400, 500), 3)
PLAIN_16 = PLAIN.astype(np.uint16) * 257

FOUND: list[tuple[str, Callable[[], np.ndarray], int]] = [
    ("Zeiss A: black bar, 2 scan rows under it", zeiss_layout_a, 56),
    ("Zeiss B 1k: white bar between black lines", zeiss_layout_b, 77),
    ("Zeiss B 512: background 243", lambda: zeiss_layout_b(384, 512, bar=31, background=243),
     34),
    ("FEI 8 bit, tags stripped", fei_layout, 29),
    ("FEI 16 bit, tags stripped", lambda: fei_layout(bits=16), 29),
    ("FEI blank micrograph, tags stripped", lambda: fei_layout(blank=True), 29),
    ("FEI blank micrograph 16 bit", lambda: fei_layout(blank=True, bits=16), 29),
    ("dark bar, white separator", lambda: with_bar(PLAIN, 30, background=0, text=255,
                                                   separator=255), 31),
    ("bright bar, black separator", lambda: with_bar(PLAIN, 30, background=255, text=0,
                                                     separator=0), 31),
    ("dark bar, 1 scan row under it", lambda: with_bar(PLAIN, 30, background=0, text=255,
                                                       scan_rows=1), 31),
    ("dark bar, 3 scan rows under it", lambda: with_bar(PLAIN, 30, background=0, text=255,
                                                        scan_rows=3), 33),
    ("bright bar, black line and 3 scan rows under it",
     lambda: with_bar(PLAIN, 30, background=250, text=0, line_under=0, scan_rows=3), 34),
    ("16-bit dark bar, bright text", lambda: with_bar(PLAIN_16, 30, background=0, text=65535,
                                                      scan_rows=2), 32),
    ("16-bit bright bar, dark text", lambda: with_bar(PLAIN_16, 30, background=65535, text=0,
                                                      separator=0), 31),
    ("Zeiss B 1k, JPEG quality 90", lambda: jpeg(zeiss_layout_b()), 77),
    ("FEI 8 bit, JPEG quality 90", lambda: jpeg(fei_layout()), 29),
]


@pytest.mark.parametrize(("case", "make", "rows"), FOUND, ids=[c[0] for c in FOUND])
def test_bar_found(case: str, make: Callable[[], np.ndarray], rows: int) -> None:
    assert infobar.detect_bar_rows(make()) == rows


def test_dense_text_line_stays_in_the_bar() -> None:
    # a text row only 30 % background is still bar: the cut does not stop inside the bar
    image = fei_layout()
    image[455:458, 1:-1:5] = image[455:458, 2:-1:5] = image[455:458, 3:-1:5] = 255
    assert float(np.mean(image[456] == 0)) < 0.45
    assert infobar.detect_bar_rows(image) == 29


# ----- look-alikes that must be kept whole -------------------------------------------------
def vacuum_band(*, particles: int, clipped: bool = True, scan_rows: int = 0) -> np.ndarray:
    """Cross-section over vacuum with a sharp straight edge, holding shaded round particles."""
    rng = np.random.default_rng(4)
    image = micrograph((400, 500), 4)
    vacuum = image[320:400 - scan_rows]
    vacuum[:] = 0 if clipped else rng.poisson(3, vacuum.shape)
    yy, xx = np.indices(vacuum.shape)
    for cy, cx in rng.integers((12, 20), (vacuum.shape[0] - 12, 480), (particles, 2)):
        distance = np.hypot(yy - cy, xx - cx)
        vacuum[:] = np.maximum(vacuum, (230 * np.exp(-(distance / 5) ** 2)).astype(np.uint8))
    return image


def shadow_band() -> np.ndarray:
    """The bottom fades into a shadow over 15 rows; bright particles lie in the dark."""
    image = micrograph((400, 500), 5).astype(np.float64)
    fade = np.clip((np.arange(400) - 310) / 15, 0, 1)[:, np.newaxis]
    image = image * (1 - fade) + 4 * fade
    for col in range(40, 480, 40):
        image[360:366, col:col + 6] = 235
    return image.astype(np.uint8)


def flat_grey_substrate() -> np.ndarray:
    image = micrograph((400, 500), 6)
    image[330:] = 128
    for col in range(30, 480, 45):
        image[350:358, col:col + 8] = 235  # particles on a flat mid-grey substrate
    return image


def text_like_particles_near_the_bottom() -> np.ndarray:
    image = micrograph((400, 500), 7)
    characters(image, 380, 20, 40, 255)  # a row of glyph-like bright rods on the micrograph
    scale_bar(image, 392, 300, 80, 255)
    return image


def bright_band_two_particles() -> np.ndarray:
    image = micrograph((400, 500), 8)
    image[340:] = 250
    image[360:372, 100:112] = image[370:380, 300:318] = 20
    return image


def noise(dtype: type = np.uint8, sigma: float = 40, seed: int = 9) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = rng.normal(0.5, sigma / 255, (400, 500)).clip(0, 1)
    return (image * np.iinfo(dtype).max).astype(dtype)


def smooth_low_noise_with_saturated_spots() -> np.ndarray:
    image = noise(sigma=3)
    image[::37, ::41] = 255
    image[5::53, 7::29] = 0
    return image


def saturated_edge_over_vacuum() -> np.ndarray:
    image = vacuum_band(particles=2, clipped=False)
    image[319] = 255  # the bright top edge of a cross-section, straight and full width
    return image


KEPT: list[tuple[str, Callable[[], np.ndarray]]] = [
    ("clipped black vacuum, sharp edge, 6 particles", lambda: vacuum_band(particles=6)),
    ("noisy vacuum, sharp edge, 8 particles", lambda: vacuum_band(particles=8, clipped=False)),
    ("vacuum, 2 particles, 2 scan rows under it",
     lambda: vacuum_band(particles=2, scan_rows=2)),
    ("shadow fading in, 11 particles", shadow_band),
    ("flat grey substrate, 10 particles", flat_grey_substrate),
    ("text-like rods and a line on the micrograph", text_like_particles_near_the_bottom),
    ("bright flat band, 2 particles", bright_band_two_particles),
    ("saturated edge line over vacuum, 2 particles", saturated_edge_over_vacuum),
    ("noise", noise),
    ("16-bit noise", lambda: noise(np.uint16)),
    ("low noise, saturated spots", smooth_low_noise_with_saturated_spots),
    ("black micrograph", lambda: np.zeros((400, 500), np.uint8)),
]


@pytest.mark.parametrize(("case", "make"), KEPT, ids=[c[0] for c in KEPT])
def test_look_alike_kept_whole(case: str, make: Callable[[], np.ndarray]) -> None:
    pixels = make()
    assert infobar.detect_bar_rows(pixels) == 0
    if pixels.dtype == np.uint8:
        assert infobar.detect_bar_rows(jpeg(pixels, 85)) == 0


# ----- through the module: palette TIFFs with vendor tags ----------------------------------
def zeiss_tiff(path: Path, pixels: np.ndarray) -> Path:
    """A SmartSEM-style file: grey palette, CZ_SEM tag whose store size is the file's own."""
    height, width = pixels.shape
    text = ("\r\n0\r\nAP_IMAGE_PIXEL_SIZE\r\nImage Pixel Size = 7.344 nm\r\n"
            f"DP_IMAGE_STORE\r\nStore resolution = {width} * {height}\r\n")
    tifffile.imwrite(path, pixels, photometric="palette", colormap=GREY_MAP,
                     resolution=(1, 1), resolutionunit=1,
                     extratags=[(34118, "s", 0, text, True)])
    return path


@pytest.mark.parametrize(("make", "rows", "first_row", "detail"), [
    (zeiss_layout_a, 56, 712, "a dark bar (background 0, rows 712-765) holding 57 marks of "
                              "text, 2 rows under it"),
    (zeiss_layout_b, 77, 691, "a bright bar (background 255, rows 692-765) holding 54 marks of "
                              "text, a separator line of 1 row above it, 2 rows under it"),
])
def test_zeiss_palette_file_cut_from_pixels(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            make: Callable[[], np.ndarray], rows: int,
                                            first_row: int, detail: str) -> None:
    pixels = make()
    result = run(tmp_path, zeiss_tiff(tmp_path / "zeiss.tif", pixels))
    image = result.image("image")
    assert np.array_equal(image.data, pixels[:768 - rows])
    assert (image.calibration.x, image.calibration.unit) == (7.344, "nm")
    log = capsys.readouterr().out
    assert f"info bar: rows {first_row}-767 cut: {detail}" in log
    assert f"info bar: removed the bottom {rows} of 768 rows (pixel content)" in log
    assert "warning" not in log


def test_fei_file_without_tags_cut_from_pixels(tmp_path: Path) -> None:
    pixels = fei_layout(bits=16)
    tifffile.imwrite(tmp_path / "stripped.tif", pixels)
    assert np.array_equal(run(tmp_path, tmp_path / "stripped.tif").image("image").data,
                          pixels[:442])


def test_vendor_file_without_a_bar_found_warns(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    pixels = micrograph((300, 400), 10)
    result = run(tmp_path, zeiss_tiff(tmp_path / "nobar.tif", pixels))
    assert result.image("image").data.shape == (300, 400)
    message = ("info bar: nobar.tif has Zeiss SEM metadata but no data bar was found; if the "
               "image has one, set crop_info_bar: rows and info_bar_rows: N (the bar's height "
               "in rows)")
    assert f"warning: {message}" in capsys.readouterr().out
    notes = json.loads((result.path("image").parent / "outputs.json").read_text())
    assert notes["warnings"] == [message]


def test_plain_file_without_a_bar_does_not_warn(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    tifffile.imwrite(tmp_path / "plain.tif", micrograph((300, 400), 10))
    result = run(tmp_path, tmp_path / "plain.tif")
    assert "warning" not in capsys.readouterr().out
    notes = json.loads((result.path("image").parent / "outputs.json").read_text())
    assert "warnings" not in notes
