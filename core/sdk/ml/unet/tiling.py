"""Smooth tiled prediction: overlapping tiles blended with a window that falls off at their edges.

A network sees less context near a tile's edge (its zero padding stands in for the missing
neighbours), so its output there is worse. Tiles therefore overlap, and each tile's output
is weighted by a separable Gaussian window (standard deviation ``sigma_scale`` x the tile
side, 1/8 as in MONAI's ``sliding_window_inference``) before the weighted outputs are summed
and divided by the summed weights. Every pixel's weights sum to one after that division,
so there are no seams, only a gradual hand-over between tiles. Along a tile side that lies
on the image's own edge the window stays at its full value: no other tile covers that edge
better.

Any image size works: an image smaller than a tile is padded by reflection up to a tile,
and the tiles of a row or column are spread evenly from one edge to the other, so they
overlap by at least ``overlap`` pixels. Tiles go through the network in batches. This file needs only
numpy: the network is any function from a batch of tiles to class probabilities (PyTorch or
ONNX Runtime, see :mod:`predict`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

__all__ = ["Forward", "blend_window", "pad_to", "predict_tiled", "predict_whole", "tile_starts"]

Forward = Callable[[np.ndarray], np.ndarray]
"""(N, C, t, t) float32 tiles -> (N, K, t, t) float32 class probabilities."""

SIGMA_SCALE = 0.125


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles along an axis of ``length`` (>= ``tile``) pixels.

    As few tiles as share at least ``overlap`` pixels with their neighbours, spread evenly
    from one edge to the other (so the overlaps differ by at most a pixel).

    Examples
    --------
    >>> tile_starts(300, 128, 32)
    [0, 86, 172]
    """
    if length <= tile:
        return [0]
    step = max(1, tile - overlap)
    count = -(-(length - tile) // step) + 1
    return [round(i * (length - tile) / (count - 1)) for i in range(count)]


def blend_window(tile: int, *, first: bool, last: bool, sigma_scale: float = SIGMA_SCALE) -> np.ndarray:
    """1-D weights of one tile side: a Gaussian around its centre, flat towards an image edge.

    ``first`` / ``last`` say the tile starts / ends on the image's edge along this axis.
    """
    positions = np.arange(tile, dtype=np.float64) - (tile - 1) / 2
    weights = np.exp(-0.5 * (positions / (sigma_scale * tile)) ** 2)
    centre = tile // 2
    if first:
        weights[:centre] = weights[centre]
    if last:
        weights[centre:] = weights[centre]
    return np.maximum(weights / weights.max(), 1e-6)  # positive: every pixel gets a weight


def pad_to(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Pad a (C, H, W) image at its bottom and right to at least ``height`` x ``width``.

    By reflection; an image too small to reflect that far is reflected repeatedly, and a
    one-pixel axis repeats its pixel.
    """
    while image.shape[1] < height or image.shape[2] < width:
        extra_y = min(max(0, height - image.shape[1]), image.shape[1] - 1)
        extra_x = min(max(0, width - image.shape[2]), image.shape[2] - 1)
        if (image.shape[1] < height and extra_y == 0) or (image.shape[2] < width and extra_x == 0):
            rest = ((0, 0), (0, max(0, height - image.shape[1])), (0, max(0, width - image.shape[2])))
            return np.pad(image, rest, mode="edge")
        image = np.pad(image, ((0, 0), (0, extra_y), (0, extra_x)), mode="reflect")
    return image


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def predict_whole(image: np.ndarray, forward: Forward, *, multiple: int = 1) -> np.ndarray:
    """Class probabilities (K, H, W) of a (C, H, W) image in one pass (padded to ``multiple``)."""
    height, width = image.shape[1:]
    padded = pad_to(image, _round_up(height, multiple), _round_up(width, multiple))
    return forward(padded[None].astype(np.float32))[0, :, :height, :width]


def predict_tiled(image: np.ndarray, forward: Forward, *, tile: int = 256, overlap: int = 64,
                  batch_size: int = 4, multiple: int = 1,
                  progress: Callable[[float], None] | None = None) -> np.ndarray:
    """Class probabilities (K, H, W) of a (C, H, W) image from blended overlapping tiles.

    Parameters
    ----------
    image : (C, H, W) float32 ndarray
        The normalised image.
    forward
        The network (see :data:`Forward`).
    tile
        Tile side in pixels; rounded up to a multiple of ``multiple``.
    overlap
        Pixels neighbouring tiles share (at least; the last tile may share more).
    batch_size
        Tiles per network call.
    multiple
        The network's size multiple (``UNetSpec.multiple``).
    progress
        Called with the fraction of tiles done.
    """
    height, width = image.shape[1:]
    tile = _round_up(max(tile, multiple), multiple)
    padded = pad_to(image, tile, tile)
    rows = tile_starts(padded.shape[1], tile, overlap)
    columns = tile_starts(padded.shape[2], tile, overlap)
    total = sum_weights = None
    boxes = [(top, left) for top in rows for left in columns]
    done = 0
    for batch in _chunks(boxes, batch_size):
        tiles = np.stack([padded[:, t:t + tile, s:s + tile] for t, s in batch]).astype(np.float32)
        probabilities = forward(tiles)
        if total is None:
            total = np.zeros((probabilities.shape[1], *padded.shape[1:]), np.float32)
            sum_weights = np.zeros(padded.shape[1:], np.float32)
        for (top, left), output in zip(batch, probabilities, strict=True):
            weight = _tile_weight(tile, top, left, padded.shape[1:]).astype(np.float32)
            total[:, top:top + tile, left:left + tile] += output * weight
            sum_weights[top:top + tile, left:left + tile] += weight  # type: ignore[index]
        done += len(batch)
        if progress is not None:
            progress(done / len(boxes))
    assert total is not None and sum_weights is not None
    total /= sum_weights  # in place: the probabilities are not held twice at the end
    return np.ascontiguousarray(total[:, :height, :width])


def _tile_weight(tile: int, top: int, left: int, shape: tuple[int, ...]) -> np.ndarray:
    along_y = blend_window(tile, first=top == 0, last=top + tile >= shape[0])
    along_x = blend_window(tile, first=left == 0, last=left + tile >= shape[1])
    return np.outer(along_y, along_x)


def _chunks(items: list[tuple[int, int]], size: int) -> Iterator[list[tuple[int, int]]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start:start + size]
