"""Data bars as Zeiss SmartSEM and FEI/Thermo instruments burn them into their TIFFs.

Geometry (rows counted from the top of the file, ``H`` the scanned micrograph height):

* ``zeiss`` (dark bar, as on many SmartSEM installations): the bar is painted over the
  bottom of the scan, rows ``H - round(56 H / 768)`` to ``H - 3`` (712-765 for 768 rows):
  background 0, text and scale bar up to 243 (white in the palette); the last two rows stay
  image. The file keeps the scan's size.
* ``zeiss-light`` (the public SmartSEM test files): an all-black row, a bar of 243 with black
  text, another all-black row, and one image row at the bottom; ``n = round(74 H / 768)`` bar
  rows (black row 691, bar 692-765, black row 766 for 768 rows).
* ``fei`` / ``fei-16``: the bar is appended below the micrograph: a separator row of 252
  (16-bit: 64512), a black band with bright text (255 / 65280), field boxes in 252 and a
  closing row of 252; ``round(29 W / 512)`` rows in all (58 for 1024 wide), at least 12.

Text is made of glyph-like blocks (no font files, the same pixels everywhere) plus a scale
bar whose length is a round physical length.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["ZEISS_WHITE", "fei_bar", "fei_bar_rows", "nice_length_nm", "zeiss_bar_rows",
           "zeiss_overlay"]

ZEISS_WHITE = 243  # palette entry drawn white; the micrograph never uses it
FEI_LINE, FEI_TEXT = 252, 255


def zeiss_bar_rows(height: int, *, light: bool) -> tuple[int, int]:
    """First and last + 1 row the Zeiss bar covers (black frame rows included)."""
    if light:
        n = max(8, round(74 * height / 768))
        return height - n - 3, height - 1
    return height - max(8, round(56 * height / 768)), height - 2


def fei_bar_rows(width: int) -> int:
    """Rows of FEI data bar (separator and closing rows included) for a micrograph width."""
    return max(12, round(29 * width / 512))


def zeiss_overlay(frame: np.ndarray, rng: np.random.Generator, *, pixel_size_nm: float,
                  light: bool) -> None:
    """Paint the Zeiss bar into the bottom rows of ``frame`` (uint8, in place)."""
    top, bottom = zeiss_bar_rows(frame.shape[0], light=light)
    if light:
        frame[top] = 0
        frame[bottom - 1] = 0
        band = _band(rng, bottom - top - 2, frame.shape[1], pixel_size_nm)
        frame[top + 1:bottom - 1] = np.rint(ZEISS_WHITE * (1.0 - band)).astype(np.uint8)
    else:
        band = _band(rng, bottom - top, frame.shape[1], pixel_size_nm)
        frame[top:bottom] = np.rint(ZEISS_WHITE * band).astype(np.uint8)


def fei_bar(rng: np.random.Generator, width: int, *, pixel_size_nm: float) -> np.ndarray:
    """The FEI bar as uint8: separator, black band with text and field boxes, closing row."""
    rows = fei_bar_rows(width)
    ink = _band(rng, rows - 2, width, pixel_size_nm) > 0.5
    bar = np.zeros((rows, width), dtype=np.uint8)
    bar[0] = bar[-1] = FEI_LINE
    inner = bar[1:-1]
    inner[ink] = FEI_TEXT
    for x in (int(width * share) for share in (0.16, 0.33, 0.5, 0.62)):
        inner[:, x] = FEI_LINE  # boxes around the data fields
    return bar


def nice_length_nm(pixel_size_nm: float, width: int) -> float:
    """A 1-2-5 length (nm) whose bar spans about a fifth of the image width."""
    target = 0.2 * width * pixel_size_nm
    exponent = np.floor(np.log10(target))
    for step in (5.0, 2.0, 1.0):
        if step * 10**exponent <= target:
            return float(step * 10**exponent)
    return float(10**exponent)


def _band(rng: np.random.Generator, rows: int, width: int, pixel_size_nm: float) -> np.ndarray:
    """Ink coverage 0..1 of a bar band: two lines of text at left, scale bar with label."""
    ink = np.zeros((rows, width), dtype=bool)
    glyph = max(1, rows // 16)
    line_height = 7 * glyph
    gap = max(1, (rows - 2 * line_height) // 3)
    for line in range(2):
        _words(ink, rng, gap + line * (line_height + gap), glyph, 4 * glyph, int(width * 0.66))
    length = max(4, round(nice_length_nm(pixel_size_nm, width) / pixel_size_nm))
    left = min(width - length - 8 * glyph, int(width * 0.72))
    _glyphs(ink, rng, gap, glyph, left, 6)  # the bar's label, e.g. "200 nm"
    thick = max(2, glyph + 1)
    y = gap + line_height + gap
    ink[y:y + thick, left:left + length] = True
    ink[y - thick:y + 2 * thick, left:left + max(1, glyph)] = True  # end ticks
    ink[y - thick:y + 2 * thick, left + length - max(1, glyph):left + length] = True
    # Anti-aliased like screen fonts: edges get intermediate grey levels.
    return np.clip(ndimage.gaussian_filter(ink.astype(np.float32), 0.5) * 1.6, 0.0, 1.0)


def _words(ink: np.ndarray, rng: np.random.Generator, top: int, glyph: int, start: int,
           limit: int) -> None:
    """Words of random 5 x 7 glyphs from column ``start`` up to ``limit``."""
    x = start
    while True:
        word = int(rng.integers(2, 8))
        if x + word * 6 * glyph > limit or top + 7 * glyph > ink.shape[0]:
            return
        x = _glyphs(ink, rng, top, glyph, x, word) + 4 * glyph


def _glyphs(ink: np.ndarray, rng: np.random.Generator, top: int, glyph: int, x: int,
            count: int) -> int:
    """``count`` random 5 x 7 glyphs from column ``x``; returns the column after them."""
    for _ in range(count):
        cells = rng.random((7, 5)) < 0.35  # ink share of a glyph: text stays sparse
        block = np.kron(cells, np.ones((glyph, glyph), dtype=bool))
        ink[top:top + 7 * glyph, x:x + 5 * glyph] |= block[:, :max(0, ink.shape[1] - x)]
        x += 6 * glyph
    return x
