"""refine_edges 'half-max' and 'auto': the SE halo trimmed from small particles' edges."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage
from skimage.filters import threshold_li

from lamella.core.sdk import Calibration, Image, write_image
from lamella.core.sdk.testing import ModuleRun, import_module_file, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
halo = import_module_file(MODULE_DIR, "halo")
edges = import_module_file(MODULE_DIR, "edges")


def se_discs(radius: float, *, seed: int = 0, rows: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """rows x rows SE discs of ``radius`` px apart from each other, as ``se_render`` draws them:
    substrate 38, core 68, a rim of 125 at the outline decaying inwards over 2 px, blurred by
    1 px, noise of 8 grey levels; the truth is the pixels whose centres lie in a disc."""
    rng = np.random.default_rng(seed)
    spacing = int(4 * radius + 8)
    yy, xx = np.indices((rows * spacing, rows * spacing)).astype(float)
    grey = np.full(yy.shape, 38.0)
    truth = np.zeros(yy.shape, bool)
    for cy, cx in np.ndindex(rows, rows):
        centre = (np.array([cy, cx]) + 0.5) * spacing + rng.uniform(-0.5, 0.5, 2)
        d = np.hypot(yy - centre[0], xx - centre[1])
        inside = d <= radius
        truth |= inside
        grey[inside] = 68 + 125 * np.exp(-(radius - d[inside]) / 2.0)
    grey = ndimage.gaussian_filter(grey, 1.0) + rng.normal(0, 8, grey.shape)
    return np.clip(grey, 0, 255).astype(np.uint8), truth


def otsu_edges(image: np.ndarray) -> np.ndarray:
    """The whole image above Li after a blur, cut back to its Otsu edges (the 'otsu' mask)."""
    blurred = edges.gaussian(image, 1.5)
    return edges.refine_edges(blurred > threshold_li(blurred), image)


@pytest.mark.parametrize("radius", [5.0, 10.0])
def test_half_max_puts_se_edges_at_the_true_outline(radius: float) -> None:
    image, truth = se_discs(radius)
    analytic = np.pi * radius**2 * 36
    otsu = otsu_edges(image)
    # The Otsu level lies low on the blurred rim: +19 % of area at radius 5 (half a pixel
    # all round), +14 % at radius 10.
    assert otsu.sum() > 1.12 * analytic
    trimmed = halo.trim_halo(otsu, image, depth=2)
    # Measured +3 % at both radii (a tenth of a pixel all round).
    assert abs(trimmed.sum() / analytic - 1) <= 0.05
    assert abs(trimmed.sum() / truth.sum() - 1) <= 0.05
    assert not (trimmed & ~otsu).any()  # only removes


def test_half_max_stops_at_the_rim_and_never_reaches_the_core() -> None:
    image, _ = se_discs(10.0)
    otsu = otsu_edges(image)
    two, deep = halo.trim_halo(otsu, image, depth=2), halo.trim_halo(otsu, image, depth=10)
    # The core (68) is below the local half-maximum (about 115), yet deeper rings take
    # almost nothing more: the bright rim stops the trim.
    assert deep.sum() >= 0.99 * two.sum()
    inset = ndimage.distance_transform_edt(otsu)
    assert (inset[otsu & ~two] <= 2).all()  # only pixels within 2 px of the outline go


def test_half_max_on_dark_objects_and_in_strips_gives_the_same_mask(
        monkeypatch: pytest.MonkeyPatch) -> None:
    image, _ = se_discs(5.0, rows=4)
    otsu = otsu_edges(image)
    whole = halo.trim_halo(otsu, image, depth=2)
    assert np.array_equal(halo.trim_halo(otsu, 255 - image, depth=2, invert=True), whole)
    monkeypatch.setattr(halo, "_STRIP_ROWS", 7)
    assert np.array_equal(halo.trim_halo(otsu, image, depth=2), whole)


def test_auto_depth_follows_the_typical_radius() -> None:
    # 4 rings below 11 px (10-12 px particles), 1 below 13 px (15-17 px), none from 13 px.
    assert [halo.auto_depth(r) for r in (8.1, 10.99, 11.0, 12.99, 13.0, 30.0, None)] == [
        4, 4, 1, 1, 0, 0, 0]


def run(tmp_path: Path, data: np.ndarray, **params) -> ModuleRun:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_image(tmp_path / "in.ome.tif", Image(data, "YX", Calibration(2.0, 2.0, "nm")))
    return run_module(MODULE_DIR, tmp_path, inputs={"image": path}, params=params)


def test_auto_trims_small_particles_and_records_the_choice(tmp_path: Path) -> None:
    image, truth = se_discs(5.0)
    result = run(tmp_path / "auto", image, method="li", smooth="auto", refine_edges="auto")
    mask = result.image("mask").data == 255
    assert result.notes.resolved["refine_edges"] == "half-max, 4 px deep"
    assert abs(mask.sum() / truth.sum() - 1) <= 0.05
    same = run(tmp_path / "half", image, method="li", smooth="auto", refine_edges="half-max")
    assert np.array_equal(same.image("mask").data, result.image("mask").data)
    one = run(tmp_path / "one", image, method="li", smooth="auto", refine_edges="half-max",
              half_max_depth=1)
    assert (one.image("mask").data == 255).sum() > mask.sum()


def test_auto_keeps_the_otsu_edges_of_large_particles(tmp_path: Path) -> None:
    image, _ = se_discs(15.0, rows=3)
    auto = run(tmp_path / "auto", image, method="li", smooth="auto", refine_edges="auto")
    otsu = run(tmp_path / "otsu", image, method="li", smooth="auto", refine_edges="otsu")
    assert auto.notes.resolved["refine_edges"] == "otsu"
    assert np.array_equal(auto.image("mask").data, otsu.image("mask").data)
