"""Scale bars: a round length (1, 2 or 5 times a power of ten) and where to draw it.

The bar is at most a fifth of the image width, in the unit that keeps the number between 1
and 999 ('500 nm', '2 µm'), in the bottom-right corner on a dark box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lamella.core.sdk import Calibration
from lamella.core.units import convert_length

__all__ = ["ScaleBar", "nice_length", "scale_bar"]

_UNITS = ("pm", "nm", "um", "mm", "m")
_PRETTY = {"um": "µm"}
_MAX_SHARE = 0.2


@dataclass(frozen=True)
class ScaleBar:
    """A bar ``pixels`` long meaning ``value`` ``unit``, with its box in image pixels."""

    value: float
    unit: str
    pixels: float
    x: float          # left end of the bar
    y: float          # top of the bar
    thickness: float
    font_px: int
    box: tuple[float, float, float, float]  # left, top, right, bottom

    @property
    def text(self) -> str:
        """The label, e.g. ``'200 nm'`` or ``'2 µm'``."""
        return f"{self.value:g} {_PRETTY.get(self.unit, self.unit)}"


def nice_length(limit: float) -> float:
    """The largest 1, 2 or 5 x 10^k not above ``limit`` (> 0).

    Examples
    --------
    >>> [nice_length(v) for v in (409.6, 0.3, 1000.0, 19.9)]
    [200.0, 0.2, 1000.0, 10.0]
    """
    power = 10.0 ** math.floor(math.log10(limit))
    for step in (5.0, 2.0, 1.0):
        if step * power <= limit * (1 + 1e-12):
            return step * power
    return power


def scale_bar(calibration: Calibration, width: int, height: int) -> ScaleBar:
    """The scale bar for an image of ``width`` x ``height`` pixels with this calibration."""
    unit = calibration.unit
    value = nice_length(_MAX_SHARE * width * calibration.x)
    pixels = value / calibration.x
    value, unit = _readable(value, unit)
    side = min(width, height)
    thickness = max(2.0, round(side / 120))
    font_px = max(10, round(side / 32))
    margin = max(4.0, round(side / 40))
    pad = max(3.0, round(font_px / 3))
    text_half = 0.32 * font_px * len(f"{value:g} {unit}")  # rough width of the label / 2
    half = max(pixels / 2, text_half)
    centre = width - margin - pad - half
    x, y = centre - pixels / 2, height - margin - pad - thickness
    box = (centre - half - pad, y - pad - font_px * 1.3, centre + half + pad, y + thickness + pad)
    return ScaleBar(value, unit, pixels, x, y, thickness, font_px, box)


def _readable(value: float, unit: str) -> tuple[float, str]:
    """Re-express so the number is 1..999 where a unit allows (1000 nm -> 1 µm)."""
    index = _UNITS.index(unit) if unit in _UNITS else None
    while index is not None and value >= 1000 and index + 1 < len(_UNITS):
        value, unit, index = convert_length(value, unit, _UNITS[index + 1]), _UNITS[index + 1], index + 1
    while index is not None and value < 1 and index > 0:
        value, unit, index = convert_length(value, unit, _UNITS[index - 1]), _UNITS[index - 1], index - 1
    return float(f"{value:.6g}"), unit
