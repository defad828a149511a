"""Find the data bar (info bar) SEMs paint below the micrograph, so it can be cut off.

Two ways, most trusted first:

1. Metadata. FEI/Thermo files state the micrograph height without the bar
   (``[Image] ResolutionY``, ``[Scan] ResolutionY``) or the bar height
   (``[PrivateFei] DatabarHeight``); Zeiss files state the stored scan size
   (``Store resolution = 1024 * 768``), which is used when the file is taller.
2. Pixels. A bar is a band at the bottom whose rows are mostly one flat value (its
   background) with high-contrast text on it, separated from the micrograph by a
   uniform row or a separator line, under a micrograph that is not itself mostly that
   value. The text must be several separate marks (characters, words, a scale bar): a
   flat band holding one or two particles, or only single hot pixels, is a stretch of
   substrate or vacuum, not a bar. Every condition must hold, so a micrograph without a
   bar is left whole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile

__all__ = ["bar_rows_from_metadata", "detect_bar_rows"]

_MAX_BAR_SHARE = 0.35  # bars take 5-15 % of the height; a taller band is image content
_MIN_BAR_ROWS = 3
_FLAT = 0.03  # a pixel is bar background within 3 % of the value range (JPEG ringing)
_FLAT_ROW = 0.9  # share of background pixels in the flat margin row at the top of a bar
_TEXT = 0.25  # text differs from the bar background by a quarter of the range at least
# Bars carry a line of text and a scale bar: at least three marks. A mark is a connected
# patch of text pixels of 3 px or more; a hot pixel or a JPEG speck is smaller.
_MIN_MARKS = 3
_MIN_MARK_PIXELS = 3


def bar_rows_from_metadata(path: Path, height: int) -> tuple[int, str] | None:
    """Rows of data bar that SEM metadata reports for an image ``height`` rows high.

    Returns (rows, where the number came from), with rows 0 when the metadata says the
    file holds no bar; None when no metadata speaks to it.
    """
    if path.suffix.lower() not in (".tif", ".tiff"):
        return None
    try:
        with tifffile.TiffFile(path) as tif:
            fei = tif.fei_metadata or {}
            zeiss = tif.sem_metadata or {}
    except (OSError, ValueError, TypeError):
        return None  # unreadable vendor tags: fall back to the pixels
    for section in ("Image", "Scan"):
        rows = (fei.get(section) or {}).get("ResolutionY")
        if _is_count(rows) and height / 2 <= rows <= height:
            return height - rows, f"FEI [{section}] ResolutionY = {rows}"
    bar = (fei.get("PrivateFei") or {}).get("DatabarHeight")
    if _is_count(bar) and bar < height / 2:
        return bar, f"FEI [PrivateFei] DatabarHeight = {bar}"
    scan_rows = _zeiss_store_rows(zeiss.get("dp_image_store"))
    if scan_rows is not None and height / 2 <= scan_rows < height:
        return height - scan_rows, f"Zeiss Store resolution, {scan_rows} rows"
    return None


def _zeiss_store_rows(entry: object) -> int | None:
    # ('Store resolution', '1024 * 768'): width * height of the scan.
    if not isinstance(entry, tuple) or len(entry) < 2:
        return None
    parts = str(entry[1]).replace("x", "*").split("*")
    return int(parts[1]) if len(parts) == 2 and parts[1].strip().isdigit() else None


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def detect_bar_rows(plane: np.ndarray) -> int:
    """Rows of data bar at the bottom of a grey 2-D ``plane``, found from the pixels; 0 if none.

    Examples
    --------
    >>> image = np.random.default_rng(0).integers(60, 200, (100, 80)).astype(np.uint8)
    >>> image[88:] = 0
    >>> image[92:95, 10:30] = image[92:95, 40:50] = 255  # two words
    >>> image[96:98, 60:75] = 255  # a scale bar
    >>> detect_bar_rows(image)
    12
    """
    plane = np.asarray(plane)
    if plane.dtype == bool:
        plane = plane.astype(np.uint8)
    height = plane.shape[0]
    low, high = float(np.min(plane)), float(np.max(plane))
    span = high - low
    if height < 4 * _MIN_BAR_ROWS or not np.isfinite(span) or span <= 0:
        return 0
    background = _mode(plane[-1])
    share = _near_share(plane, background, _FLAT * span)
    top = height
    while top > 0 and share[top - 1] >= 0.5:
        top -= 1
    if not _MIN_BAR_ROWS <= height - top <= _MAX_BAR_SHARE * height:
        return 0
    if not _has_text(plane[top:], background, _TEXT * span):
        return 0
    edge = top - _separator_rows(plane, top, background=background, extremes=(low, high))
    starts_flat = share[top] >= _FLAT_ROW or edge < top
    micrograph_differs = edge > 0 and float(np.median(share[:edge])) <= 0.2
    return height - edge if starts_flat and micrograph_differs else 0


def _mode(row: np.ndarray) -> float:
    values, counts = np.unique(row, return_counts=True)
    return float(values[np.argmax(counts)])


def _near_share(plane: np.ndarray, value: float, tolerance: float) -> np.ndarray:
    """Per row, the share of pixels within ``tolerance`` of ``value``."""
    return ((plane >= value - tolerance) & (plane <= value + tolerance)).mean(axis=1)


def _has_text(band: np.ndarray, background: float, contrast: float) -> bool:
    text = np.abs(band.astype(np.float64) - background) >= contrast
    if int(text.sum()) < max(3, int(0.001 * band.size)):
        return False
    sizes = _patch_sizes(text)
    return int(np.count_nonzero(sizes >= _MIN_MARK_PIXELS)) >= _MIN_MARKS


def _patch_sizes(mask: np.ndarray) -> np.ndarray:
    """Pixel counts of the 8-connected patches of a 2-D boolean mask, in no particular order.

    Works on runs of pixels along rows, with numpy only (this module has no scipy): runs in
    neighbouring rows that touch, corners included, are joined.
    """
    row, start, stop = _runs(mask)
    first, second = _touching_runs(row, start, stop, width=mask.shape[1] + 2)
    patch = _components(len(row), first, second)
    return np.bincount(patch, weights=stop - start)[np.unique(patch)].astype(np.int64)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, first column and end column (exclusive) of every run of True, row by row."""
    steps = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    row, start = np.nonzero(steps == 1)
    _, stop = np.nonzero(steps == -1)
    return row, start, stop


def _touching_runs(row: np.ndarray, start: np.ndarray, stop: np.ndarray, *,
                   width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j) of runs where run j, in the row below run i, touches it (8-connected).

    Runs are sorted row by row, so the runs of the next row that touch run i are a
    contiguous range: those ending at or after its start and starting at or before its end.
    """
    below = (row + 1) * width
    lo = np.searchsorted(row * width + stop, below + start, side="left")
    hi = np.searchsorted(row * width + start, below + stop, side="right")
    count = np.maximum(hi - lo, 0)
    first = np.repeat(np.arange(len(row)), count)
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return first, np.repeat(lo, count) + offsets


def _components(n: int, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Component of each of ``n`` nodes joined by the edges ``first[k]-second[k]``.

    Every node takes the smallest label among its neighbours, then the label of the node
    that label names (pointer jumping), until nothing changes: each component ends up
    labelled by its smallest node, in about log2(its size) rounds.
    """
    label = np.arange(n)
    while True:
        lowered = label.copy()
        np.minimum.at(lowered, first, label[second])
        np.minimum.at(lowered, second, label[first])
        lowered = lowered[lowered]
        if np.array_equal(lowered, label):
            return label
        label = lowered


def _separator_rows(plane: np.ndarray, top: int, *, background: float,
                    extremes: tuple[float, float]) -> int:
    """Rows (up to 3) right above the bar that form a separator line.

    A drawn line is flat, at the darkest or brightest value of the image, and contrasts with
    the bar; a smooth stretch of micrograph is not at an extreme, so it is never cut.
    """
    span = extremes[1] - extremes[0]
    count = 0
    while count < 3 and top - count - 1 >= 0:
        row = plane[top - count - 1]
        value = _mode(row)
        flat = _near_share(row[np.newaxis], value, _FLAT * span)[0] >= _FLAT_ROW
        extreme = min(abs(value - extremes[0]), abs(value - extremes[1])) <= _FLAT * span
        if not (flat and extreme and abs(value - background) >= _TEXT * span):
            break
        count += 1
    return count
