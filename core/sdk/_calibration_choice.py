"""The pixel size a loaded image leaves with: a user's override, or the file's own."""

from __future__ import annotations

from lamella.core.sdk._image import Calibration, ImpossiblePixelSize
from lamella.core.units import parse_quantity

__all__ = ["NOT_SQUARE", "describe_calibration", "override_calibration"]

# What the modules do with non-square pixels (docs/measurements.md): areas use x times y,
# everything that needs a length in every direction is refused.
NOT_SQUARE = ("; pixels are not square: areas and phase fractions use x times y, but measuring "
              "objects, watershed, circularity limits and lengths in physical units need square "
              "pixels (resample the image, or set 'pixel_size' if the file's sizes are wrong)")


def override_calibration(pixel_size: str | float | None, found: Calibration | None) -> Calibration | None:
    """Calibration from a ``pixel_size`` parameter such as ``'2.5 nm'``; None if not set.

    The z spacing the file gives (if any) is kept, converted to the new unit.

    Raises
    ------
    ValueError
        If the value is not a positive physical length.
    """
    if pixel_size is None:
        return None
    quantity = parse_quantity(pixel_size, power=1)
    if quantity.unit == "px":
        raise ValueError(f"'{pixel_size}' is in pixels; give the physical size of one pixel, "
                         "e.g. '2.5 nm' or '0.65 um'")
    if quantity.value <= 0:
        raise ValueError(f"must be larger than 0, got '{pixel_size}'")
    z = found.to_unit(quantity.unit).z if found is not None else None
    try:
        return Calibration(quantity.value, quantity.value, quantity.unit, z=z, source="user")
    except ImpossiblePixelSize as exc:
        raise ValueError(f"{exc}; give the size of one pixel, e.g. '2.5 nm'") from None


def describe_calibration(calibration: Calibration | None, found: Calibration | None, name: str) -> str:
    """One line for the log: the pixel size used and where it came from."""
    if calibration is None:
        return (f"calibration: none found in {name}; sizes stay in pixels (set 'pixel_size', "
                "e.g. '2.5 nm', to measure in physical units)")
    line = f"calibration: {_size(calibration)} per pixel, from {_source(calibration)}"
    if calibration.source == "user" and found is not None:
        line += f" (overrides {_size(found)} from {found.source} in {name})"
    if not calibration.is_square:
        line += NOT_SQUARE
    return line


def _size(cal: Calibration) -> str:
    size = f"{cal.x:g} {cal.unit}" if cal.is_square else f"{cal.x:g} x {cal.y:g} {cal.unit}"
    return f"{size} (z step {cal.z:g} {cal.unit})" if cal.z is not None else size


def _source(cal: Calibration) -> str:
    return "the 'pixel_size' parameter" if cal.source == "user" else f"{cal.source} metadata"
