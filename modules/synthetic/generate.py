"""Seeded synthetic micrographs with exact ground truth, as pure functions.

``particles`` makes SEM-like images of touching, agglomerated, non-spherical particles;
``phases`` makes multi-phase microstructures. Both return ``(image, labels, rows)``: the
8-bit image, the ground-truth label image of the same shape and one dict per object or
class. The same arguments always give the same bytes.

Benchmarks and sample-data scripts import this file with
``lamella.core.sdk.testing.import_module_file(MODULE_DIR, "generate")``.
"""

from __future__ import annotations

import numpy as np

from .depth import rasterise_front
from .infobar import bar_rows, info_bar
from .phases import phase_map
from .placement import TOUCH_MAX, TOUCH_MIN, place
from .raster import rasterise, touching_labels
from .render import particle_intensity, render_bands, smooth_background
from .se_render import SELook, charging_step, line_jitter_step, se_intensity, shading_rows, tones
from .shapes import Shapes, draw_shapes

__all__ = ["add_physical_columns", "expected_count", "particles", "phases", "pixel_counts",
           "truth_rows"]

_PARTICLE_LEVEL, _LEVEL_JITTER = 135.0, 10.0
RENDERINGS = ("simple", "se")
DEFAULT_OVERLAP = 0.15  # 1 - placement.TOUCH_MIN
# Realistic Zeiss-like SE images of agglomerated nanoparticles: with these settings the best
# hand-tuned threshold + watershed workflow scores about as on real images (see
# docs/synthetic-data.md and benchmarks/sem_difficulty.py). Add width, height, seed and
# mean_diameter.
ZEISS_LIKE = {"rendering": "se", "size_spread": 0.3, "coverage": 0.45, "agglomeration": 0.85,
              "overlap": 0.25, "max_aspect": 1.3, "irregular": 0.5, "blur": 1.0,
              "noise": 0.08, "edge_contrast": 1.0, "shading": 0.3, "charging": 0.3,
              "line_noise": 0.02}
_BUDGET = 1.45  # outline area placed per covered area: overlaps and hidden parts eat 15-30 %
_MAX_LIFT = 0.6  # particles sit up to 0.6 radii above the substrate (on top of others)


def expected_count(width: int, height: int, *, mean_diameter: float, size_spread: float,
                   coverage: float) -> int:
    """Particles needed to cover ``coverage`` of the field (mean area from the size law)."""
    mean_area = np.pi / 4 * mean_diameter**2 * np.exp(size_spread**2)  # E[d^2], log-normal
    return max(1, round(coverage * width * height / mean_area))


def particles(width: int, height: int, *, seed: int = 0, mean_diameter: float = 40.0,
              size_spread: float = 0.25, count: int | None = None, coverage: float = 0.3,
              agglomeration: float = 0.5, max_aspect: float = 1.6, irregular: float = 0.2,
              blur: float = 1.0, noise: float = 0.05, with_info_bar: bool = False,
              rendering: str = "simple", overlap: float = DEFAULT_OVERLAP,
              edge_contrast: float = 1.0, shading: float = 0.3, charging: float = 0.3,
              line_noise: float = 0.02) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """SEM-like bright particles on a dark background, with exact labels and a truth table.

    Parameters
    ----------
    width, height
        Size of the micrograph in pixels (a data bar, if any, is added below it).
    mean_diameter, size_spread
        Mean equivalent circle diameter (px) and log-normal sigma of the sizes.
    count, coverage
        Number of particles to place; if None, as many as cover ``coverage`` of the field.
        A crowded field may hold fewer: the table lists those placed.
    agglomeration
        Probability (0..1) that a particle is placed touching one already placed.
    max_aspect, irregular
        Largest aspect ratio a/b; share of particles with an irregular outline.
    blur, noise
        Gaussian blur sigma (px) and shot-noise level (see ``render.render_bands``).
    with_info_bar
        Append an SEM-style data bar (labels are 0 there).
    rendering
        'simple': particles brightest at the rim over a smooth background, ownership of an
        overlap split down its middle (the look of version 1.0). 'se': the
        secondary-electron look of real images (see ``se_render``): bright rims and dark
        cores, shading, charging streaks, scan-line noise; the particle in front owns an
        overlap, and the labelled share of the field meets ``coverage``.
    overlap
        Deepest overlap of a touching pair: centres are at least ``1 - overlap`` times the
        sum of their radii apart (0.15 = shallow necks a distance watershed splits).
    edge_contrast, shading, charging, line_noise
        Strengths of the SE effects (rendering 'se' only; see ``se_render.SELook``).

    Returns
    -------
    image : (H, W) uint8
    labels : (H, W) uint16 or uint32, particle ``k`` has label ``k`` (1..n, consecutive)
    rows : list of dict, one per particle (see ``truth_rows``)

    Examples
    --------
    >>> image, labels, rows = particles(64, 48, seed=1, mean_diameter=12, count=5)
    >>> image.shape, int(labels.max()) == len(rows)
    ((48, 64), True)
    """
    if rendering not in RENDERINGS:
        raise ValueError(f"rendering '{rendering}' is unknown; use one of {RENDERINGS}")
    if rendering == "se":
        look = SELook(edge_contrast=edge_contrast, shading=shading, charging=charging,
                      line_noise=line_noise)
        return _se_particles(width, height, seed=seed, mean_diameter=mean_diameter,
                             size_spread=size_spread, count=count, coverage=coverage,
                             agglomeration=agglomeration, max_aspect=max_aspect,
                             irregular=irregular, blur=blur, noise=noise, overlap=overlap,
                             look=look, with_info_bar=with_info_bar)
    rng = np.random.default_rng(seed)
    if count is None:
        count = expected_count(width, height, mean_diameter=mean_diameter,
                               size_spread=size_spread, coverage=coverage)
    shapes = draw_shapes(rng, count, mean_diameter=mean_diameter, spread=size_spread,
                         max_aspect=max_aspect, irregular=irregular)
    shapes = place(shapes, width, height, agglomeration=agglomeration, rng=rng,
                   touch=_touch(overlap))
    labels, rho = rasterise(shapes, height, width)
    labels, shapes, area = _drop_hidden(labels, shapes)
    levels = np.zeros(len(shapes) + 1, dtype=np.float32)
    levels[1:] = _PARTICLE_LEVEL + rng.uniform(-_LEVEL_JITTER, _LEVEL_JITTER, len(shapes))
    intensity = particle_intensity(labels, rho, levels, smooth_background(rng, height, width))
    image = render_bands(height, width, intensity, blur=blur, noise=noise, seed=seed)
    del rho, intensity
    rows = truth_rows(shapes, area, touching_labels(labels, len(shapes)), _border_labels(labels))
    if with_info_bar:
        image, labels = _append_bar(rng, image, labels)
    return image, labels, rows


def _se_particles(width: int, height: int, *, seed: int, mean_diameter: float,
                  size_spread: float, count: int | None, coverage: float, agglomeration: float,
                  max_aspect: float, irregular: float, blur: float, noise: float,
                  overlap: float, look: SELook,
                  with_info_bar: bool) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """``particles`` with rendering 'se': front particles own overlaps, coverage is met."""
    rng = np.random.default_rng([seed, 1])
    view, shapes, lift = _se_geometry(rng, width, height, mean_diameter=mean_diameter,
                                      size_spread=size_spread, count=count, coverage=coverage,
                                      agglomeration=agglomeration, max_aspect=max_aspect,
                                      irregular=irregular, overlap=overlap)
    labels, visible, area = _visible(view.labels, len(shapes))
    shapes, lift = shapes.subset(visible), lift[visible]
    radius = np.concatenate([[np.float32(1)], np.sqrt(shapes.a * shapes.b)]).astype(np.float32)
    core, rim = tones(rng, lift, radius[1:], look)
    view.labels = labels
    # Each effect draws from its own stream, so changing one strength leaves the others.
    shade = shading_rows(np.random.default_rng([seed, 31]), height, width, look.shading)
    intensity = se_intensity(view, radius, core, rim, shade, look)
    charging = charging_step(np.random.default_rng([seed, 37]), height, look.charging)
    jitter = line_jitter_step(np.random.default_rng([seed, 41]), height, look.line_noise)
    image = render_bands(height, width, intensity, blur=blur, noise=noise, seed=seed,
                         after_blur=charging, after_noise=jitter)
    rows = truth_rows(shapes, area, touching_labels(labels, len(shapes)), _border_labels(labels))
    for row, height_px in zip(rows, lift, strict=True):
        row["lift_px"] = round(float(height_px), 3)
    if with_info_bar:
        image, labels = _append_bar(rng, image, labels)
    return image, labels, rows


def _se_geometry(rng: np.random.Generator, width: int, height: int, *, mean_diameter: float,
                 size_spread: float, count: int | None, coverage: float, agglomeration: float,
                 max_aspect: float, irregular: float, overlap: float):  # type: ignore[no-untyped-def]
    """Draw and place particles, lift them off the substrate and rasterise the front view.

    Without ``count``, shapes for 1.6 x the coverage are drawn and placed until their
    outline areas add up to 1.45 x the coverage (overlaps and hidden parts eat some), and
    drawing stops once the labelled share reaches ``coverage``.
    """
    n = count if count is not None else 1 + int(1.6 * expected_count(
        width, height, mean_diameter=mean_diameter, size_spread=size_spread,
        coverage=coverage))
    shapes = draw_shapes(rng, n, mean_diameter=mean_diameter, spread=size_spread,
                         max_aspect=max_aspect, irregular=irregular)
    budget = None if count is not None else _BUDGET * coverage * width * height
    shapes = place(shapes, width, height, agglomeration=agglomeration, rng=rng,
                   touch=_touch(overlap), area_budget=budget, vectorised=True)
    lift = np.sqrt(shapes.a * shapes.b) * rng.uniform(0.0, _MAX_LIFT, len(shapes))
    view = rasterise_front(shapes, height, width, lift=lift,
                           detector_angle=float(rng.uniform(0, 2 * np.pi)),
                           coverage=None if count is not None else coverage)
    keep = np.arange(view.drawn)
    return view, shapes.subset(keep), lift[keep]


def _touch(overlap: float) -> tuple[float, float]:
    """Centre-distance range of touching pairs for a deepest ``overlap``."""
    if overlap == DEFAULT_OVERLAP:
        return TOUCH_MIN, TOUCH_MAX  # the exact constants: version 1.0 images stay identical
    return 1.0 - overlap, max(TOUCH_MAX, 1.0 - overlap)


def phases(width: int, height: int, *, seed: int = 0, fractions: np.ndarray | None = None,
           count: int = 3, feature_size: float = 24.0, blur: float = 1.0, noise: float = 0.05,
           with_info_bar: bool = False) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Make a ``count``-phase microstructure: classes 1..count, each with its own grey level.

    ``fractions`` (one per phase, summing to 1; None = equal) are met exactly up to one pixel
    per class. Phases get evenly spaced grey levels from dark (class 1) to bright.

    Examples
    --------
    >>> image, labels, rows = phases(40, 30, fractions=np.array([0.5, 0.5]), count=2)
    >>> [row["pixels"] for row in rows]
    [600, 600]
    """
    rng = np.random.default_rng(seed)
    if fractions is None:
        fractions = np.full(count, 1.0 / count)
    classes = phase_map(rng, height, width, fractions=fractions, feature_size=feature_size)
    levels = np.linspace(70.0, 190.0, count).astype(np.float32)
    levels = np.concatenate([[np.float32(0)], levels])
    image = render_bands(height, width, lambda top, bottom: levels[classes[top:bottom]],
                         blur=blur, noise=noise, seed=seed)
    pixels = pixel_counts(classes, count)[1:]
    rows = [{"class": k + 1, "pixels": int(n), "area_fraction": n / classes.size,
             "requested_fraction": float(fractions[k])} for k, n in enumerate(pixels)]
    if with_info_bar:
        image, classes = _append_bar(rng, image, classes)
    return image, classes, rows


def truth_rows(shapes: Shapes, area: np.ndarray, touching: np.ndarray,
               border: np.ndarray) -> list[dict]:
    """One dict per particle: geometry (px, degrees) and its pixel count in the labels.

    ``ecd_analytic_px`` is the diameter of the circle with the outline's exact area (for an
    ellipse ``sqrt(4 a b)``); ``ecd_px`` comes from the pixel count ``area_px``.
    """
    phi = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    irregular = shapes.irregular
    rows = []
    for i in range(len(shapes)):
        exact_area = 0.5 * float(np.mean(shapes.radius(i, phi) ** 2)) * 2 * np.pi
        label = i + 1
        rows.append({
            "label": label,
            "shape": "irregular" if irregular[i] else "ellipse",
            "centre_x_px": round(float(shapes.cx[i]), 3),
            "centre_y_px": round(float(shapes.cy[i]), 3),
            "semi_major_px": round(float(shapes.a[i]), 3),
            "semi_minor_px": round(float(shapes.b[i]), 3),
            "angle_deg": round(float(np.degrees(shapes.theta[i])), 2),
            "area_px": int(area[label]),
            "ecd_px": round(float(np.sqrt(4 * area[label] / np.pi)), 3),
            "touching": bool(touching[label]),
            "border": bool(border[label]),
            "diameter_major_px": round(2 * float(shapes.a[i]), 3),
            "diameter_minor_px": round(2 * float(shapes.b[i]), 3),
            "ecd_analytic_px": round(float(np.sqrt(4 * exact_area / np.pi)), 3),
        })
    return rows


def add_physical_columns(rows: list[dict], pixel_size: float, unit: str) -> None:
    """Add ECD and area in a length unit, named like measure's columns (ecd_nm, area_nm2)."""
    for row in rows:
        row[f"ecd_{unit}"] = round(row["ecd_px"] * pixel_size, 6)
        row[f"area_{unit}2"] = round(row["area_px"] * pixel_size**2, 6)


def _drop_hidden(labels: np.ndarray, shapes: Shapes) -> tuple[np.ndarray, Shapes, np.ndarray]:
    """Remove particles left without pixels (cut off or covered); keep labels consecutive."""
    labels, visible, area = _visible(labels, len(shapes))
    return labels, shapes if visible.all() else shapes.subset(visible), area


def _visible(labels: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Renumber labels 1..k over the particles that kept pixels; their mask; pixel counts."""
    area = pixel_counts(labels, count)
    visible = area[1:] > 0
    if visible.all():
        return labels, visible, area
    lookup = np.zeros(count + 1, dtype=labels.dtype)
    lookup[1:][visible] = np.arange(1, int(visible.sum()) + 1)
    return lookup[labels], visible, np.concatenate([area[:1], area[1:][visible]])


def pixel_counts(labels: np.ndarray, count: int, *, band: int = 512) -> np.ndarray:
    """Pixels per label 0..count, counted in bands of rows (bincount makes int64 copies)."""
    area = np.zeros(count + 1, dtype=np.int64)
    for top in range(0, labels.shape[0], band):
        area += np.bincount(labels[top:top + band].ravel(), minlength=count + 1)
    return area


def _border_labels(labels: np.ndarray) -> np.ndarray:
    border = np.zeros(int(labels.max(initial=0)) + 1, dtype=bool)
    for edge in (labels[0], labels[-1], labels[:, 0], labels[:, -1]):
        border[edge] = True
    border[0] = False
    return border


def _append_bar(rng: np.random.Generator, image: np.ndarray,
                labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = bar_rows(image.shape[0])
    bar = info_bar(rng, rows, image.shape[1])
    empty = np.zeros((rows, labels.shape[1]), dtype=labels.dtype)
    return np.vstack([image, bar]), np.vstack([labels, empty])
