"""Separate touching particles in a mask with a marker-controlled watershed.

Memory is the constraint (8192 x 8192 masks, a 2 GB budget for a whole workflow): a
whole-image distance transform alone needs about 16 bytes per pixel (1 GB). So the work is
done on batches of connected components whose joint bounding box stays under a pixel budget;
each batch needs a few hundred MB at most, whatever the image size. The component label image
(int32) is the only full-size array besides the input, and it becomes the output in place:
finished objects are written as negative ids (so they never match the positive component ids
still to be read) and the signs are flipped at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

import numpy as np
from scipy import ndimage
from skimage.segmentation import watershed

from . import cores as dark
from . import markers as seeds

__all__ = ["BATCH_PIXELS", "batches", "split_particles"]

# Pixels per batch window: 4 Mpx keeps a batch near 150 MB and still gives scipy and
# scikit-image large arrays to work on (few Python-level iterations).
BATCH_PIXELS = 1 << 22

Window = tuple[slice, ...]


def split_particles(mask: np.ndarray, *, markers: str = "distance-peaks", min_distance: int = 5,
                    h: float = 2.0, connectivity: int = 8, smooth: float = 0.0,
                    boundaries: np.ndarray | None = None, surface: np.ndarray | None = None,
                    core_depth: float = 0.0, distance_weight: float = 0.0,
                    batch_pixels: int = BATCH_PIXELS,
                    progress: Callable[[float], None] | None = None) -> np.ndarray:
    """Label particles 1..n, splitting touching ones along the watershed of the distance map.

    Parameters
    ----------
    mask : (M, N) bool ndarray
        Foreground.
    markers : {'distance-peaks', 'h-maxima', 'dark-cores'}
        How particle centres are found (see :mod:`markers`; 'dark-cores': :mod:`cores`,
        which needs ``surface``).
    min_distance : int
        For 'distance-peaks': minimum distance between centres, pixels.
    h : float
        For 'h-maxima': how far a centre must rise above the saddle to a neighbour, pixels.
    connectivity : {4, 8}
        Neighbourhood for components, plateaus and flooding.
    smooth : float
        Gaussian sigma (pixels) applied to the distance map; 0 = none.
    boundaries : (M, N) float ndarray, optional
        If given, the watershed floods this (high on particle borders) instead of the
        inverted distance map (or ``surface``); markers come from the distance map (or
        ``surface``).
    surface : (M, N) float32 ndarray, optional
        For 'dark-cores': the smoothed grey image; seeds are its basins at least
        ``core_depth`` deep inside the mask, and regions grow over it.
    core_depth : float
        For 'dark-cores': how deep a basin must be, in the grey levels of ``surface``.
    distance_weight : float
        For 'dark-cores': grey levels subtracted from ``surface`` per pixel of distance to the
        background, so the distance map helps where the rims are faint (0 = none).
    batch_pixels : int
        Upper bound of a batch window (a single larger component is done alone).
    progress : callable, optional
        Called with the fraction of components done.

    Returns
    -------
    (M, N) int32 ndarray: 0 = background, objects 1..n, every component of ``mask`` holding
    at least one object.

    Examples
    --------
    >>> yy, xx = np.indices((30, 50))
    >>> two = ((yy - 15) ** 2 + (xx - 15) ** 2 < 100) | ((yy - 15) ** 2 + (xx - 31) ** 2 < 100)
    >>> int(split_particles(two).max())
    2
    """
    labels, count = ndimage.label(mask, structure=seeds.structure(connectivity), output=np.int32)
    split_batch = partial(_split_batch, markers=markers, min_distance=min_distance, h=h,
                          connectivity=connectivity, smooth=smooth, core_depth=core_depth,
                          distance_weight=distance_weight)
    done = 0
    for first, last, window in batches(ndimage.find_objects(labels), labels.shape, batch_pixels):
        crop = labels[window]
        local = np.where((crop >= first) & (crop <= last), crop - (first - 1), 0)
        objects = split_batch(local, crop != 0, _crop(boundaries, window), _crop(surface, window))
        inside = objects > 0
        crop[inside] = -(objects[inside] + done)
        done += int(objects.max(initial=0))
        if progress is not None:
            progress(last / count)
    return np.negative(labels, out=labels)


def _crop(image: np.ndarray | None, window: Window) -> np.ndarray | None:
    return None if image is None else image[window]


def _split_batch(components: np.ndarray, foreground: np.ndarray, boundaries: np.ndarray | None,
                 surface: np.ndarray | None, *, markers: str, min_distance: int, h: float,
                 connectivity: int, smooth: float, core_depth: float,
                 distance_weight: float) -> np.ndarray:
    """Watershed of one batch window; objects 1..k (consecutive), 0 elsewhere.

    The distance map is taken over all foreground in the window (other batches' components
    too), so it and its smoothing are exactly those of the whole image.
    """
    inside = components > 0
    if markers == "dark-cores":
        assert surface is not None, "dark-cores markers need the smoothed image"
        if distance_weight > 0:
            distance = ndimage.distance_transform_edt(foreground).astype(np.float32)
            surface = surface - np.float32(distance_weight) * distance
        seeds_map = dark.core_markers(surface, components, depth=core_depth,
                                      connectivity=connectivity)
        flood = surface
    else:
        distance = ndimage.distance_transform_edt(foreground).astype(np.float32)
        if smooth > 0:
            ndimage.gaussian_filter(distance, smooth, output=distance)
        if markers == "h-maxima":
            seeds_map = seeds.h_maxima_markers(distance, components, h=h, connectivity=connectivity)
        else:
            seeds_map = seeds.distance_peaks(distance, components, min_distance=min_distance,
                                             connectivity=connectivity)
        flood = -distance
    if boundaries is not None:
        flood = np.asarray(boundaries, dtype=np.float32)
    objects = watershed(flood, seeds_map, mask=inside, connectivity=1 if connectivity == 4 else 2)
    return _label_unreached(objects, inside, connectivity)


def _label_unreached(objects: np.ndarray, inside: np.ndarray, connectivity: int) -> np.ndarray:
    """Components that got no marker (e.g. too low for h) become one object each."""
    unreached = inside & (objects == 0)
    if unreached.any():
        extra, _ = ndimage.label(unreached, structure=seeds.structure(connectivity))
        objects[unreached] = extra[unreached] + objects.max()
    return objects


def batches(boxes: list[Window], shape: tuple[int, ...],
             budget: int) -> Iterator[tuple[int, int, Window]]:
    """Group consecutive component ids whose joint bounding box stays under ``budget`` pixels.

    ``boxes`` come from ``find_objects`` on consecutive labels, so none is missing.

    Yields (first id, last id, window); the window is grown by one pixel (inside the image)
    so the distance transform sees the background around each component, as it would on the
    whole image.
    """
    first, box = 1, None
    for index, extent in enumerate(boxes, start=1):
        grown = extent if box is None else _union(box, extent)
        if box is not None and _area(grown) > budget:
            yield first, index - 1, _grow(box, shape)
            first, grown = index, extent
        box = grown
    if box is not None:
        yield first, len(boxes), _grow(box, shape)


def _union(a: Window, b: Window) -> Window:
    return tuple(slice(min(p.start, q.start), max(p.stop, q.stop)) for p, q in zip(a, b, strict=True))


def _area(box: Window) -> int:
    return (box[0].stop - box[0].start) * (box[1].stop - box[1].start)


def _grow(box: Window, shape: tuple[int, ...]) -> Window:
    return tuple(slice(max(s.start - 1, 0), min(s.stop + 1, n)) for s, n in zip(box, shape, strict=True))
