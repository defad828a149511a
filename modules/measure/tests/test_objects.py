"""Per-object measurements in pixel units: exact values on small shapes, estimator accuracy."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from lamella.core.sdk.testing import import_module_file

MODULE_DIR = Path(__file__).resolve().parents[1]
objects = import_module_file(MODULE_DIR, "objects")
shapes = import_module_file(Path(__file__).parent, "_shapes")


def one_object(mask, **kwargs):
    labels = np.pad(mask, 2).astype(np.int32)
    columns = objects.measure_objects(labels, **kwargs)
    return {name: values[0] for name, values in columns.items()}


def test_rectangle_10_rows_by_4_columns():
    labels = np.zeros((20, 12), dtype=np.uint16)
    labels[3:13, 5:9] = 4
    row = {k: v[0] for k, v in objects.measure_objects(labels).items()}
    # in/out changes: 2 per row (10 rows), 2 per column (4), 2 per diagonal (13 each way)
    perimeter = math.pi / 8 * (20 + 8 + (26 + 26) / math.sqrt(2))
    assert row == pytest.approx({
        "label": 4, "area": 40, "ecd": math.sqrt(160 / math.pi), "perimeter": perimeter,
        "feret_max": math.sqrt(116), "feret_min": 4, "aspect_ratio": 2.5,
        "circularity": 4 * math.pi * 40 / perimeter**2, "solidity": 1.0,
        "centroid_x": 7.0, "centroid_y": 8.0}, abs=1e-12)


@pytest.mark.parametrize(("width", "height", "aspect"), [(1, 1, 1.0), (7, 1, 7.0),
                                                         (1, 30, 30.0), (6, 6, 1.0)])
def test_aspect_ratio_of_pixel_rectangles_is_exact(width, height, aspect):
    assert one_object(np.ones((height, width), bool))["aspect_ratio"] == pytest.approx(aspect)


def test_single_pixel():
    row = one_object(np.ones((1, 1), bool))
    # uncapped circularity would be 4 pi / 2.68^2 = 1.75: capped at 1
    assert row == pytest.approx({"label": 1, "area": 1, "ecd": math.sqrt(4 / math.pi),
                                 "perimeter": math.pi / 8 * (4 + 4 / math.sqrt(2)),
                                 "feret_max": math.sqrt(2), "feret_min": 1, "aspect_ratio": 1,
                                 "circularity": 1.0, "solidity": 1.0,
                                 "centroid_x": 2.5, "centroid_y": 2.5}, abs=1e-12)


def test_solidity_uses_the_pixel_outline_hull():
    # an L of 5 pixels: outline hull (0,0) (1,0) (3,2) (3,3) (0,3) has area 9 - 2 = 7
    mask = np.array([[1, 0, 0], [1, 0, 0], [1, 1, 1]], dtype=bool)
    assert one_object(mask)["solidity"] == pytest.approx(5 / 7, abs=1e-12)


@pytest.mark.parametrize("radius", [5, 8, 12, 20, 35, 60])
def test_disk_perimeter_and_circularity(radius):
    row = one_object(shapes.ellipse(radius, radius))
    assert row["perimeter"] == pytest.approx(2 * math.pi * radius, rel=0.015)
    assert row["circularity"] >= 0.97
    assert row["aspect_ratio"] == pytest.approx(1.0, abs=0.03)


@pytest.mark.parametrize("degrees", [0, 10, 22.5, 30, 45])
def test_square_perimeter_within_crofton_orientation_bias(degrees):
    # 4-direction Crofton: about -5 % on grid-aligned and diagonal edges, up to +2.6 % between
    row = one_object(shapes.rectangle(40, 40, math.radians(degrees)))
    assert row["perimeter"] == pytest.approx(160, rel=0.065)


@pytest.mark.parametrize(("degrees", "low", "high"), [
    (0, 0.9452, 0.9454), (22.5, 1.018, 1.029), (45, 0.940, 0.951)])
def test_square_perimeter_reads_as_documented(degrees, low, high):
    # docs/measurements.md: 100 px squares at 40 sub-pixel positions; a long edge at 22.5
    # degrees reads (pi/8)(cos + sin + cos(22.5) + cos(67.5)) = 1.026 times its length
    rng = np.random.default_rng(0)
    ratios = [one_object(shapes.rectangle(100, 100, math.radians(degrees),
                                          offset=tuple(rng.random(2))))["perimeter"] / 400
              for _ in range(40)]
    assert low <= min(ratios) and max(ratios) <= high
    edge = math.pi / 8 * sum(abs(math.cos(math.radians(degrees + d))) for d in (0, 90, 45, -45))
    assert edge == pytest.approx({0: 0.948, 22.5: 1.026, 45: 0.948}[degrees], abs=5e-4)


@pytest.mark.parametrize("degrees", [0, 30, 60, 110])
def test_ellipse_aspect_ratio(degrees):
    row = one_object(shapes.ellipse(30, 10, math.radians(degrees)))
    assert row["aspect_ratio"] == pytest.approx(3.0, rel=0.03)


def test_holes_count_in_the_perimeter_not_the_area():
    ring = np.ones((9, 9), bool)
    ring[3:6, 3:6] = False
    filled = one_object(np.ones((9, 9), bool))
    hole = one_object(np.ones((3, 3), bool))
    row = one_object(ring)
    assert row["area"] == 72
    assert row["perimeter"] == pytest.approx(filled["perimeter"] + hole["perimeter"])
    assert row["solidity"] == pytest.approx(72 / 81)


def test_touching_objects_are_measured_separately():
    labels = np.zeros((8, 14), dtype=np.int32)
    labels[2:6, 1:7] = 1
    labels[2:6, 7:13] = 2
    columns = objects.measure_objects(labels)
    assert columns["label"].tolist() == [1, 2]
    assert columns["area"].tolist() == [24, 24]
    assert columns["feret_max"] == pytest.approx([math.hypot(6, 4)] * 2)
    assert columns["feret_min"].tolist() == [4, 4]
    assert columns["centroid_x"].tolist() == [4.0, 10.0]


def test_a_label_with_separate_parts_is_one_object():
    labels = np.zeros((5, 12), dtype=np.int32)
    labels[1, 1] = labels[3, 10] = 9
    columns = objects.measure_objects(labels)
    assert columns["area"].tolist() == [2]
    assert columns["feret_max"][0] == pytest.approx(math.hypot(10, 3))
    assert columns["centroid_x"][0] == pytest.approx(6.0)


def test_mean_intensity_per_object():
    labels = np.zeros((4, 6), dtype=np.int32)
    labels[1:3, 1:3] = 1
    labels[0, 5] = 2
    image = np.arange(24, dtype=np.uint8).reshape(4, 6)
    columns = objects.measure_objects(labels, image=image)
    assert columns["mean_intensity"].tolist() == [(7 + 8 + 13 + 14) / 4, 5.0]
    assert "mean_intensity" not in objects.measure_objects(labels)


def test_slabs_give_the_same_numbers_as_whole_crops():
    rng = np.random.default_rng(5)
    labels, _ = ndimage.label(ndimage.gaussian_filter(rng.random((120, 90)), 2) > 0.5)
    image = rng.random(labels.shape)
    whole = objects.measure_objects(labels, image=image)
    for slab_pixels in (1, 50, 333):
        sliced = objects.measure_objects(labels, image=image, slab_pixels=slab_pixels)
        for name, values in whole.items():
            np.testing.assert_allclose(sliced[name], values, rtol=0, atol=1e-9)


def test_huge_label_values_keep_their_ids():
    labels = np.zeros((6, 6), dtype=np.uint32)
    labels[0:2, 0:2] = 4_000_000_000
    labels[4, 4] = 5
    columns = objects.measure_objects(labels)
    assert columns["label"].tolist() == [5, 4_000_000_000]
    assert columns["area"].tolist() == [1, 4]


def test_no_objects():
    columns = objects.measure_objects(np.zeros((5, 5), np.uint16))
    assert list(columns) == list(objects.COLUMNS)
    assert all(len(values) == 0 for values in columns.values())
