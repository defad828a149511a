"""The image viewer's status line: size, pixel type, physical pixel size and a scale."""

from __future__ import annotations

import math

from lamella.core.sdk import Calibration
from lamella.core.sdk.columns import pretty_unit

__all__ = ["nice_length", "scale_text", "status_text"]

_SCALE_SCREEN_PX = 100  # the scale quoted is the round length nearest 100 screen pixels


def status_text(name: str, width: int, height: int, dtype: str,
                calibration: Calibration | None, zoom: float) -> str:
    """``'particles.tif  1024 x 768 px, uint16  pixel 2.5 nm  scale 200 nm = 80 screen px'``."""
    parts = [f"{name}  " if name else "", f"{width} x {height} px, {dtype}"]
    if calibration is None:
        parts.append("  no pixel size (lengths in px)")
    else:
        shown = calibration.readable()
        unit = pretty_unit(shown.unit)
        size = f"{shown.x:.4g} {unit}" if calibration.is_square else f"{shown.x:.4g} x {shown.y:.4g} {unit}"
        parts.append(f"  pixel {size}")
        parts.append(f"  {scale_text(shown, zoom)}")
    parts.append(f"  zoom {zoom:.0%}")
    return "".join(parts)


def scale_text(calibration: Calibration, zoom: float) -> str:
    """A round physical length and how many screen pixels it spans at ``zoom``."""
    if zoom <= 0:
        return ""
    length = nice_length(_SCALE_SCREEN_PX / zoom * calibration.x)
    screen = length / calibration.x * zoom
    try:  # 1000 nm reads better as 1 µm: let Calibration pick the unit for the length too
        spoken = Calibration(length, length, calibration.unit).readable()
    except ValueError:  # a length beyond 1 m at a far zoom-out: keep the pixel size's unit
        return f"scale {length:g} {pretty_unit(calibration.unit)} = {screen:.0f} screen px"
    return f"scale {spoken.x:.4g} {pretty_unit(spoken.unit)} = {screen:.0f} screen px"


def nice_length(value: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above ``value`` (a scale bar's length).

    Examples
    --------
    >>> nice_length(347.0), nice_length(0.0123)
    (200.0, 0.01)
    """
    power = 10.0 ** math.floor(math.log10(value))
    for step in (5, 2, 1):
        if step * power <= value * (1 + 1e-9):
            return float(f"{step * power:.12g}")
    return power
