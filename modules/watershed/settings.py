"""The marker settings of a run: the sizes the chosen marker method needs, 'auto' resolved.

Automatic sizes follow :mod:`lamella.core.sdk.sizes` from the mask's typical particle radius
(:mod:`sizes`); each value chosen is reported with ``task.resolved``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lamella.core.sdk import Image, Task
from lamella.core.sdk.sizes import auto_core_smooth, auto_h, auto_min_distance, auto_neck_h

from . import cores, sizes

__all__ = ["marker_settings", "neck_depth"]

# The size parameter each marker method reads.
_SIZE_PARAM = {"distance-peaks": "min_distance", "h-maxima": "h", "dark-cores": "core_smooth"}
_AUTO_RULE = {"min_distance": auto_min_distance, "h": auto_h, "core_smooth": auto_core_smooth,
              "neck_h": auto_neck_h}


def marker_settings(task: Task, mask: Image) -> dict[str, Any]:
    """Keyword arguments of ``split.split_particles`` for the chosen marker method."""
    method = task.param("markers")
    name = _SIZE_PARAM[method]
    needs_radius = task.is_auto(name) or (method == "dark-cores"
                                          and task.param("distance_weight") > 0)
    radius = _typical_radius(task, mask) if needs_radius else None
    size = _size(task, mask, name, radius)
    if method == "distance-peaks":
        return {"min_distance": max(1, _whole(size))}
    if method == "h-maxima":
        return {"h": size}
    return _dark_core_settings(task, mask, sigma=size, radius=radius)


def neck_depth(task: Task, mask: Image) -> float:
    """How deep a neck must be (px) for an object to be cut again; 0 = never."""
    radius = _typical_radius(task, mask) if task.is_auto("neck_h") else None
    return _size(task, mask, "neck_h", radius)


def _typical_radius(task: Task, mask: Image) -> float | None:
    task.progress(0.02, "estimating the particle size")
    radius = sizes.mask_typical_radius(mask.data, connectivity=task.param("connectivity"))
    if radius is not None:
        print(f"typical particle radius: {radius:.1f} px (from the mask's distance map)")
    return radius


def _size(task: Task, mask: Image, name: str, radius: float | None) -> float:
    """The size parameter in px; 'auto' from the mask's typical particle radius."""
    if not task.is_auto(name):
        return task.length_in_pixels(name, mask)
    if radius is None:
        value, why = 0.0, "the mask holds no particle"
    else:
        value = _AUTO_RULE[name](radius)
        why = f"typical particle radius {radius:.1f} px from the mask's distance map"
    value = _whole(value) if name == "min_distance" else round(value, 2)
    task.resolved(name, f"{value:g} px", why)
    return value


def _dark_core_settings(task: Task, mask: Image, *, sigma: float,
                        radius: float | None) -> dict[str, Any]:
    if not task.has_input("image"):
        task.fail("parameter 'markers': 'dark-cores' finds particle centres in the grey image; "
                  "connect input 'image' (e.g. load.image) or choose markers 'distance-peaks'")
    image = task.image("image")
    if image.axes != "YX":
        task.fail(f"input 'image' has axes '{image.axes}'; dark-cores needs the one grey plane "
                  "(YX) the mask was made from")
    if image.data.shape != mask.data.shape:
        task.fail(f"input 'image' is {image.data.shape[-1]}x{image.data.shape[0]} pixels but "
                  f"'mask' is {mask.data.shape[1]}x{mask.data.shape[0]}; connect the image the "
                  "mask was made from")
    surface = cores.smoothed(image.data, sigma)
    spread = cores.contrast(surface, mask.data)
    depth = task.param("core_depth") * spread
    print(f"dark cores: basins at least {depth:.4g} grey levels deep ({task.param('core_depth'):g} "
          f"of the contrast inside the mask, {spread:.4g})")
    # distance_weight is in contrasts per typical radius, so it means the same at any scale
    weight = task.param("distance_weight") * spread / radius if radius else 0.0
    return {"surface": surface, "core_depth": depth, "distance_weight": weight}


def _whole(pixels: float) -> int:
    """Round half up (Python's round() sends 2.5 to 2)."""
    return int(np.floor(pixels + 0.5))
