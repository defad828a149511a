"""The nanoparticle workflow as one plain Python script: the baseline of the overhead benchmark.

It calls the same module helper functions, with the same parameters, in the same order as
``examples/workflows/nanoparticle-size-distribution.yaml`` does through the runner, but in
one process and with arrays passed in memory: no worker processes, no files between steps,
no hashing, cache or run record. It writes the workflow's outputs (sizes.csv, summary.csv,
histogram.png/.svg, overlay.png/.svg) so the comparison includes the same final writes.

    .venv/bin/python benchmarks/plain_nanoparticle.py IMAGE OUT_DIR

The steps follow each module's ``main.py`` for the parameters the workflow sets; branches
those parameters switch off (plane/channel selection, background, normalisation, shape
filters) are left out. The benchmark checks that sizes.csv equals the runner's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from scipy import ndimage

from lamella.core.sdk import Image, as_label_array, read_image
from lamella.core.sdk import columns as column_names
from lamella.core.sdk.sizes import PILOT_SMOOTH_PX, auto_core_smooth, auto_min_area, auto_smooth
from lamella.core.sdk.testing import import_module_file

MODULES = Path(__file__).resolve().parents[1] / "modules"

# The workflow's parameters (the YAML's values; module defaults for the rest). The sizes the
# YAML leaves 'auto' are derived as the modules derive them (lamella.core.sdk.sizes).
METHOD = "li"
CORE_DEPTH = 0.05
DISTANCE_WEIGHT = 1.0
CONNECTIVITY = 8
HISTOGRAM_COLUMN = "ecd"
MAX_NUMBERS = 300
_NUMBER_FONT = (10, 48)


def helper(module: str, file_stem: str):  # type: ignore[no-untyped-def]
    """A module's helper file, imported the way the runner imports it."""
    return import_module_file(MODULES / module, file_stem)


def load(path: Path) -> Image:
    """load-image: read with calibration, grey, cut an SEM data bar (auto)."""
    infobar, selection = helper("load-image", "infobar"), helper("load-image", "selection")
    image = read_image(path.resolve())
    data, axes, _ = selection.samples_to_grey(image.data, image.axes)
    if axes != "YX":
        raise SystemExit(f"{path}: the plain baseline handles one grey plane, got axes {axes}")
    height = data.shape[0]
    found = infobar.bar_rows_from_metadata(path.resolve(), height)
    rows = found[0] if found else infobar.detect_bar_rows(data)
    return Image(data[: height - rows] if rows else data, axes, image.calibration, image.name)


def segment(image: Image) -> np.ndarray:
    """threshold: blur (auto), Li, edges at the Otsu level, remove objects under min_area (auto).

    'auto' smooth is 0.15 x the typical radius of a first Li mask of the image blurred by
    1 px; 'auto' min_area a tenth of the disc of the final mask's typical radius.
    """
    edges, levels = helper("threshold", "edges"), helper("threshold", "levels")
    cleanup, sizes = helper("threshold", "cleanup"), helper("threshold", "sizes")
    pilot = edges.gaussian(image.data, PILOT_SMOOTH_PX)
    radius = sizes.mask_typical_radius(pilot > levels.global_level(pilot, method=METHOD))
    del pilot
    sigma = round(auto_smooth(radius), 2) if radius is not None else PILOT_SMOOTH_PX
    data = edges.gaussian(image.data, sigma)
    mask = data > levels.global_level(data, method=METHOD)
    del data
    mask = edges.refine_edges(mask, image.data, invert=False, connectivity=CONNECTIVITY)
    radius = sizes.mask_typical_radius(mask)
    min_area = auto_min_area(radius) if radius is not None else 0.0
    return cleanup.remove_small_objects(mask, min_area=min_area, connectivity=CONNECTIVITY)


def separate(mask: np.ndarray, image: Image) -> np.ndarray:
    """watershed, dark-cores markers: seeds at the dark cores, cuts along the bright rims.

    'auto' core_smooth is 0.1 x the mask's typical radius; depth and distance weight are
    shares of the smoothed image's contrast inside the mask, as the module computes them.
    """
    split, cores = helper("watershed", "split"), helper("watershed", "cores")
    radius = helper("watershed", "sizes").mask_typical_radius(mask, connectivity=CONNECTIVITY)
    sigma = round(auto_core_smooth(radius), 2) if radius is not None else 0.0
    surface = cores.smoothed(image.data, sigma)
    spread = cores.contrast(surface, mask)
    labels = split.split_particles(
        mask, markers="dark-cores", connectivity=CONNECTIVITY, smooth=0.0, surface=surface,
        core_depth=CORE_DEPTH * spread,
        distance_weight=DISTANCE_WEIGHT * spread / radius if radius else 0.0)
    return stored_labels(labels)


def stored_labels(labels: np.ndarray) -> np.ndarray:
    """The dtype ``Task.save_labels`` gives (uint16, or uint32 for more labels)."""
    labels = as_label_array(labels, "labels")
    dtype = np.uint16 if labels.size == 0 or labels.max() < 2**16 else np.uint32
    return labels.astype(dtype, copy=False)


def drop_border(labels: np.ndarray) -> np.ndarray:
    """filter-objects: drop objects touching the image edge, renumber the rest."""
    shape = helper("filter-objects", "shape")
    keep = shape.areas(labels) > 0
    keep[0] = False
    keep[shape.border_ids(labels)] = False
    lookup = np.zeros(keep.size, labels.dtype)
    kept = np.flatnonzero(keep)
    lookup[kept] = np.arange(1, kept.size + 1)
    return stored_labels(lookup[labels])


def measure(labels: np.ndarray, image: Image, out: Path) -> pd.DataFrame:
    """measure: per-object table and summary in the image's unit; writes both CSVs."""
    objects, tables = helper("measure", "objects"), helper("measure", "tables")
    cal = image.calibration
    pixel_size, unit = (cal.x, cal.unit) if cal else (1.0, "px")
    table = tables.object_table(objects.measure_objects(labels, image=image.data),
                                pixel_size=pixel_size, unit=unit)
    table.to_csv(out / "sizes.csv", index=False)
    tables.summary_table(table, unit=unit).to_csv(out / "summary.csv", index=False)
    return table


def histogram(table: pd.DataFrame, out: Path) -> None:
    """histogram: ECD distribution with its statistics; PNG and SVG like ``save_plot``."""
    plot, stats = helper("histogram", "plot"), helper("histogram", "stats")
    column = column_names.find_column(list(table.columns), HISTOGRAM_COLUMN)
    quantity, unit = column_names.split_unit(column)
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
    values = values[np.isfinite(values)]
    lines = stats.statistics_text(stats.statistics(values), column_names.pretty_unit(unit))
    figure = plot.histogram_figure(
        values, bins="auto", log_scale=False, label=column_names.axis_label(column),
        title=f"{column_names.pretty_quantity(quantity)} distribution", lines=lines)
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        for fmt in ("png", "svg"):
            figure.savefig(out / f"histogram.{fmt}", dpi=150, bbox_inches="tight")


def overlay(image: Image, labels: np.ndarray, out: Path) -> None:
    """overlay: coloured outlines, numbers (if few objects) and scale bar; PNG and SVG."""
    compose, draw = helper("overlay", "compose"), helper("overlay", "draw")
    scalebar = helper("overlay", "scalebar")
    rgb = compose.compose(image.data, labels, single=None)
    height, width = rgb.shape[:2]
    font_px = min(_NUMBER_FONT[1], max(_NUMBER_FONT[0], round(min(height, width) / 45)))
    numbers = label_numbers(labels)
    bar = scalebar.scale_bar(image.calibration, width, height) if image.calibration else None
    draw.write_png(out / "overlay.png", rgb, numbers=numbers, font_px=font_px, bar=bar)
    draw.write_svg(out / "overlay.svg", draw.png_bytes(rgb), width, height, numbers=numbers,
                   font_px=font_px, bar=bar)


def label_numbers(labels: np.ndarray) -> list[tuple[float, float, str]]:
    """Label ids at centroids when there are at most MAX_NUMBERS objects (as overlay does)."""
    ids = np.unique(labels)
    ids = ids[ids != 0]
    if not 0 < len(ids) <= MAX_NUMBERS:
        return []
    centres = ndimage.center_of_mass(np.ones_like(labels, dtype=np.uint8), labels, ids)
    return [(float(x), float(y), str(int(i))) for i, (y, x) in zip(ids, centres, strict=True)]


def main(image_path: Path, out: Path) -> None:
    """Run every step of the workflow in order, in memory."""
    out.mkdir(parents=True, exist_ok=True)
    image = load(image_path)
    labels = drop_border(separate(segment(image), image))
    table = measure(labels, image, out)
    histogram(table, out)
    overlay(image, labels, out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: plain_nanoparticle.py IMAGE OUT_DIR")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
