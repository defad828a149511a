"""Synthetic micrographs with exact ground truth: particles or multi-phase microstructures."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from lamella.core.sdk import Calibration, Image, write_image
from lamella.core.units import convert_length, parse_quantity

from . import generate, layouts, like


def run(task) -> None:
    """Generate 'images' seeded micrographs, their ground-truth labels and the first's table."""
    model = _like(task)
    calibration = _calibration(task, model)
    field = _field(task, model)
    diameter = _diameter(task, calibration, model) if task.param("kind") == "particles" else 0.0
    count = task.param("images")
    with tempfile.TemporaryDirectory() as folder:
        for index in range(count):
            seed = task.param("seed") + index
            task.progress(0.05 + 0.85 * index / count,
                          f"generating {task.param('kind')} {index + 1} of {count} (seed {seed})")
            if task.param("kind") == "particles":
                image, labels, rows = _particles(task, calibration, field, seed, diameter)
            else:
                image, labels, rows = _phases(task, calibration, field, seed)
            _save_member(task, Path(folder), index, image, labels, calibration)
            if index == 0:
                task.progress(0.05 + 0.85 / count, "writing")
                task.save_image("image", image, calibration=calibration)
                task.save_labels("labels", labels, calibration=calibration)
                task.save_table("table", rows)
                _save_sem_file(task, image[:field[1]], calibration)


def _save_member(task, folder: Path, index: int, image: np.ndarray, labels: np.ndarray,
                 calibration: Calibration | None) -> None:
    """Add one micrograph and its labels to 'image_set' and 'labels_set' (files -000, -001...)."""
    for port, data in (("image_set", image), ("labels_set", labels)):
        name = f"{port}-{index:03d}.ome.tif"
        write_image(folder / name, Image(data, "YX", calibration))
        task.save_file(port, folder / name, filename=name)


def _like(task) -> Image | None:
    """The 'like' image's first plane, or None when the input is not connected."""
    if not task.has_input("like"):
        return None
    image = task.user_image("like")
    return image.like(like.plane(image.data, image.axes), axes="YX")


def _field(task, model: Image | None) -> tuple[int, int]:
    """Width and height in pixels: the 'like' image's, else the parameters'."""
    if model is None:
        return task.param("width"), task.param("height")
    height, width = model.data.shape
    if min(width, height) < 16:
        task.fail(f"input 'like': {model.name} is {width} x {height} pixels; "
                  "simulated images need at least 16 x 16")
    print(f"field: {width} x {height} px, from the 'like' image")
    return width, height


def _diameter(task, calibration: Calibration | None, model: Image | None) -> float:
    """Mean particle diameter in pixels; 'auto' estimates it from the 'like' image."""
    if task.is_auto("mean_diameter"):
        if model is None:
            task.fail("parameter 'mean_diameter': 'auto' estimates the particle size from the "
                      "'like' image; connect 'like' (e.g. load.image) or give a size, e.g. '40 px'")
        estimate = like.typical_diameter(model.data)
        if estimate is None:
            task.fail("parameter 'mean_diameter': no particles found in the 'like' image to "
                      "estimate their size from; give a size, e.g. '40 px'")
        unit = "" if calibration is None else (
            f" = {estimate * calibration.x:.3g} {calibration.unit}")
        task.resolved("mean_diameter", f"{estimate:.3g} px",
                      f"twice the median inscribed radius of the 'like' image's Li-thresholded "
                      f"particles{unit}")
        diameter = estimate
    else:
        diameter = _pixels(task, "mean_diameter", calibration)
    if diameter < 2:
        task.fail(f"parameter 'mean_diameter': {task.param('mean_diameter')} is "
                  f"{diameter:.3g} px; particles need at least 2 px, e.g. '40 px'")
    return diameter


def _save_sem_file(task, micrograph: np.ndarray, calibration: Calibration | None) -> None:
    """Write 'sem_file' in the chosen instrument layout (the micrograph without info bar)."""
    layout = task.param("file_layout")
    pixel_nm = None if calibration is None else convert_length(calibration.x, calibration.unit,
                                                               "nm")
    if pixel_nm is None and layout != "plain":
        task.fail(f"parameter 'file_layout': '{layout}' writes the pixel size into the file; "
                  "set 'pixel_size' (e.g. '7.344 nm') or use 'plain'")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sem.tif"
        layouts.write_sem_tiff(path, micrograph, layout=layout, pixel_size_nm=pixel_nm,
                               seed=task.param("seed"))
        task.save_file("sem_file", path, filename=f"sem-{layout}.tif")


def _particles(task, calibration: Calibration | None, field: tuple[int, int], seed: int,
               diameter: float):
    count = task.param("count")
    image, labels, rows = generate.particles(
        field[0], field[1], seed=seed,
        mean_diameter=diameter, size_spread=task.param("size_spread"), count=count,
        coverage=task.param("coverage"), agglomeration=task.param("agglomeration"),
        max_aspect=task.param("max_aspect"), irregular=task.param("irregular"),
        blur=task.param("blur"), noise=task.param("noise"), with_info_bar=task.param("info_bar"),
        rendering=task.param("rendering"), overlap=task.param("overlap"),
        edge_contrast=task.param("edge_contrast"), shading=task.param("shading"),
        charging=task.param("charging"), line_noise=task.param("line_noise"))
    if count is not None and len(rows) < count:
        task.progress(0.85, f"placed {len(rows)} of {count} particles: the field is too "
                      "crowded for more")
    if calibration is not None:
        generate.add_physical_columns(rows, calibration.x, calibration.unit)
    return image, labels, rows


def _phases(task, calibration: Calibration | None, field: tuple[int, int], seed: int):
    count = task.param("phases")
    fractions = _fractions(task, count)
    feature = _pixels(task, "feature_size", calibration)
    return generate.phases(
        field[0], field[1], seed=seed, count=count,
        fractions=fractions, feature_size=feature, blur=task.param("blur"),
        noise=task.param("noise"), with_info_bar=task.param("info_bar"))


def _calibration(task, model: Image | None) -> Calibration | None:
    """The pixel size to stamp on the images: the 'like' image's, else 'pixel_size'.

    None leaves the images uncalibrated.
    """
    if model is not None and model.calibration is not None:
        cal = model.calibration
        print(f"pixel size: {cal.x:g} {cal.unit}, from the 'like' image")
        return Calibration(cal.x, cal.y, cal.unit, source="synthetic (like image)")
    text = task.param("pixel_size")
    if text is None:
        return None
    quantity = parse_quantity(text, power=1)
    if quantity.unit == "px" or quantity.value <= 0:
        task.fail(f"parameter 'pixel_size': '{text}' is not a physical pixel size; write e.g. "
                  "'2 nm', or null for an uncalibrated image")
    return Calibration(quantity.value, quantity.value, quantity.unit, source="synthetic")


def _pixels(task, name: str, calibration: Calibration | None) -> float:
    """Return a length parameter in pixels of the generated image."""
    text = task.param(name)
    quantity = parse_quantity(text, power=1)
    if quantity.unit != "px" and calibration is None:
        task.fail(f"parameter '{name}': '{text}' is a physical length but 'pixel_size' is not "
                  "set; give it in pixels (e.g. '40 px') or set pixel_size")
    if calibration is None:
        return quantity.value
    return quantity.to_pixels(calibration.x, calibration.unit)


def _fractions(task, count: int) -> np.ndarray | None:
    """Parse 'phase_fractions' ('0.5,0.3,0.2'): one positive share per phase, summing to 1."""
    text = task.param("phase_fractions")
    if text is None or not str(text).strip():
        return None
    try:
        values = np.array([float(part) for part in str(text).split(",")])
    except ValueError:
        task.fail(f"parameter 'phase_fractions': '{text}' is not a comma-separated list of "
                  "numbers, e.g. '0.5,0.3,0.2'")
    if len(values) != count:
        task.fail(f"parameter 'phase_fractions': {len(values)} fractions given for {count} "
                  "phases; give one per phase (or set 'phases' to match)")
    if np.any(values <= 0) or abs(values.sum() - 1) > 1e-6:
        task.fail(f"parameter 'phase_fractions': '{text}' must be positive numbers that sum "
                  f"to 1 (they sum to {values.sum():g})")
    return values
