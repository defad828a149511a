"""Invert an image's grey levels. A template: copy this folder and change it."""

from __future__ import annotations

from lamella.core.sdk import Task

from . import invert


def run(task: Task) -> None:
    """Read the image, invert it, write it with the same pixel size."""
    image = task.image("image")
    if not image.is_2d:
        task.fail(f"input 'image' has axes {image.axes}; this module needs one grey plane (YX): "
                  "pick a plane or channel in load-image")
    task.progress(0.5, "inverting")
    task.save_image("image", invert.invert(image.data, keep_range=task.param("keep_range")),
                    like=image)
