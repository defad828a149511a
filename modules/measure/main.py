"""Measure labelled objects (size, shape, position, intensity) or phase area fractions.

Conventions (pixel outline, Feret, perimeter, centroid origin, statistics) are written out
in docs/measurements.md.
"""

from __future__ import annotations

from . import objects, phases, tables


def run(task):
    """Measure the ``labels`` input; write the ``table`` and ``summary`` outputs."""
    labels = task.labels("labels")
    _require_plane(task, labels, "labels")
    image = _intensity_image(task, labels)
    if task.param("labels_are") == "classes":
        _require_classes(task, labels.data)
        pixel_area, unit = _pixel_area(labels)
        table = phases.phase_table(labels.data, image=image, pixel_area=pixel_area, unit=unit)
        summary = table
    else:
        pixel_size, unit = _square_pixel_size(task, labels)
        columns = objects.measure_objects(
            labels.data, image=image, on_progress=lambda f: task.progress(f, "measuring objects"))
        table = tables.object_table(columns, pixel_size=pixel_size, unit=unit)
        summary = tables.summary_table(table, unit=unit)
    task.save_table("table", table)
    task.save_table("summary", summary)


def _require_plane(task, image, port):
    if not image.is_2d:
        shape = " x ".join(str(n) for n in image.data.shape)
        hint = "convert it to grey" if "S" in image.axes else "pick one plane or channel"
        task.fail(f"input '{port}' ({image.name}) has axes {image.axes} ({shape}); measure "
                  f"needs one 2-D plane (axes YX): {hint} first")


def _square_pixel_size(task, labels):
    """Side of a pixel and its ASCII unit, from the labels' calibration ('px' if none).

    Perimeters, Feret diameters and shape factors are lengths in every direction at once,
    so objects are measured only on square pixels.
    """
    cal = labels.calibration
    if cal is None:
        return 1.0, "px"
    if not cal.is_square:
        task.fail(f"input 'labels' ({labels.name}) has non-square pixels ({cal.x:g} x {cal.y:g} "
                  f"{cal.unit}); measuring objects needs square pixels: resample the image or "
                  "correct its pixel size when loading it (phase fractions, labels_are "
                  "'classes', work on any pixels)")
    return cal.x, cal.unit


def _pixel_area(labels):
    """Area of one pixel (x times y, square or not) and its ASCII length unit (1, 'px' if none)."""
    cal = labels.calibration
    return (1.0, "px") if cal is None else (cal.x * cal.y, cal.unit)


def _intensity_image(task, labels):
    if not task.has_input("image"):
        return None
    image = task.image("image")
    _require_plane(task, image, "image")
    if image.data.shape != labels.data.shape:
        size = "{1} x {0}".format
        task.fail(f"input 'image' ({image.name}) is {size(*image.data.shape)} pixels but "
                  f"'labels' is {size(*labels.data.shape)}; connect the image the labels "
                  "were made from")
    return image.data


def _require_classes(task, classes):
    largest = int(classes.max())
    if largest > phases.MAX_CLASS:
        task.fail(f"parameter 'labels_are' is 'classes' but input 'labels' holds values up to "
                  f"{largest}; class images number their classes 1..n (at most "
                  f"{phases.MAX_CLASS}): set labels_are to 'instances' for object labels")
