"""lamella/denoise on small synthetic images with known answers."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from lamella.core.errors import ModuleError
from lamella.core.sdk import Calibration, Image, write_image
from lamella.core.sdk.testing import import_module_file, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
NM2 = Calibration(2.0, 2.0, "nm")
ALL_OFF = {"method": "none", "background": "none", "normalise": "none"}


def save(tmp_path: Path, data: np.ndarray, cal: Calibration | None = NM2, axes: str = "YX") -> Path:
    return write_image(tmp_path / "in.ome.tif", Image(data, axes, cal))


def run(tmp_path: Path, data: np.ndarray, cal: Calibration | None = NM2, axes: str = "YX",
        **params) -> Image:
    result = run_module(MODULE_DIR, tmp_path, inputs={"image": save(tmp_path, data, cal, axes)},
                        params={**ALL_OFF, **params})
    return result.image("image")


def disk_mask(shape: tuple[int, int], centre: tuple[int, int], radius: float) -> np.ndarray:
    yy, xx = np.indices(shape)
    return (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2


def test_gaussian_reduces_white_noise_by_the_predicted_factor(tmp_path: Path) -> None:
    noise = np.random.default_rng(1).normal(100.0, 10.0, (512, 512)).astype(np.float32)
    out = run(tmp_path, noise, method="gaussian", sigma="4 nm")  # 2 px at 2 nm per pixel
    inner = out.data[16:-16, 16:-16]
    # White noise through a 2-D Gaussian of sigma s keeps std / (2 sqrt(pi) s) = 1.410 here.
    predicted = 10.0 / (2 * np.sqrt(np.pi) * 2.0)
    assert inner.std() == pytest.approx(predicted, rel=0.03)
    assert inner.mean() == pytest.approx(100.0, abs=0.1)
    assert out.data.dtype == np.float32
    assert (out.calibration.x, out.calibration.y, out.calibration.unit) == (2.0, 2.0, "nm")


def test_gaussian_keeps_integer_type(tmp_path: Path) -> None:
    step = np.zeros((20, 20), np.uint8)
    step[:, 10:] = 200
    out = run(tmp_path, step, method="gaussian", sigma="1 px")
    assert out.data.dtype == np.uint8
    # 200 x the Gaussian weights (sigma 1, cut at 4 sigma) beyond each pixel, rounded.
    assert out.data[5, 6:14].tolist() == [0, 1, 12, 60, 140, 188, 199, 200]


def test_median_removes_salt_and_pepper(tmp_path: Path) -> None:
    flat = np.full((64, 64), 100, np.uint8)
    rng = np.random.default_rng(2)
    noisy = flat.copy()
    # Isolated specks (at most one per 4x4 cell), half white, half black.
    for y in range(0, 64, 4):
        for x in range(0, 64, 4):
            if rng.random() < 0.5:
                noisy[y + rng.integers(4), x + rng.integers(4)] = 255 if rng.random() < 0.5 else 0
    assert (noisy != 100).sum() > 100
    out = run(tmp_path, noisy, method="median", median_radius="2 nm")  # 1 px
    assert out.data.dtype == np.uint8
    assert np.array_equal(out.data, flat)


def ramp_with_spots(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.indices(shape)
    spots = np.zeros(shape, bool)
    for centre in [(20, 20), (30, 70), (60, 40), (70, 80)]:
        spots |= disk_mask(shape, centre, 3)
    return 1000.0 + 2.0 * xx + 1.0 * yy, spots


def test_rolling_ball_flattens_a_gradient_and_keeps_spot_contrast(tmp_path: Path) -> None:
    ramp, spots = ramp_with_spots((100, 100))
    image = (ramp + 300.0 * spots).astype(np.uint16)
    out = run(tmp_path, image, Calibration(0.5, 0.5, "um"), background="rolling-ball",
              ball_radius="5 um")  # 10 px, larger than the 7 px spots
    assert out.data.dtype == np.uint16
    assert out.data[~spots].max() == 0  # the 1000..1300 ramp is gone, up to the edges
    # Every spot keeps the same contrast wherever it sits on the ramp; the ball's curved top
    # under a 7 px spot rises 1.2 grey levels into its centre (298.8, rounded 299).
    assert [out.data[c] for c in [(20, 20), (30, 70), (60, 40), (70, 80)]] == [299] * 4
    assert out.data[spots].max() == 300
    assert out.calibration.x == 0.5 and out.calibration.unit == "um"


def test_rolling_ball_with_light_background_keeps_dark_spots_below_white(tmp_path: Path) -> None:
    ramp, spots = ramp_with_spots((100, 100))
    image = (5000.0 - ramp - 300.0 * spots).astype(np.float32)
    out = run(tmp_path, image, background="rolling-ball", ball_radius="10 px",
              light_background=True)
    top = image.max()
    assert np.abs(out.data[~spots] - top).max() < 1e-3
    assert out.data[spots].min() == pytest.approx(top - 300.0, abs=0.5)


def test_large_ball_on_a_shrunk_image_still_follows_the_gradient() -> None:
    background = import_module_file(MODULE_DIR, "background")
    ramp, spots = ramp_with_spots((160, 200))
    image = (ramp + 300.0 * spots).astype(np.float32)
    assert background.shrink_factor(24) == 2
    flat = background.subtract_background(image, radius=24)
    inner = (~spots)[24:-24, 24:-24]
    assert np.abs(flat[24:-24, 24:-24][inner]).max() < 0.5
    assert flat[spots].max() == pytest.approx(300.0, abs=1.0)


def test_percentile_maps_1st_and_99th_percentiles_to_0_and_1(tmp_path: Path) -> None:
    values = np.random.default_rng(3).permutation(10000).astype(np.float32).reshape(100, 100)
    out = run(tmp_path, values, normalise="percentile", low_percentile=1, high_percentile=99)
    low, high = np.percentile(values, [1, 99])  # 99.99 and 9899.01
    assert out.data.dtype == np.float32
    assert (out.data == 0).sum() == 100 and (out.data == 1).sum() == 100  # 0..99, 9900..9999
    pixel = np.argwhere(values == 4999)[0]
    assert out.data[tuple(pixel)] == pytest.approx((4999 - low) / (high - low), abs=1e-6)


def test_clahe_output_spans_0_to_1(tmp_path: Path) -> None:
    yy, xx = np.indices((64, 64))
    dim = (1000 + xx + 10 * ((yy // 8) % 2)).astype(np.uint16)  # 1000..1073: low contrast
    out = run(tmp_path, dim, normalise="clahe", clip_limit=0.02, tile_size="32 nm")
    assert out.data.dtype == np.float32
    assert (float(out.data.min()), float(out.data.max())) == (0.0, 1.0)
    # Local equalisation lifts the stripes in every tile: neighbours differ by far more
    # than the 10/73 of a plain min-max stretch.
    assert np.abs(np.diff(out.data[:, 40], axis=0))[7::8].mean() > 0.2
    assert (out.calibration.x, out.calibration.y, out.calibration.unit) == (2.0, 2.0, "nm")


def test_nl_means_flattens_noise_and_keeps_an_edge(tmp_path: Path) -> None:
    clean = np.zeros((96, 96), np.float32)
    clean[:, 48:] = 100.0
    noisy = clean + np.random.default_rng(4).normal(0, 10.0, clean.shape).astype(np.float32)
    out = run(tmp_path, noisy, method="nl-means").data
    assert out[8:-8, 8:40].std() < 3.5  # from 10
    assert np.abs(out[8:-8, 45:51].mean(axis=0) - clean[0, 45:51]).max() < 8


def test_noise_sigma_matches_the_added_noise() -> None:
    smoothing = import_module_file(MODULE_DIR, "smoothing")
    yy, xx = np.indices((256, 256))
    image = (0.3 * xx + 0.2 * yy).astype(np.float32)
    noisy = image + np.random.default_rng(5).normal(0, 5.0, image.shape).astype(np.float32)
    assert smoothing.noise_sigma(noisy) == pytest.approx(5.0, rel=0.03)


def test_stack_is_refused_with_advice(tmp_path: Path) -> None:
    stack = np.zeros((2, 16, 16), np.uint8)
    with pytest.raises(ModuleError) as info:
        run(tmp_path, stack, axes="CYX")
    assert str(info.value) == (
        "input 'image' has axes 'CYX' (shape (2, 16, 16)); denoise works on one 2-D grey "
        "plane (YX): pick a plane or channel (or convert colour to grey) in load-image")


def test_flat_image_cannot_be_percentile_stretched(tmp_path: Path) -> None:
    flat = np.full((10, 10), 7, np.uint8)
    with pytest.raises(ModuleError, match=re.escape(
            "parameter 'normalise': percentiles 1 and 99 are both 7 (the image is "
            "nearly constant); widen low_percentile/high_percentile or choose normalise 'none'")):
        run(tmp_path, flat, normalise="percentile")


def test_percentiles_in_wrong_order_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModuleError, match=re.escape(
            "parameter 'low_percentile' (99) must be below 'high_percentile' (1), e.g. 1 and 99")):
        run(tmp_path, np.arange(100, dtype=np.uint8).reshape(10, 10), normalise="percentile",
            low_percentile=99, high_percentile=1)


def test_median_radius_below_half_a_pixel_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModuleError, match=re.escape(
            "parameter 'median_radius': '0.5 nm' is 0.25 px, less than 0.5 px; use at least "
            "'1 px'")):
        run(tmp_path, np.zeros((8, 8), np.uint8), method="median", median_radius="0.5 nm")


def test_physical_length_on_non_square_pixels_is_refused(tmp_path: Path) -> None:
    data = np.random.default_rng(0).normal(100, 10, (16, 16)).astype(np.float32)
    with pytest.raises(ModuleError) as info:
        run(tmp_path, data, cal=Calibration(2.0, 3.0, "nm"), method="gaussian", sigma="4 nm")
    assert str(info.value) == (
        "parameter 'sigma': '4 nm' is a length but the pixels are not square (2 x 3 nm), so it "
        "is a different number of pixels along x and y; give it in pixels (e.g. '5 px') or "
        "resample the image to square pixels")
    (tmp_path / "px").mkdir()
    smoothed = run(tmp_path / "px", data, cal=Calibration(2.0, 3.0, "nm"), method="gaussian",
                   sigma="2 px")
    assert smoothed.data.std() < 0.5 * data.std()  # a length in pixels is taken as given
