"""Exact pixel-outline Feret diameters (rotating calipers) against closed forms and brute force."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial import ConvexHull

from lamella.core.sdk.shapes import convex_hull, polygon_area
from lamella.core.sdk.testing import import_module_file

MODULE_DIR = Path(__file__).resolve().parents[1]
feret = import_module_file(MODULE_DIR, "feret")
shapes = import_module_file(Path(__file__).parent, "_shapes")


@pytest.mark.parametrize(("width", "height"), [
    (1, 1), (1, 2), (2, 1), (1, 7), (13, 1), (1, 250), (2, 2), (3, 5), (10, 4), (64, 64),
    (2, 101), (37, 18),
])
def test_axis_aligned_rectangle_is_exact(width, height):
    mask = np.zeros((height + 4, width + 6), dtype=bool)
    mask[2:2 + height, 3:3 + width] = True
    feret_max, feret_min = feret.mask_feret(mask)
    assert feret_max == pytest.approx(math.hypot(width, height), abs=1e-9)
    assert feret_min == pytest.approx(min(width, height), abs=1e-9)


def test_single_pixel_follows_imagej():
    assert feret.mask_feret(np.ones((1, 1), dtype=bool)) == pytest.approx((math.sqrt(2), 1.0))


def test_diagonal_line_of_pixels():
    # n pixels on the diagonal: outline hull is a hexagon; longest chord corner to corner
    # (n*sqrt 2), narrowest width across the diagonal band: 2 corner offsets / sqrt 2
    mask = np.eye(9, dtype=bool)
    feret_max, feret_min = feret.mask_feret(mask)
    assert feret_max == pytest.approx(9 * math.sqrt(2), abs=1e-9)
    assert feret_min == pytest.approx(math.sqrt(2), abs=1e-9)


def test_calipers_on_a_right_triangle():
    # legs 4 and 3: diameter = hypotenuse 5, minimum width = altitude onto it = 12/5
    triangle = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 3.0]])
    assert feret.feret_diameters(triangle) == pytest.approx((5.0, 2.4), abs=1e-12)
    assert polygon_area(triangle) == pytest.approx(6.0, abs=1e-12)


# The outline of a shape S digitised by pixel-centre inclusion lies between S eroded and S
# grown by the pixel square Q = [-1/2, 1/2]^2. So each outline width is at most
# w_S(u) + |u_x| + |u_y| (what the expectation functions return) and, for rectangles and for
# ellipses whose curvature radius is at least sqrt(2)/2, at least w_S(u) - sqrt(2): at most
# 2 sqrt(2) px below the expectation. Feret diameters (extremes of widths) inherit both.
BAND = 2 * math.sqrt(2)


def assert_within_outline_band(measured, expected):
    for value, bound in zip(measured, expected, strict=True):
        assert bound - BAND <= value <= bound + 1e-9


@pytest.mark.parametrize("degrees", [0, 7, 15, 22.5, 30, 45, 60, 75, 89])
@pytest.mark.parametrize(("width", "height"), [(30, 8), (12, 12), (50, 3)])
def test_rotated_rectangle_within_outline_band(width, height, degrees):
    angle = math.radians(degrees)
    measured = feret.mask_feret(shapes.rectangle(width, height, angle))
    assert_within_outline_band(measured, shapes.expected_rectangle_feret(width, height, angle))


@pytest.mark.parametrize("offset", [(0.23, 0.41), (0.0, 0.0), (-0.37, 0.12)])
@pytest.mark.parametrize("radius", [5, 6.5, 8, 10, 13, 17, 20, 25, 30, 40, 50, 60])
def test_disk_ecd_and_feret(radius, offset):
    mask = shapes.ellipse(radius, radius, offset=offset)
    assert abs(math.sqrt(4 * mask.sum() / math.pi) - 2 * radius) <= 1.0
    expected_max, expected_min = feret.expected_pixel_outline_feret(radius, radius, 0.0)
    assert (expected_max, expected_min) == pytest.approx((2 * radius + math.sqrt(2),
                                                          2 * radius + 1), abs=1e-9)
    feret_max, feret_min = feret.mask_feret(mask)
    # the widest direction is free to dodge the sampling gap: within 1 px of the bound
    assert expected_max - 1.0 <= feret_max <= expected_max + 1e-9
    # the narrowest sits on a lattice axis, where the gap is up to a pixel at each end:
    # eroding the disk by Q leaves width >= 2 sqrt(r^2 - 1/4) - 1
    assert 2 * math.sqrt(radius**2 - 0.25) - 1 <= feret_min <= expected_min + 1e-9


@pytest.mark.parametrize("degrees", [0, 20, 45, 70, 90, 135])
@pytest.mark.parametrize(("semi_a", "semi_b"), [(20, 8), (35, 30), (12, 3)])
def test_ellipse_feret_within_outline_band(semi_a, semi_b, degrees):
    angle = math.radians(degrees)
    measured = feret.mask_feret(shapes.ellipse(semi_a, semi_b, angle))
    assert_within_outline_band(measured,
                               feret.expected_pixel_outline_feret(semi_a, semi_b, angle))


def test_expected_feret_of_an_axis_aligned_ellipse():
    # narrowest across the short axis (2b + 1); widest slightly off the long axis, where
    # the pixel term |sin t| grows faster than the ellipse narrows
    feret_max, feret_min = feret.expected_pixel_outline_feret(10, 4, 0.0)
    assert feret_min == pytest.approx(9.0, abs=1e-9)
    assert 21.0 < feret_max < 21.1


@pytest.mark.parametrize("seed", range(8))
def test_exact_calipers_agree_with_brute_force_on_random_blobs(seed):
    rng = np.random.default_rng(seed)
    blob = ndimage.gaussian_filter(rng.random((48, 48)), 3) > 0.5
    feret_max, feret_min = feret.mask_feret(blob)
    brute_max, brute_min = shapes.brute_force_feret(blob)
    step = math.pi / 3600
    # a direction grid can only miss the extremes: the max from below, the min from above
    # by at most the width's slope (<= diameter) times half a step
    assert feret_max - feret_max * step**2 <= brute_max <= feret_max + 1e-9
    assert feret_min - 1e-9 <= brute_min <= feret_min + feret_max * step


def test_only_row_extremes_are_needed_for_the_hull():
    rng = np.random.default_rng(3)
    blob = rng.random((20, 30)) > 0.6
    ys, xs = np.nonzero(blob)
    all_corners = np.concatenate([np.column_stack([xs + dx, ys + dy])
                                  for dx in (0, 1) for dy in (0, 1)]).astype(float)
    full = convex_hull(all_corners)
    assert feret.feret_diameters(full) == pytest.approx(feret.mask_feret(blob), abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_exact_hull_matches_qhull_on_random_integer_points(seed):
    # many repeats and collinear points: coordinates drawn from a small range
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 12, (300, 2))
    hull = convex_hull(points)
    reference = ConvexHull(points)
    assert sorted(map(tuple, hull.tolist())) == sorted(map(tuple, points[reference.vertices].tolist()))
    assert polygon_area(hull) == pytest.approx(reference.volume, abs=1e-9)
    edges = np.roll(hull, -1, axis=0) - hull
    turns = edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1] - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
    assert (turns > 0).all()  # counter-clockwise, no collinear vertex


def test_huge_hull_is_handled_in_blocks():
    # a polygon with more vertices than one block: a regular 2000-gon of radius 1000
    t = np.linspace(0, 2 * np.pi, 2000, endpoint=False)
    polygon = 1000 * np.column_stack([np.cos(t), np.sin(t)])
    feret_max, feret_min = feret.feret_diameters(polygon)
    assert feret_max == pytest.approx(2000.0, abs=1e-9)
    assert feret_min == pytest.approx(2000 * math.cos(math.pi / 2000), abs=1e-9)
