"""Images as modules see them: pixels plus axes plus physical pixel size."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from lamella.core.units import (
    LENGTH_UNITS,
    SQUARE_TOLERANCE,
    canonical_unit,
    convert_length,
    pixel_size_problem,
)

__all__ = ["Calibration", "Image", "ImpossiblePixelSize"]


class ImpossiblePixelSize(ValueError):
    """A pixel size that is not finite or lies outside 1 pm to 1 m; says which and from where."""

    def __init__(self, value: float, unit: str, problem: str, source: str) -> None:
        self.value, self.unit, self.problem, self.source = value, unit, problem, source
        super().__init__(f"pixel size {value:g} {unit} {problem}")

    @property
    def note(self) -> str:
        """The problem as a line about a file: 'the FEI metadata gives a pixel size of ...'."""
        return (f"the {self.source} metadata gives a pixel size of {self.value:g} {self.unit}, "
                f"which {self.problem}")

# Relative rounding allowed when a size reaches the next unit: far above float error (1e-16),
# far below any calibration's precision.
_UNIT_STEP_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Calibration:
    """Physical size of one pixel: ``x`` and ``y`` (and ``z`` for stacks) in ``unit``.

    ``source`` says where the numbers came from (``'OME-XML'``, ``'Zeiss CZ_SEM'``,
    ``'FEI'``, ``'ImageJ'``, ``'TIFF resolution'``, ``'user'``), for the run record.
    """

    x: float
    y: float
    unit: str
    z: float | None = None
    source: str = ""

    def __post_init__(self) -> None:
        unit = canonical_unit(self.unit)
        if unit is None or unit == "px":
            raise ValueError(f"'{self.unit}' is not a length unit (use nm, um, mm, ...)")
        for value in (self.x, self.y) if self.z is None else (self.x, self.y, self.z):
            problem = pixel_size_problem(value, unit)
            if problem:
                raise ImpossiblePixelSize(value, unit, problem, self.source)
        object.__setattr__(self, "unit", unit)

    def to_unit(self, unit: str) -> Calibration:
        """The same calibration expressed in another length unit."""
        unit = canonical_unit(unit) or unit
        z = None if self.z is None else convert_length(self.z, self.unit, unit)
        return replace(self, x=convert_length(self.x, self.unit, unit),
                       y=convert_length(self.y, self.unit, unit), z=z, unit=unit)

    def readable(self) -> Calibration:
        """Pick the unit that puts the pixel size between 0.1 and 1000 (nm for SEM, um for LM).

        A size of 1000 of one unit within rounding is 1 of the next: 1e-6 m is 1 um, although
        1e-6 / 1e-9 is 999.9999999999999 in floating point.

        Examples
        --------
        >>> Calibration(1e-6, 1e-6, "m").readable().unit
        'um'
        """
        metres = self.x * LENGTH_UNITS[self.unit]
        for unit in ("pm", "nm", "um", "mm", "m"):
            if metres / LENGTH_UNITS[unit] < 1000 * (1 - _UNIT_STEP_TOLERANCE):
                return self.to_unit(unit)
        return self

    @property
    def is_square(self) -> bool:
        """True if x and y pixel sizes agree to 0.1 % (lengths and shapes need square pixels)."""
        return abs(self.x - self.y) <= SQUARE_TOLERANCE * max(self.x, self.y)


@dataclass
class Image:
    """Pixels (``data``), their axes (e.g. ``'YX'``, ``'CYX'``, ``'ZYX'``) and calibration.

    Axis letters follow tifffile/OME: T time, Z depth, C channel, Y rows, X columns,
    S colour samples (RGB, last).
    """

    data: np.ndarray
    axes: str
    calibration: Calibration | None = None
    name: str = ""
    # Metadata found but not used, one line each, e.g. a pixel size of inf m (for warnings).
    calibration_notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.axes) != self.data.ndim:
            raise ValueError(
                f"axes '{self.axes}' do not match an array with {self.data.ndim} dimensions"
            )

    @property
    def is_2d(self) -> bool:
        """True for a single grey plane."""
        return self.axes == "YX"

    def like(self, data: np.ndarray, axes: str | None = None) -> Image:
        """A new image with other pixels but this image's calibration and name."""
        return Image(data, axes or self.axes, self.calibration, self.name)
