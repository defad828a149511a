"""Rendering 'se': secondary-electron look, exact front-owns-overlap truth, coverage, sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from lamella.core.sdk.testing import import_module_file, run_module

MODULE_DIR = Path(__file__).resolve().parents[1]
generate = import_module_file(MODULE_DIR, "generate")
depth = import_module_file(MODULE_DIR, "depth")
shapes_file = import_module_file(MODULE_DIR, "shapes")
se_render = import_module_file(MODULE_DIR, "se_render")
REAL = generate.ZEISS_LIKE


def se(width: int = 512, height: int = 384, *, seed: int = 3, mean_diameter: float = 20.0,
       **changes):
    return generate.particles(width, height, seed=seed, mean_diameter=mean_diameter,
                              **{**REAL, **changes})


@pytest.fixture(scope="module")
def field():
    return se(1024, 768, seed=5, mean_diameter=20.0)


def test_same_seed_same_bytes_other_seed_other_image() -> None:
    image, labels, rows = se(seed=8)
    again = se(seed=8)
    other = se(seed=9)
    assert image.tobytes() == again[0].tobytes() and labels.tobytes() == again[1].tobytes()
    assert rows == again[2]
    assert image.tobytes() != other[0].tobytes()


def test_module_outputs_are_byte_identical_per_seed(tmp_path: Path) -> None:
    params = {"rendering": "se", "width": 200, "height": 150, "mean_diameter": "16 px",
              "coverage": 0.45, "overlap": 0.25, "file_layout": "zeiss",
              "pixel_size": "7.344 nm", "seed": 2}
    first = run_module(MODULE_DIR, tmp_path, params=params, node="a")
    again = run_module(MODULE_DIR, tmp_path, params=params, node="b")
    for port in ("image", "labels", "table", "sem_file"):
        assert first.path(port).read_bytes() == again.path(port).read_bytes(), port
    assert "lift_px" in pd.read_csv(first.path("table"))


def test_front_particle_owns_the_overlap_and_no_pixel_is_lost() -> None:
    pair = shapes_file.Shapes(np.array([10.0, 8.0]), np.array([10.0, 8.0]), np.zeros(2),
                              np.zeros((2, 3)), np.zeros((2, 3)))
    pair.cx, pair.cy = np.array([20.0, 33.0]), np.array([20.0, 20.0])
    yy, xx = np.mgrid[:40, :56]
    first = (xx - 20) ** 2 + (yy - 20) ** 2 <= 100
    second = (xx - 33) ** 2 + (yy - 20) ** 2 <= 64
    # Lifted above the other's top (radius 10 or 8), a particle is in front wherever they meet.
    for lift, owner in (([0.0, 10.5], 2), ([8.5, 0.0], 1)):
        view = depth.rasterise_front(pair, 40, 56, lift=np.array(lift), detector_angle=0.0)
        assert np.array_equal(view.labels > 0, first | second)
        assert set(np.unique(view.labels[first & second])) == {owner}
        assert np.array_equal(view.labels == 3 - owner, (first | second) & ~(
            first if owner == 1 else second))
    # Equal lifts: the surface is higher nearer each centre, so the overlap is shared.
    view = depth.rasterise_front(pair, 40, 56, lift=np.zeros(2), detector_angle=0.0)
    assert set(np.unique(view.labels[first & second])) == {1, 2}


def test_labels_agree_with_the_table_geometry(field) -> None:
    _, labels, rows = field
    table = pd.DataFrame(rows)
    counts = np.bincount(labels.ravel())
    assert table["label"].tolist() == list(range(1, len(table) + 1))
    assert table["area_px"].tolist() == counts[1:].tolist()
    ellipses = table[table["shape"] == "ellipse"]
    assert len(ellipses) > 300
    owner, first, second = _front_ellipse(ellipses, labels.shape)
    # Every pixel inside an outline (rounded table geometry: ties within 0.05 px aside)
    # carries the label of the particle whose surface is highest there.
    covered = owner > 0
    clear = covered & (first - second > 0.05) & np.isin(labels, ellipses["label"])
    assert clear.sum() > 0.3 * covered.sum()
    assert np.mean(labels[clear] == owner[clear]) > 0.999
    assert np.mean(labels[covered] > 0) > 0.999


def _front_ellipse(table: pd.DataFrame, shape: tuple[int, int]):  # type: ignore[no-untyped-def]
    """Label of the highest ellipse surface per pixel (0 outside all) and the two heights."""
    owner = np.zeros(shape, dtype=np.int64)
    first = np.full(shape, -1e9)
    second = np.full(shape, -1e9)
    for row in table.itertuples():
        reach = row.semi_major_px + 1
        y0 = max(0, int(row.centre_y_px - reach))
        x0 = max(0, int(row.centre_x_px - reach))
        yy, xx = np.mgrid[y0:min(shape[0], int(row.centre_y_px + reach) + 2),
                          x0:min(shape[1], int(row.centre_x_px + reach) + 2)]
        theta = np.radians(row.angle_deg)
        dx, up = xx - row.centre_x_px, -(yy - row.centre_y_px)
        u = dx * np.cos(theta) + up * np.sin(theta)
        v = -dx * np.sin(theta) + up * np.cos(theta)
        rho2 = (u / row.semi_major_px) ** 2 + (v / row.semi_minor_px) ** 2
        radius = np.sqrt(row.semi_major_px * row.semi_minor_px)
        height = np.where(rho2 <= 1, row.lift_px + radius * np.sqrt(np.clip(1 - rho2, 0, 1)),
                          -1e9)
        box = (slice(y0, y0 + yy.shape[0]), slice(x0, x0 + yy.shape[1]))
        higher = height > first[box]
        second[box] = np.where(higher, first[box], np.maximum(second[box], height))
        owner[box][higher] = row.label
        first[box] = np.maximum(first[box], height)
    return owner, first, second


def test_rims_are_brighter_than_cores_and_cores_than_substrate(field) -> None:
    image, labels, rows = field
    rims, cores = [], []
    boxes = ndimage.find_objects(labels)
    for row in rows:
        if row["touching"] or row["border"] or row["ecd_px"] < 14:
            continue
        box = tuple(slice(max(0, s.start - 1), s.stop + 1) for s in boxes[row["label"] - 1])
        distance = ndimage.distance_transform_edt(labels[box] == row["label"])
        rims.append(image[box][(distance > 0) & (distance <= 2)].mean())
        cores.append(image[box][distance > 0.5 * distance.max()].mean())
    substrate = image[labels == 0].mean()
    assert len(rims) > 40
    assert np.mean(rims) > np.mean(cores) + 30  # measured: 128 against 80
    assert np.mean(cores) > substrate + 20  # measured: 80 against 41
    assert np.mean(np.array(rims) > np.array(cores)) > 0.95


def test_a_global_threshold_splits_particles_into_ring_and_core(field) -> None:
    from skimage.filters import threshold_otsu
    image, labels, _ = field
    above = image > threshold_otsu(image)
    inside = labels > 0
    assert 0.5 < above[inside].mean() < 0.85  # part of every particle falls below
    assert above[~inside].mean() < 0.08


@pytest.mark.parametrize(("diameter", "coverage"), [(20.0, 0.45), (40.0, 0.3), (12.0, 0.55)])
def test_coverage_is_met(diameter: float, coverage: float) -> None:
    _, labels, rows = se(1024, 768, seed=4, mean_diameter=diameter, coverage=coverage)
    assert abs((labels > 0).mean() - coverage) < 0.005
    assert 0.6 < np.mean([row["touching"] for row in rows]) < 1.0


def test_sizes_are_log_normal_with_the_asked_mean(field) -> None:
    _, _, rows = field
    ecd = np.array([row["ecd_analytic_px"] for row in rows])
    sigma = REAL["size_spread"]
    expected_median = 20.0 * np.exp(-sigma**2 / 2)  # arithmetic mean 20 px
    assert abs(np.median(ecd) / expected_median - 1) < 0.04  # measured +1.5 %
    assert abs(np.std(np.log(ecd)) - sigma) < 0.03  # measured 0.29


def test_charging_streaks_trail_bright_regions_to_the_right() -> None:
    quiet = {"noise": 0.0, "line_noise": 0.0}
    still, labels, _ = se(seed=6, charging=0.0, **quiet)
    charged, again, _ = se(seed=6, charging=1.0, **quiet)
    assert np.array_equal(labels, again)
    diff = charged.astype(int) - still.astype(int)
    assert diff.min() >= 0
    rows = np.flatnonzero((diff > 10).any(axis=1))
    assert 3 <= len(rows) < 0.2 * still.shape[0]  # a few charged scan lines
    for y in rows:
        first = np.flatnonzero(diff[y] > 10)[0]
        assert still[y, max(0, first - 40):first].max() > se_render._CHARGE_LEVEL


def test_scan_line_noise_is_one_offset_and_gain_per_row() -> None:
    quiet = {"noise": 0.0, "charging": 0.0}
    clean, _, _ = se(seed=6, line_noise=0.0, **quiet)
    jittered, _, _ = se(seed=6, line_noise=0.05, **quiet)
    x, y = clean.astype(float), jittered.astype(float)
    offsets = []
    for row in range(0, clean.shape[0], 7):
        keep = (y[row] > 0) & (y[row] < 255)
        gain, offset = np.polyfit(x[row][keep], y[row][keep], 1)
        # Both images are rounded to whole grey levels: up to 0.5 + gain x 0.5 apart.
        assert np.abs(gain * x[row][keep] + offset - y[row][keep]).max() <= 0.6 + gain / 2
        offsets.append(offset)
    assert np.std(offsets) > 5  # 0.05 x 255 = 12.75 grey levels


def test_shading_darkens_or_brightens_the_field_smoothly() -> None:
    flat, labels, _ = se(seed=6, shading=0.0, noise=0.0, line_noise=0.0, charging=0.0)
    shaded, _, _ = se(seed=6, shading=0.6, noise=0.0, line_noise=0.0, charging=0.0)
    substrate = ndimage.distance_transform_edt(labels == 0) > 6  # beyond the blur's reach
    ratio = shaded[substrate].astype(float) / flat[substrate]
    assert ratio.max() - ratio.min() > 0.3
    assert set(np.unique(flat[substrate])) == {round(se_render.BACKGROUND)}


def test_deeper_overlap_lets_neighbours_come_closer() -> None:
    rng = np.random.default_rng(2)
    shapes = shapes_file.draw_shapes(rng, 300, mean_diameter=20, spread=0.3, max_aspect=1.3,
                                     irregular=0.0)
    placement = import_module_file(MODULE_DIR, "placement")
    placed = placement.place(shapes, 400, 300, agglomeration=0.9, rng=rng, touch=(0.7, 0.97),
                             vectorised=True)
    closest = []
    for i in range(len(placed)):
        d = np.hypot(placed.cx - placed.cx[i], placed.cy - placed.cy[i])
        d[i] = np.inf
        k = int(np.argmin(d))
        beta = np.arctan2(-(placed.cy[k] - placed.cy[i]), placed.cx[k] - placed.cx[i])
        reach = placed.radius(i, beta) + placed.radius(k, beta + np.pi)
        closest.append(d[k] / reach)
    assert min(closest) >= 0.7 - 1e-9
    assert np.mean(np.array(closest) < 0.85) > 0.2  # overlaps deeper than version 1.0 allows


def test_unknown_rendering_is_refused() -> None:
    with pytest.raises(ValueError, match="rendering 'sem' is unknown; use one of"):
        generate.particles(32, 32, rendering="sem")
