"""Find the data bar (info bar) SEMs paint below the micrograph, so it can be cut off.

Two ways, most trusted first:

1. Metadata. FEI/Thermo files state the micrograph height without the bar
   (``[Image] ResolutionY``, ``[Scan] ResolutionY``) or the bar height
   (``[PrivateFei] DatabarHeight``); Zeiss files state the stored scan size
   (``Store resolution = 1024 * 768``), which is used when the file is taller. Zeiss
   SmartSEM usually stores the bar inside that size, so its metadata gives no height.
2. Pixels. A bar is a band near the bottom whose rows are mostly one flat value at the
   dark or bright end of the image (its background), holding text of high contrast, with
   a drawn separator line above it or a flat top row under a row far from that value (a
   shadow fading into it is no edge), under a micrograph that is not mostly that value.
   Up to four rows may lie under the bar (a frame line, a few scan rows); they are cut
   with it. The text must be several separate marks: three or more if one of them is a
   straight line (a scale bar, a frame), else ten or more (a line of characters). A flat
   band holding a few particles, or only single hot pixels, is substrate or vacuum, not a
   bar. Every condition must hold, so a micrograph without a bar is left whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

import numpy as np
import tifffile
from scipy import ndimage

__all__ = ["Bar", "bar_rows_from_metadata", "detect_bar_rows", "find_bar", "sem_vendor"]

_MAX_BAR_SHARE = 0.35  # bars take 5-15 % of the height; a taller band is image content
_MIN_BAR_ROWS = 3
_MAX_ROWS_UNDER = 4  # Zeiss: 1-3 scan rows and/or a black frame line below the bar
_FLAT = 0.03  # a pixel is bar background within 3 % of the value range (JPEG ringing)
_FLAT_ROW = 0.9  # share of background pixels in the flat margin row at the top of a bar
_BAR_ROW = 0.5  # share of background pixels in a row of the bar...
_TEXT_ROW = (0.2, 0.9)  # ...or in a dense line of text: background, and background + text
_EXTREME = 0.15  # bar backgrounds are black or white: within 15 % of the range of an end
_EDGE = 0.09  # the row above a bar's flat top row differs from it by 9 % of the range
_TEXT = 0.25  # text differs from the bar background by a quarter of the range at least
# A mark is a connected patch of text pixels of 3 px or more (a hot pixel or a JPEG speck
# is smaller). Real bars hold 50-80 marks; three suffice when one is a straight line.
_MIN_MARK_PIXELS = 3
_MIN_MARKS = 3
_MANY_MARKS = 10
_LINE_ASPECT, _LINE_LENGTH = 5, 15


@dataclass(frozen=True)
class Bar:
    """A data bar found in the pixels: what to cut and why.

    ``rows`` rows are cut from the bottom: ``separator`` line rows, the bar from row
    ``top`` to ``bottom`` (exclusive) and ``under`` rows below it.
    """

    rows: int
    top: int
    bottom: int
    background: float
    marks: int
    separator: int
    under: int
    bright: bool

    def describe(self, height: int) -> str:
        """One line for the log: which rows are cut and what made them a bar."""
        shade = "bright" if self.bright else "dark"
        parts = [f"rows {height - self.rows}-{height - 1} cut: a {shade} bar (background "
                 f"{self.background:g}, rows {self.top}-{self.bottom - 1}) holding "
                 f"{self.marks} marks of text"]
        if self.separator:
            parts.append(f"a separator line of {_count(self.separator, 'row')} above it")
        if self.under:
            parts.append(f"{_count(self.under, 'row')} under it")
        return ", ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _vendor_tags(path: Path) -> tuple[dict, dict]:
    """FEI and Zeiss metadata of a TIFF file, empty when absent or unreadable."""
    if path.suffix.lower() not in (".tif", ".tiff"):
        return {}, {}
    try:
        with tifffile.TiffFile(path) as tif:
            return tif.fei_metadata or {}, tif.sem_metadata or {}
    except (OSError, ValueError, TypeError):
        return {}, {}  # unreadable vendor tags: fall back to the pixels


def sem_vendor(path: Path) -> str | None:
    """'Zeiss SEM' or 'FEI/Thermo SEM' when the file carries that vendor's tags, else None."""
    fei, zeiss = _vendor_tags(path)
    return "Zeiss SEM" if zeiss else "FEI/Thermo SEM" if fei else None


def bar_rows_from_metadata(path: Path, height: int) -> tuple[int, str] | None:
    """Rows of data bar that SEM metadata reports for an image ``height`` rows high.

    Returns (rows, where the number came from), with rows 0 when the metadata says the
    file holds no bar; None when no metadata speaks to it.
    """
    fei, zeiss = _vendor_tags(path)
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


def _is_count(value: object) -> TypeGuard[int]:
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
    bar = find_bar(plane)
    return bar.rows if bar is not None else 0


def find_bar(plane: np.ndarray) -> Bar | None:
    """The data bar at the bottom of a grey 2-D ``plane`` (any dtype), or None if there is none.

    The bar may end up to four rows above the bottom; the first ending that makes a bar wins.
    """
    plane = np.asarray(plane)
    if plane.dtype == bool:
        plane = plane.astype(np.uint8)
    low, high = float(np.min(plane)), float(np.max(plane))
    if plane.shape[0] < 4 * _MIN_BAR_ROWS or not np.isfinite(high - low) or high <= low:
        return None
    for under in range(_MAX_ROWS_UNDER + 1):
        bar = _bar_ending_at(plane, plane.shape[0] - under, extremes=(low, high))
        if bar is not None:
            return bar
    return None


def _bar_ending_at(plane: np.ndarray, bottom: int, *, extremes: tuple[float, float]) -> Bar | None:
    """The bar whose last row is ``bottom - 1``, if the rows there make one."""
    low, high = extremes
    span, height = high - low, plane.shape[0]
    background = _mode(plane[bottom - 1])
    if min(background - low, high - background) > _EXTREME * span:
        return None  # a flat grey band is substrate; bars are black or white
    share = _near_share(plane[:bottom], background, _FLAT * span)
    top = _band_top(plane[:bottom], share, background, _TEXT * span,
                    lowest=bottom - int(_MAX_BAR_SHARE * height) - 1)
    if not _MIN_BAR_ROWS <= bottom - top <= _MAX_BAR_SHARE * height:
        return None
    marks = _marks(plane[top:bottom], background, _TEXT * span)
    if not _is_text(marks):
        return None
    separator = _separator_rows(plane, top, background=background, extremes=extremes)
    edge = top - separator
    if edge == 0 or not (separator or _sharp_edge(plane, top, share[top], background, span)):
        return None
    if not _micrograph_differs(plane[:edge], share[:edge], separator=separator):
        return None
    return Bar(rows=height - edge, top=top, bottom=bottom, background=background,
               marks=len(marks), separator=separator, under=height - bottom,
               bright=high - background < background - low)


def _mode(row: np.ndarray) -> float:
    values, counts = np.unique(row, return_counts=True)
    return float(values[np.argmax(counts)])


def _near_share(plane: np.ndarray, value: float, tolerance: float) -> np.ndarray:
    """Per row, the share of pixels within ``tolerance`` of ``value``."""
    return ((plane >= value - tolerance) & (plane <= value + tolerance)).mean(axis=1)


def _band_top(plane: np.ndarray, share: np.ndarray, background: float, contrast: float, *,
              lowest: int) -> int:
    """First row of the run of bar rows that ends at the bottom of ``plane``.

    A bar row is mostly background, or, in a dense line of text, partly background and
    the rest text. The walk stops at ``lowest``: a run reaching it is too tall for a bar.
    """
    start = max(lowest, 0)
    far = np.abs(plane[start:].astype(np.float64) - background) >= contrast
    text = np.concatenate([np.zeros(start), far.mean(axis=1)])
    dense = (share >= _TEXT_ROW[0]) & (share + text >= _TEXT_ROW[1])
    top = plane.shape[0]
    while top > start and (share[top - 1] >= _BAR_ROW or dense[top - 1]):
        top -= 1
    return top


def _marks(band: np.ndarray, background: float, contrast: float) -> list[tuple[int, int]]:
    """Height and width of every mark: 8-connected patches of text pixels, 3 px or more."""
    text = np.abs(band.astype(np.float64) - background) >= contrast
    labels, _ = ndimage.label(text, structure=np.ones((3, 3), bool))
    sizes = np.bincount(labels.ravel())[1:]
    boxes = ndimage.find_objects(labels)
    return [(rows.stop - rows.start, cols.stop - cols.start)
            for (rows, cols), size in zip(boxes, sizes, strict=True) if size >= _MIN_MARK_PIXELS]


def _is_text(marks: list[tuple[int, int]]) -> bool:
    """Marks a bar holds: a line of characters, or a few marks one of which is a line."""
    if len(marks) >= _MANY_MARKS:
        return True
    lines = [max(box) >= max(_LINE_LENGTH, _LINE_ASPECT * min(box)) for box in marks]
    return len(marks) >= _MIN_MARKS and any(lines)


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


def _sharp_edge(plane: np.ndarray, top: int, top_share: float, background: float,
                span: float) -> bool:
    """True if the bar starts with a flat row right under a row far from its background.

    A shadow or a fade into vacuum reaches the background through rows close to it.
    """
    if top_share < _FLAT_ROW:
        return False
    return abs(float(np.median(plane[top - 1])) - background) > _EDGE * span


def _micrograph_differs(above: np.ndarray, share: np.ndarray, *, separator: int) -> bool:
    """True if the rows above the bar are a micrograph, not more of the bar's flat value.

    A blank micrograph (one value throughout, as in a frame saved without signal) under a
    drawn separator line also counts: the line and the text below it make the bar.
    """
    if float(np.median(share)) <= 0.2:
        return True
    return bool(separator) and float(np.ptp(above)) == 0
