"""lamella/threshold on small synthetic images with exact expected masks."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from lamella.core.errors import ModuleError
from lamella.core.sdk import Calibration, Image, write_image
from lamella.core.sdk.testing import ModuleRun, import_module_file, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
NM2 = Calibration(2.0, 2.0, "nm")


def run(tmp_path: Path, data: np.ndarray, axes: str = "YX", **params) -> ModuleRun:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_image(tmp_path / "in.ome.tif", Image(data, axes, NM2))
    return run_module(MODULE_DIR, tmp_path, inputs={"image": path}, params=params)


def mask_of(result: ModuleRun) -> np.ndarray:
    return result.image("mask").data == 255


def two_level() -> tuple[np.ndarray, np.ndarray]:
    truth = np.zeros((64, 64), bool)
    truth[10:30, 10:30] = True
    truth[40:50, 35:60] = True
    return np.where(truth, 200, 20).astype(np.uint8), truth


def disk(shape: tuple[int, int], centre: tuple[int, int], radius: float) -> np.ndarray:
    yy, xx = np.indices(shape)
    return (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius**2


@pytest.mark.parametrize("method", ["otsu", "li", "triangle", "yen"])
def test_global_methods_find_the_exact_mask_of_a_two_level_image(tmp_path: Path,
                                                                  method: str) -> None:
    image, truth = two_level()
    result = run(tmp_path, image, method=method)
    assert np.array_equal(mask_of(result), truth)
    classes = result.image("classes")
    assert classes.data.dtype == np.uint16
    assert np.array_equal(classes.data, truth + 1)  # 1 = background, 2 = foreground
    assert (classes.calibration.x, classes.calibration.unit) == (2.0, "nm")


def test_manual_level_puts_pixels_at_the_level_in_the_background(tmp_path: Path) -> None:
    image = np.array([[0.2, 0.5, 0.7], [0.5, 0.9, 0.1]], np.float32)
    result = run(tmp_path, image, method="manual", level=0.5)
    assert mask_of(result).tolist() == [[False, False, True], [False, True, False]]


def test_invert_takes_dark_objects(tmp_path: Path) -> None:
    image, truth = two_level()
    result = run(tmp_path, 220 - image, method="otsu", invert=True)  # dark squares, light rest
    assert np.array_equal(mask_of(result), truth)
    assert np.array_equal(result.image("classes").data, truth + 1)


def test_multi_otsu_recovers_three_levels_exactly(tmp_path: Path) -> None:
    truth = np.ones((30, 60), np.uint8)
    truth[:, 20:40] = 2
    truth[:, 40:] = 3
    truth[12:18, 5:10] = 3  # a bright inclusion in the dark phase
    image = np.choose(truth - 1, [10, 100, 200]).astype(np.uint16)
    result = run(tmp_path, image, method="multi-otsu", classes=3)
    assert np.array_equal(result.image("classes").data, truth)
    assert np.array_equal(mask_of(result), truth == 3)
    inverted = run(tmp_path / "inv", image, method="multi-otsu", classes=3, invert=True)
    assert np.array_equal(mask_of(inverted), truth == 1)
    assert np.array_equal(inverted.image("classes").data, truth)


def test_multi_otsu_with_more_classes_than_grey_levels_is_refused(tmp_path: Path) -> None:
    image, _ = two_level()
    with pytest.raises(ModuleError, match=re.escape(
            "parameter 'classes': the image has too few distinct grey levels to split into 3 "
            "classes; use fewer classes")):
        run(tmp_path, image, method="multi-otsu", classes=3)


def test_fill_holes_fills_a_ring(tmp_path: Path) -> None:
    shape = (40, 40)
    band = disk(shape, (20, 20), 12) & ~disk(shape, (20, 20), 6)
    image = np.where(band, 180, 30).astype(np.uint8)
    plain = run(tmp_path, image, method="otsu")
    assert np.array_equal(mask_of(plain), band)
    filled = run(tmp_path / "filled", image, method="otsu", fill_holes=True)
    assert np.array_equal(mask_of(filled), disk(shape, (20, 20), 12))
    # The class map is the raw threshold, before hole filling.
    assert np.array_equal(filled.image("classes").data, band + 1)


def test_hole_closed_only_by_diagonal_steps_depends_on_connectivity() -> None:
    cleanup = import_module_file(MODULE_DIR, "cleanup")
    diamond = np.zeros((7, 7), bool)  # a one-pixel-thick diamond outline around (3, 3)
    for y, x in [(1, 3), (2, 2), (2, 4), (3, 1), (3, 5), (4, 2), (4, 4), (5, 3)]:
        diamond[y, x] = True
    assert cleanup.fill_holes(diamond, connectivity=8)[3, 3]  # 8-connected outline: closed
    assert not cleanup.fill_holes(diamond, connectivity=4)[3, 3]  # 4-connected: leaks out


def test_min_area_in_physical_units(tmp_path: Path) -> None:
    image = np.zeros((40, 40), np.uint8)
    image[2:6, 2:6] = 255     # 4x4 = 16 px^2 = 64 nm^2: removed
    image[2:7, 20:25] = 255   # 5x5 = 25 px^2 = 100 nm^2: exactly the limit, kept
    image[20:26, 20:26] = 255  # 6x6 = 36 px^2: kept
    result = run(tmp_path, image, method="otsu", min_area="100 nm^2")  # 25 px^2 at 2 nm/px
    expected = image == 255
    expected[2:6, 2:6] = False
    assert np.array_equal(mask_of(result), expected)


def test_min_area_counts_diagonal_neighbours_only_with_connectivity_8(tmp_path: Path) -> None:
    image = np.zeros((20, 20), np.uint8)
    image[2:5, 2:5] = 255    # 9 px
    image[5:8, 5:8] = 255    # 9 px, touching the first at one corner
    eight = run(tmp_path, image, method="otsu", min_area=10, connectivity=8)
    assert mask_of(eight).sum() == 18  # one object of 18 px: kept
    four = run(tmp_path / "four", image, method="otsu", min_area=10, connectivity=4)
    assert mask_of(four).sum() == 0  # two objects of 9 px: both removed


def test_sauvola_follows_a_gradient_that_defeats_a_global_level(tmp_path: Path) -> None:
    yy, xx = np.indices((96, 128))
    truth = np.zeros((96, 128), bool)
    for cy in (16, 48, 80):
        for cx in range(12, 128, 24):
            truth |= (yy - cy) ** 2 + (xx - cx) ** 2 <= 36
    lit = (20 + 1.2 * xx + 40 * truth).astype(np.uint8)  # background 20 -> 172 left to right
    otsu = mask_of(run(tmp_path, lit, method="otsu"))
    assert (otsu != truth).sum() > 3000
    sauvola = run(tmp_path / "s", lit, method="sauvola", window_size=19, k=0.2)
    assert np.array_equal(mask_of(sauvola), truth)
    # Bright objects are found on the image flipped within its range (max + min - value), so
    # that flip with invert finds the same mask.
    flipped = (int(lit.max()) + int(lit.min()) - lit).astype(np.uint8)
    dark = run(tmp_path / "d", flipped, method="sauvola", window_size=19, k=0.2, invert=True)
    assert np.array_equal(mask_of(dark), truth)


def sixteen_bit_discs(offset: int, *, dark_objects: bool, noise: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Discs of radius 12 (wider than a 15 px window) with contrast 100, on a pedestal."""
    yy, xx = np.indices((128, 160))
    truth = np.zeros(yy.shape, bool)
    for cy in range(24, 128, 40):
        for cx in range(24, 160, 40):
            truth |= (yy - cy) ** 2 + (xx - cx) ** 2 <= 12**2
    bright = ~truth if dark_objects else truth
    grain = np.random.default_rng(1).integers(0, noise + 1, truth.shape)
    return (offset + 100 * bright + grain).astype(np.uint16), truth


@pytest.mark.parametrize("offset", [0, 1000])
@pytest.mark.parametrize("dark_objects", [False, True])
def test_sauvola_ignores_a_grey_offset(tmp_path: Path, offset: int, dark_objects: bool) -> None:
    # Sauvola's rule scales grey levels; counted from black, a pedestal of 1000 (a 16-bit
    # camera's offset) would make flat object interiors look like background (3168 of the
    # 5292 object pixels were found). Counted from the darkest pixel, the pedestal is
    # irrelevant.
    image, truth = sixteen_bit_discs(offset, dark_objects=dark_objects)
    result = run(tmp_path, image, method="sauvola", window_size=15, k=0.2, invert=dark_objects)
    assert truth.sum() == 5292
    assert np.array_equal(mask_of(result), truth)
    noisy, _ = sixteen_bit_discs(offset, dark_objects=dark_objects, noise=8)
    without, _ = sixteen_bit_discs(0, dark_objects=dark_objects, noise=8)
    found = mask_of(run(tmp_path / "noisy", noisy, method="sauvola", window_size=15, k=0.2,
                        invert=dark_objects))
    assert np.array_equal(found, mask_of(run(tmp_path / "at0", without, method="sauvola",
                                                 window_size=15, k=0.2, invert=dark_objects)))
    assert (found != truth).sum() < 0.06 * truth.sum()  # noise in flat interiors: 5-6 % lost


def test_sauvola_in_strips_equals_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    levels = import_module_file(MODULE_DIR, "levels")
    image = np.random.default_rng(0).integers(0, 255, (90, 40)).astype(np.uint8)
    whole = levels.sauvola_foreground(image, window_size=9, k=0.3, dark_objects=False)
    monkeypatch.setattr(levels, "_STRIP_ROWS", 16)
    assert np.array_equal(levels.sauvola_foreground(image, window_size=9, k=0.3,
                                                    dark_objects=False), whole)


def test_even_window_is_refused(tmp_path: Path) -> None:
    image, _ = two_level()
    with pytest.raises(ModuleError, match=re.escape(
            "parameter 'window_size': must be odd, got 16; use e.g. 15 or 17")):
        run(tmp_path, image, method="sauvola", window_size=16)


def test_constant_image_is_refused_with_advice(tmp_path: Path) -> None:
    with pytest.raises(ModuleError) as info:
        run(tmp_path, np.full((16, 16), 37, np.uint8), method="otsu")
    assert str(info.value) == (
        "input 'image' is constant (every pixel is 37); an automatic threshold needs at least "
        "two grey levels: check the image or the step before, or use method 'manual'")


def test_constant_image_with_a_manual_level_is_thresholded(tmp_path: Path) -> None:
    result = run(tmp_path, np.full((4, 4), 37, np.uint8), method="manual", level=30)
    assert mask_of(result).all()


def test_stack_is_refused_with_advice(tmp_path: Path) -> None:
    with pytest.raises(ModuleError) as info:
        run(tmp_path, np.zeros((3, 8, 8), np.uint8), axes="ZYX")
    assert str(info.value) == (
        "input 'image' has axes 'ZYX' (shape (3, 8, 8)); threshold works on one 2-D grey plane "
        "(YX): pick a plane or channel (or convert colour to grey) in load-image")


def se_particles() -> tuple[np.ndarray, np.ndarray]:
    """Three SE-like disks of radius 10 (dark core 70 in a bright 3-px rim 200, on 30), blurred
    by 1 px, with noise: a plain threshold splits them into rims and cores."""
    from scipy import ndimage

    yy, xx = np.indices((60, 120))
    truth = np.zeros((60, 120), bool)
    image = np.full((60, 120), 30.0)
    for cx in (25, 60, 95):
        d = np.hypot(yy - 30, xx - cx)
        truth |= d <= 10
        image[d <= 10] = 200
        image[d <= 7] = 70
    image = ndimage.gaussian_filter(image, 1.0)
    image += np.random.default_rng(3).normal(0, 6, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), truth


def test_blur_and_otsu_edges_take_whole_se_particles_at_their_true_size(tmp_path: Path) -> None:
    image, truth = se_particles()
    plain = mask_of(run(tmp_path / "plain", image, method="otsu"))
    assert (plain & disk(truth.shape, (30, 25), 6)).sum() < 0.5 * (np.pi * 36)  # cores lost
    result = run(tmp_path / "se", image, method="li", smooth="auto", refine_edges="otsu")
    mask = mask_of(result)
    # Whole disks (317 px each), 6-7 % too large: the edge sits a third of a pixel outside,
    # where the 1 px blur crosses the Otsu level. The blurred Li edge alone: +25 %.
    for cx in (25, 60, 95):
        one = disk(truth.shape, (30, cx), 13)
        assert 0 <= int((mask & one).sum()) - int((truth & one).sum()) <= 0.08 * (truth & one).sum()
        assert not (truth & one & ~mask).any()  # the dark core is kept
    blurred_only = mask_of(run(tmp_path / "blurred", image, method="li", smooth="auto"))
    assert blurred_only.sum() > 1.15 * truth.sum()
    # One hilltop per disk in the first mask (1 px blur, Li: 11.2 px, the disks grown by the
    # blur): sigma 0.15 x 11.2.
    assert result.notes.resolved["smooth"] == "1.68 px"


def test_auto_min_area_removes_specks_but_keeps_small_particles(tmp_path: Path) -> None:
    data = np.zeros((80, 80), np.uint8)
    data[disk(data.shape, (20, 20), 10)] = 200   # typical particles, radius 10
    data[disk(data.shape, (20, 55), 10)] = 200
    data[disk(data.shape, (60, 30), 4)] = 200    # a small particle: 49 px
    data[60, 60] = data[70, 70] = 200            # specks
    result = run(tmp_path, data, method="otsu", min_area="auto")
    mask = mask_of(result)
    assert mask[60, 30] and not mask[60, 60] and not mask[70, 70]
    # 0.1 x pi x 10.05^2: a digitised disk of radius 10 holds a disk of radius 10.05.
    assert result.notes.resolved == {"min_area": "31.7 px^2"}
