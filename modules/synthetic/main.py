"""Synthetic micrographs with exact ground truth: particles or multi-phase microstructures."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from lamella.core.sdk import Calibration
from lamella.core.units import convert_length, parse_quantity

from . import generate, layouts


def run(task) -> None:
    """Generate the image, its ground-truth labels and the truth table."""
    calibration = _calibration(task)
    task.progress(0.05, f"generating {task.param('kind')}")
    if task.param("kind") == "particles":
        image, labels, rows = _particles(task, calibration)
    else:
        image, labels, rows = _phases(task, calibration)
    task.progress(0.9, "writing")
    task.save_image("image", image, calibration=calibration)
    task.save_labels("labels", labels, calibration=calibration)
    task.save_table("table", rows)
    _save_sem_file(task, image[:task.param("height")], calibration)


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


def _particles(task, calibration: Calibration | None):
    diameter = _pixels(task, "mean_diameter", calibration)
    if diameter < 2:
        task.fail(f"parameter 'mean_diameter': {task.param('mean_diameter')} is "
                  f"{diameter:.3g} px; particles need at least 2 px, e.g. '40 px'")
    count = task.param("count")
    image, labels, rows = generate.particles(
        task.param("width"), task.param("height"), seed=task.param("seed"),
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


def _phases(task, calibration: Calibration | None):
    count = task.param("phases")
    fractions = _fractions(task, count)
    feature = _pixels(task, "feature_size", calibration)
    return generate.phases(
        task.param("width"), task.param("height"), seed=task.param("seed"), count=count,
        fractions=fractions, feature_size=feature, blur=task.param("blur"),
        noise=task.param("noise"), with_info_bar=task.param("info_bar"))


def _calibration(task) -> Calibration | None:
    """Return the pixel size to stamp on the image; None leaves it uncalibrated."""
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
