"""lamella/synthetic: seeded images whose ground truth is exact and self-consistent."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage
from skimage.morphology import h_maxima

from lamella.core.errors import ModuleError
from lamella.core.sdk.testing import import_module_file, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
generate = import_module_file(MODULE_DIR, "generate")
placement = import_module_file(MODULE_DIR, "placement")
phases = import_module_file(MODULE_DIR, "phases")
infobar = import_module_file(MODULE_DIR, "infobar")
SMALL = {"width": 320, "height": 240, "mean_diameter": "24 px", "seed": 4}
EIGHT = np.ones((3, 3), dtype=bool)


def run(tmp_path: Path, node: str = "test", **params):
    result = run_module(MODULE_DIR, tmp_path, params={**SMALL, **params}, node=node)
    table = pd.read_csv(result.path("table"))
    return result, result.image("image"), result.image("labels"), table


def test_same_seed_same_bytes_other_seed_other_image(tmp_path: Path) -> None:
    first, *_ = run(tmp_path, node="a", info_bar=True)
    again, *_ = run(tmp_path, node="b", info_bar=True)
    other, *_ = run(tmp_path, node="c", info_bar=True, seed=5)
    for port in ("image", "labels", "table"):
        assert first.path(port).read_bytes() == again.path(port).read_bytes()
        assert first.path(port).read_bytes() != other.path(port).read_bytes()


def test_generator_is_deterministic_for_both_kinds() -> None:
    for make in (generate.particles, generate.phases):
        image, labels, rows = make(96, 64, seed=9)
        again = make(96, 64, seed=9)
        assert image.tobytes() == again[0].tobytes() and labels.tobytes() == again[1].tobytes()
        assert rows == again[2]


def test_image_has_requested_size_bits_and_calibration(tmp_path: Path) -> None:
    _, image, labels, _ = run(tmp_path, pixel_size="2.5 nm")
    assert image.data.shape == labels.data.shape == (240, 320)
    assert image.data.dtype == np.uint8
    for written in (image, labels):
        cal = written.calibration
        assert (cal.x, cal.y, cal.unit) == (2.5, 2.5, "nm")


def test_no_pixel_size_means_uncalibrated(tmp_path: Path) -> None:
    _, image, _, table = run(tmp_path, pixel_size=None)
    assert image.calibration is None
    assert "ecd_nm" not in table


def test_labels_are_consecutive_and_areas_match_the_pixels(tmp_path: Path) -> None:
    _, _, labels, table = run(tmp_path, count=30, coverage=0.3)
    ids = np.unique(labels.data)
    assert len(table) == 30
    assert ids.tolist() == list(range(31))
    counts = np.bincount(labels.data.ravel())[1:]
    assert table["label"].tolist() == list(range(1, 31))
    assert table["area_px"].tolist() == counts.tolist()
    assert np.allclose(table["ecd_px"], np.sqrt(4 * counts / np.pi), atol=1e-3)


def test_physical_columns_use_the_pixel_size(tmp_path: Path) -> None:
    _, _, _, table = run(tmp_path, pixel_size="2 nm")
    assert np.allclose(table["ecd_nm"], 2 * table["ecd_px"])
    assert np.allclose(table["area_nm2"], 4 * table["area_px"])


def test_physical_mean_diameter_is_converted_with_the_pixel_size(tmp_path: Path) -> None:
    _, _, _, table = run(tmp_path, pixel_size="2 nm", mean_diameter="60 nm", size_spread=0.0,
                         max_aspect=1.0, irregular=0.0, count=5)
    assert np.allclose(table["ecd_analytic_px"], 30.0)


def test_particles_meet_only_where_the_table_says_touching(tmp_path: Path) -> None:
    _, _, labels, table = run(tmp_path, agglomeration=0.6, coverage=0.35)
    data = labels.data
    touching = table.set_index("label")["touching"]
    assert 0.2 < touching.mean() < 0.9
    for label, is_touching in touching.items():
        own = data == label
        ring = ndimage.binary_dilation(own, EIGHT) & ~own
        others = set(np.unique(data[ring])) - {0}
        assert bool(others) == is_touching, label
    # Connected foreground regions are exactly the untouched particles plus clusters.
    _, regions = ndimage.label(data > 0, EIGHT)
    assert regions == (~touching).sum() + _cluster_count(data, table)


def _cluster_count(data: np.ndarray, table: pd.DataFrame) -> int:
    clusters, _ = ndimage.label(data > 0, EIGHT)
    touching_labels = table.loc[table["touching"], "label"].to_numpy()
    return len(np.unique(clusters[np.isin(data, touching_labels)]))


def test_touching_pairs_overlap_only_shallowly() -> None:
    rng = np.random.default_rng(2)
    shapes = import_module_file(MODULE_DIR, "shapes").draw_shapes(
        rng, 200, mean_diameter=20, spread=0.3, max_aspect=1.6, irregular=0.2)
    placed = placement.place(shapes, 400, 300, agglomeration=0.9, rng=rng)
    dx = placed.cx[None, :] - placed.cx[:, None]
    dy = placed.cy[None, :] - placed.cy[:, None]
    distance = np.hypot(dx, dy)
    for i, k in zip(*np.nonzero(np.triu(distance < placed.r_max[:, None] + placed.r_max, 1)),
                    strict=True):
        beta = np.arctan2(-dy[i, k], dx[i, k])
        reach = placed.radius(i, beta) + placed.radius(k, beta + np.pi)
        assert distance[i, k] >= placement.TOUCH_MIN * reach - 1e-9


def test_ecd_of_isolated_ellipses_matches_the_analytic_value(tmp_path: Path) -> None:
    _, _, _, table = run(tmp_path, agglomeration=0.2, mean_diameter="16 px")
    alone = table[~table["touching"] & ~table["border"] & (table["shape"] == "ellipse")]
    assert len(alone) > 20
    analytic = np.sqrt(4 * alone["semi_major_px"] * alone["semi_minor_px"])
    assert np.allclose(alone["ecd_analytic_px"], analytic, atol=2e-3)
    assert np.abs(alone["ecd_px"] - analytic).max() < 1.0
    assert np.allclose(alone["diameter_major_px"], 2 * alone["semi_major_px"], atol=2e-3)


def test_centres_and_angles_agree_with_the_label_moments(tmp_path: Path) -> None:
    _, _, labels, table = run(tmp_path, agglomeration=0.0, irregular=0.0, max_aspect=1.6,
                              mean_diameter="30 px", count=10)
    row = table[~table["border"] & (table["semi_major_px"] > 1.2 * table["semi_minor_px"])].iloc[0]
    yy, xx = np.nonzero(labels.data == row["label"])
    assert abs(xx.mean() - row["centre_x_px"]) < 0.1
    assert abs(yy.mean() - row["centre_y_px"]) < 0.1
    cov = np.cov(np.stack([xx, -yy]))  # y up, as angle_deg is counter-clockwise on screen
    major = np.degrees(np.arctan2(*np.linalg.eigh(cov)[1][:, -1][::-1])) % 180
    assert min(abs(major - row["angle_deg"]), 180 - abs(major - row["angle_deg"])) < 2.0


def test_info_bar_is_appended_below_with_empty_labels(tmp_path: Path) -> None:
    _, image, labels, _ = run(tmp_path, info_bar=True)
    rows = infobar.bar_rows(240)
    bar = image.data[240:]
    assert rows == 19 and image.data.shape == labels.data.shape == (240 + rows, 320)
    assert not labels.data[240:].any()
    assert (bar[0] == 255).all() and (bar[-1] == 0).all()
    assert ((bar == 0).mean(axis=1)[1:] > 0.5).all()  # black stays each row's main value
    assert (bar == 255).sum() > 100  # text
    assert image.data[:240].min() > 0  # the micrograph never reaches the bar's black


def test_bar_rows_follow_the_height() -> None:
    assert [infobar.bar_rows(h) for h in (768, 1024, 100)] == [60, 80, 12]


def test_phase_fractions_are_exact_to_one_pixel(tmp_path: Path) -> None:
    _, image, labels, table = run(tmp_path, kind="phases", phases=3,
                                  phase_fractions="0.55,0.3,0.15", width=203, height=101)
    total = 203 * 101
    counts = np.bincount(labels.data.ravel(), minlength=4)
    assert counts[0] == 0
    assert np.all(np.abs(counts[1:] - np.array([0.55, 0.3, 0.15]) * total) <= 1)
    assert table["pixels"].tolist() == counts[1:].tolist()
    assert np.allclose(table["area_fraction"], counts[1:] / total)
    means = [image.data[labels.data == k].mean() for k in (1, 2, 3)]
    assert means[0] + 40 < means[1] < means[2] - 40  # distinct grey levels, dark to bright


def test_equal_fractions_when_none_given(tmp_path: Path) -> None:
    _, _, labels, _ = run(tmp_path, kind="phases", phases=4, width=64, height=64)
    assert np.bincount(labels.data.ravel()).tolist() == [0, 1024, 1024, 1024, 1024]


def test_class_counts_round_to_the_total() -> None:
    counts = phases.class_counts(np.array([1 / 3, 1 / 3, 1 / 3]), 100)
    assert counts.tolist() == [34, 33, 33]


@pytest.mark.parametrize(("params", "message"), [
    ({"phase_fractions": "0.5,0.5"},
     "parameter 'phase_fractions': 2 fractions given for 3 phases; give one per phase "
     "(or set 'phases' to match)"),
    ({"phase_fractions": "0.5,0.3,0.3"},
     "parameter 'phase_fractions': '0.5,0.3,0.3' must be positive numbers that sum to 1 "
     "(they sum to 1.1)"),
    ({"phase_fractions": "half,0.5,0"},
     "parameter 'phase_fractions': 'half,0.5,0' is not a comma-separated list of numbers, "
     "e.g. '0.5,0.3,0.2'"),
])
def test_bad_phase_fractions_are_explained(tmp_path: Path, params: dict, message: str) -> None:
    with pytest.raises(ModuleError) as error:
        run(tmp_path, kind="phases", **params)
    assert str(error.value) == message


def test_physical_length_without_pixel_size_is_refused(tmp_path: Path) -> None:
    message = ("parameter 'mean_diameter': '80 nm' is a physical length but 'pixel_size' is "
               "not set; give it in pixels (e.g. '40 px') or set pixel_size")
    with pytest.raises(ModuleError, match=re.escape(message)):
        run(tmp_path, pixel_size=None, mean_diameter="80 nm")


def test_pixel_size_in_pixels_is_refused(tmp_path: Path) -> None:
    message = ("parameter 'pixel_size': '2 px' is not a physical pixel size; write e.g. "
               "'2 nm', or null for an uncalibrated image")
    with pytest.raises(ModuleError, match=re.escape(message)):
        run(tmp_path, pixel_size="2 px")


def test_the_deepest_allowed_overlap_still_leaves_two_distance_peaks() -> None:
    shapes_file = import_module_file(MODULE_DIR, "shapes")
    raster = import_module_file(MODULE_DIR, "raster")
    pair = shapes_file.Shapes(np.array([10.0, 10.0]), np.array([10.0, 10.0]), np.zeros(2),
                              np.zeros((2, 3)), np.zeros((2, 3)))
    pair.cx, pair.cy = np.array([20.0, 20.0 + placement.TOUCH_MIN * 20]), np.array([20.0, 20.0])
    labels, _ = raster.rasterise(pair, 40, 64)
    yy, xx = np.mgrid[:40, :64]
    union = ((xx - 20) ** 2 + (yy - 20) ** 2 <= 100) | ((xx - 37) ** 2 + (yy - 20) ** 2 <= 100)
    assert np.array_equal(labels > 0, union)
    assert np.array_equal(labels[:, :29] > 0, union[:, :29])  # split at the midline x = 28.5
    assert set(np.unique(labels[:, :29])) == {0, 1} and set(np.unique(labels[:, 29:])) == {0, 2}
    distance = ndimage.distance_transform_edt(labels > 0)
    peaks, count = ndimage.label(h_maxima(distance, 2))
    assert count == 2
    assert sorted(np.unique(labels[peaks > 0]).tolist()) == [1, 2]


def test_crowded_field_places_fewer_and_says_so(tmp_path: Path) -> None:
    result, _, labels, table = run(tmp_path, width=64, height=64, mean_diameter="20 px",
                                   count=500)
    assert 3 < len(table) < 40 and labels.data.max() == len(table)
    messages = [message for _, message in result.progress]
    assert (f"placed {len(table)} of 500 particles: the field is too crowded for more"
            in messages)
