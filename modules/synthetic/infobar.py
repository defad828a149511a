"""An SEM-style data bar to append below a synthetic micrograph.

Like the bars FEI/Thermo and Zeiss instruments burn into their TIFFs: a black band, a light
separator line at its top, and bright text (here glyph-like blocks, so no font is needed and
the pixels are the same on every machine) plus a scale-bar-like line.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bar_rows", "info_bar"]

_BACKGROUND, _SEPARATOR, _TEXT = 0, 255, 255


def bar_rows(height: int) -> int:
    """Rows of bar for a micrograph ``height`` rows high: height / 12.8 (60 for 768), >= 12."""
    return max(12, round(height / 12.8))


def info_bar(rng: np.random.Generator, rows: int, width: int) -> np.ndarray:
    """Draw a (rows, width) uint8 bar: black, a light top line, two lines of bright glyphs.

    Text covers well under half of every row, so the bar's black stays its most common
    value row by row, as in real bars.
    """
    bar = np.full((rows, width), _BACKGROUND, dtype=np.uint8)
    bar[0] = _SEPARATOR
    glyph = max(1, (rows - 4) // 18)  # size of one glyph cell in pixels
    line_height = 7 * glyph
    for line in range(2):
        top = 3 + line * (line_height + 3 * glyph) + (rows - 4 - 2 * line_height) // 4
        if top + line_height < rows:
            _text_line(bar, rng, top, glyph, width)
    length = max(4, width // 8)
    y = rows // 2
    bar[y:y + max(1, glyph), width - length - 8:width - 8] = _TEXT
    return bar


def _text_line(bar: np.ndarray, rng: np.random.Generator, top: int, glyph: int,
               width: int) -> None:
    """Words of random 5 x 7 glyphs across the left three quarters of the bar."""
    x = 4 * glyph
    limit = int(width * 0.72)
    while True:
        word = int(rng.integers(3, 9))
        if x + word * 6 * glyph > limit:
            break
        for _ in range(word):
            cells = rng.random((7, 5)) < 0.45
            block = np.kron(cells, np.ones((glyph, glyph), dtype=bool))
            bar[top:top + 7 * glyph, x:x + 5 * glyph][block] = _TEXT
            x += 6 * glyph
        x += 4 * glyph
