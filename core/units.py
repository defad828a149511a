"""Physical lengths and areas as users write them: ``"12 nm"``, ``"0.5 um^2"``, ``"20 px"``.

A bare number means pixels. Units are the metric lengths microscopes report; ``µm`` and ``um``
are the same unit (files and column names use the ASCII ``um``).
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

__all__ = [
    "LENGTH_UNITS",
    "PIXEL_SIZE_RANGE_M",
    "SQUARE_TOLERANCE",
    "Quantity",
    "canonical_unit",
    "convert_length",
    "parse_quantity",
    "pixel_size_problem",
]

# Metres per unit.
LENGTH_UNITS: dict[str, float] = {
    "pm": 1e-12,
    "A": 1e-10,
    "nm": 1e-9,
    "um": 1e-6,
    "mm": 1e-3,
    "cm": 1e-2,
    "m": 1.0,
}

# The pixel sizes a calibration may have, in metres: 1 pm (below any electron microscope's
# sampling) to 1 m (above any image of a sample). Outside it a size is a writer's error,
# and arithmetic on it overflows (1e300 m squared) or divides by zero (1e-300 m squared).
PIXEL_SIZE_RANGE_M = (1e-12, 1.0)

# Pixels whose x and y sizes agree to 0.1 % are square: calibrations are rarely more precise.
SQUARE_TOLERANCE = 1e-3

_ALIASES = {
    "µm": "um", "μm": "um", "micron": "um", "microns": "um", "micrometer": "um",
    "micrometre": "um", "nanometer": "nm", "nanometre": "nm", "millimeter": "mm",
    "millimetre": "mm", "meter": "m", "metre": "m", "å": "A", "Å": "A", "angstrom": "A",
    "pixel": "px", "pixels": "px", "px": "px",
}

_QUANTITY = re.compile(
    r"^\s*(?P<value>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)\s*"
    r"(?P<unit>[A-Za-zµμÅå]+)?\s*(?P<power>\^2|²|2)?\s*$"
)


def canonical_unit(unit: str) -> str | None:
    """Return the canonical spelling of a length unit (``'µm'`` -> ``'um'``), or None."""
    if unit in LENGTH_UNITS:
        return unit
    return _ALIASES.get(unit, _ALIASES.get(unit.lower()))


def pixel_size_problem(value: float, unit: str) -> str | None:
    """Why ``value`` ``unit`` cannot be the size of a pixel (not finite, outside 1 pm to 1 m)."""
    low, high = PIXEL_SIZE_RANGE_M
    metres = value * LENGTH_UNITS[unit] if math.isfinite(value) else math.nan
    if math.isfinite(metres) and low * (1 - 1e-9) <= metres <= high * (1 + 1e-9):
        return None
    return "is not a physical size (pixel sizes lie between 1 pm and 1 m)"


def convert_length(value: float, unit: str, to_unit: str) -> float:
    """Convert a length between metric units, e.g. ``convert_length(1, 'um', 'nm') == 1000``."""
    return value * LENGTH_UNITS[unit] / LENGTH_UNITS[to_unit]


@dataclass(frozen=True)
class Quantity:
    """A length (power 1) or area (power 2) in a metric unit or in pixels (``unit='px'``)."""

    value: float
    unit: str
    power: int

    def to_pixels(self, pixel_size: float | None, pixel_unit: str | None,
                  pixel_size_y: float | None = None) -> float:
        """Express in pixels (or square pixels) given the image's pixel size and unit.

        ``pixel_size`` is the x size and ``pixel_size_y`` the y size (None: the same). An area
        is divided by the area of one pixel (x times y), square or not. A length is a number
        of pixels only when pixels are square: on 2 x 3 nm pixels, 6 nm is 3 pixels along x
        but 2 along y, so a physical length there is refused with what to do instead.

        Raises
        ------
        ValueError
            If the quantity is physical and the image has no pixel size, or if it is a
            length and the pixels are not square.
        """
        if self.unit == "px":
            return self.value
        if pixel_size is None or pixel_unit is None:
            raise ValueError(
                f"'{self}' is a physical size but the image has no pixel size; give it in "
                "pixels (e.g. '20 px') or set the pixel size when loading the image"
            )
        pixel_size_y = pixel_size if pixel_size_y is None else pixel_size_y
        per_pixel_x = convert_length(pixel_size, pixel_unit, self.unit)
        if self.power == 2:
            return self.value / (per_pixel_x * convert_length(pixel_size_y, pixel_unit, self.unit))
        if abs(pixel_size - pixel_size_y) > SQUARE_TOLERANCE * max(pixel_size, pixel_size_y):
            raise ValueError(
                f"'{self}' is a length but the pixels are not square ({pixel_size:g} x "
                f"{pixel_size_y:g} {pixel_unit}), so it is a different number of pixels along x "
                "and y; give it in pixels (e.g. '5 px') or resample the image to square pixels"
            )
        return self.value / per_pixel_x

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}{'^2' if self.power == 2 else ''}"


def parse_quantity(text: str | float | int, *, power: int) -> Quantity:
    """Parse a user-written length (``power=1``) or area (``power=2``).

    Raises ValueError with the right spelling where the mistake is plain (``'100 nm2'`` ->
    ``'100 nm^2'``, ``'5 mn'`` -> ``'5 nm'``) and an example of a valid value otherwise.
    """
    example = "'20 nm' or '3 px'" if power == 1 else "'500 nm^2' or '30 px^2'"
    if isinstance(text, bool):
        raise ValueError(f"expected {_article(power)} such as {example}, got {text!r}")
    if isinstance(text, int | float):
        return Quantity(float(text), "px", power)
    match = _QUANTITY.match(str(text))
    unit = canonical_unit(match["unit"]) if match and match["unit"] else "px"
    if match is None or unit is None:
        raise ValueError(f"'{text}' is not {_article(power)}; write e.g. {example}"
                         + _unit_hint(match, power))
    written_power = 2 if match["power"] else 1
    if match["unit"] and written_power != power:
        raise ValueError(f"'{text}' is not {_article(power)}; write e.g. {example}")
    if match["power"] == "2":
        # 'nm2' reads like the column names (area_nm2), but in a value it is ambiguous with a
        # typo: the power is written '^2' (or '²').
        raise ValueError(f"'{text}' is not written as an area; write '{match['value']} "
                         f"{match['unit'] or 'px'}^2'")
    return Quantity(float(match["value"]), unit, power)


def _unit_hint(match: re.Match[str] | None, power: int) -> str:
    """' (did you mean 'nm'?)' for a unit one typo away from a known one."""
    if match is None or not match["unit"]:
        return ""
    known = [*LENGTH_UNITS, "px"]
    written = match["unit"].lower()
    # Swapped letters ('mn') first: difflib alone would offer the shorter 'm'.
    close = [u for u in known if sorted(u.lower()) == sorted(written)]
    close = close or difflib.get_close_matches(written, known, n=1, cutoff=0.5)
    if not close:
        return ""
    squared = "^2" if power == 2 else ""
    return f" (did you mean '{match['value']} {close[0]}{squared}'?)"


def _article(power: int) -> str:
    return "a length" if power == 1 else "an area"
