"""Read the physical pixel size a TIFF carries, from whichever metadata it has.

Order of trust: OME-XML, SEM vendor tags (Zeiss ``CZ_SEM``, FEI/Thermo ``FEI_SFEG`` /
``FEI_HELIOS``), ImageJ (unit plus resolution tags), then plain TIFF resolution tags in
centimetres or inches. Resolutions of 72/96/150/300/600 dpi (also when written in pixels per
centimetre) are screen or print defaults written by general-purpose software, not microscope
calibrations, and are ignored.

Zeiss SmartSEM writes several sizes; they are used in this order:

* ``AP_IMAGE_PIXEL_SIZE`` ("Image Pixel Size = 2.233 nm"): the pixel size of the stored image.
* ``AP_WIDTH`` ("Width = 457.3 nm"): the field of view across the image, divided by its width
  in pixels.
* ``AP_PIXEL_SIZE`` ("Pixel Size = ..."): only for images 1024 pixels wide. Readers of real
  SmartSEM files report that this value refers to a 1024-pixel-wide frame and must be scaled
  by 1024 / width for other store resolutions; rather than guess for other widths the file
  is treated as uncalibrated, so the user is told to set the pixel size.

A reader that meets damaged or unexpected metadata is skipped, so one bad tag never hides a
good calibration elsewhere in the file, nor makes the pixels unreadable. A size no pixel can
have (not finite, or outside 1 pm to 1 m: inf, NaN, 0, negative, 1e300 m) is skipped the same
way, and said in a note the SDK turns into a warning for the user.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import tifffile

from lamella.core.sdk._image import Calibration, ImpossiblePixelSize
from lamella.core.units import canonical_unit, convert_length, pixel_size_problem

__all__ = ["read_calibration"]

_PRINT_DPI = (72.0, 96.0, 150.0, 300.0, 600.0)
_ZEISS_VALUE = re.compile(r"^\s*([-+]?\d+(?:[.,]\d*)?(?:[eE][-+]?\d+)?)\s*(\S+)\s*$")
_SIGNIFICANT_DIGITS = 10  # TIFF rationals and unit conversions leave noise past this


def read_calibration(tif: tifffile.TiffFile, notes: list[str] | None = None) -> Calibration | None:
    """Return the pixel size stored in ``tif``, or None if it carries none.

    ``Calibration.source`` names the metadata the numbers came from. Each impossible size
    met on the way is appended to ``notes`` as one line.
    """
    readers: list[Callable[[tifffile.TiffFile], Calibration | None]] = [
        _from_ome, _from_zeiss_sem, _from_fei, _from_imagej, _from_resolution_tags,
    ]
    for reader in readers:
        try:
            calibration = reader(tif)
        except ImpossiblePixelSize as exc:
            if notes is not None:
                notes.append(exc.note)
            continue
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, ET.ParseError):
            continue
        if calibration is not None:
            return _tidy(calibration)
    return None


def _tidy(cal: Calibration) -> Calibration:
    z = None if cal.z is None else _round(cal.z)
    return Calibration(_round(cal.x), _round(cal.y), cal.unit, z=z, source=cal.source)


def _round(value: float) -> float:
    return float(f"{value:.{_SIGNIFICANT_DIGITS}g}")


# ----- OME-XML ---------------------------------------------------------------------------
def _from_ome(tif: tifffile.TiffFile) -> Calibration | None:
    if not tif.is_ome or not tif.ome_metadata:
        return None
    root = ET.fromstring(tif.ome_metadata)
    pixels = next((el for el in root.iter() if el.tag.endswith("}Pixels")), None)
    if pixels is None:
        return None
    x = _ome_size(pixels.attrib, "X")
    if x is None:
        return None
    value, unit = x
    y = _ome_size(pixels.attrib, "Y") or x
    z = _ome_size(pixels.attrib, "Z")
    z_size = convert_length(z[0], z[1], unit) if z else None
    if z_size is not None and pixel_size_problem(z_size, unit):
        z_size = None  # an impossible z step does not make the x and y sizes wrong
    return Calibration(value, convert_length(y[0], y[1], unit), unit, z=z_size, source="OME-XML")


def _ome_size(attrs: dict[str, str], axis: str) -> tuple[float, str] | None:
    """PhysicalSize<axis> and its unit (OME default: µm); None if absent or not a length."""
    text = attrs.get(f"PhysicalSize{axis}")
    unit = canonical_unit(attrs.get(f"PhysicalSize{axis}Unit", "µm"))
    if text is None or unit is None or unit == "px":
        return None
    return float(text), unit


# ----- Zeiss SmartSEM (CZ_SEM, tag 34118) ------------------------------------------------
def _from_zeiss_sem(tif: tifffile.TiffFile) -> Calibration | None:
    meta = tif.sem_metadata
    if not meta:
        return None
    width = int(tif.pages.first.imagewidth)
    image_pixel = _zeiss_length(meta.get("ap_image_pixel_size"))
    if image_pixel is not None:
        size, unit = image_pixel
        return Calibration(size, size, unit, source="Zeiss CZ_SEM").readable()
    field = _zeiss_length(meta.get("ap_width"))
    if field is not None and width > 0:
        size, unit = field[0] / width, field[1]
        return Calibration(size, size, unit, source="Zeiss CZ_SEM (Width / pixels)").readable()
    pixel = _zeiss_length(meta.get("ap_pixel_size"))
    if pixel is not None and width == 1024:
        size, unit = pixel
        return Calibration(size, size, unit, source="Zeiss CZ_SEM (Pixel Size)").readable()
    return None


def _zeiss_length(entry: Any) -> tuple[float, str] | None:
    """(value, unit) from a parsed CZ_SEM entry such as ('Image Pixel Size', 2.233, 'nm')."""
    if not isinstance(entry, tuple) or len(entry) < 2:
        return None
    if len(entry) >= 3 and isinstance(entry[1], int | float) and not isinstance(entry[1], bool):
        value, unit_text = float(entry[1]), str(entry[2])
    else:
        # tifffile leaves values it cannot split as text, e.g. a decimal comma '2,233 nm'.
        match = _ZEISS_VALUE.match(str(entry[1]))
        if match is None:
            return None
        value, unit_text = float(match[1].replace(",", ".")), match[2]
    unit = canonical_unit(unit_text)
    return (value, unit) if unit not in (None, "px") else None


# ----- FEI / Thermo Fisher (FEI_SFEG 34680, FEI_HELIOS 34682) ---------------------------
def _from_fei(tif: tifffile.TiffFile) -> Calibration | None:
    meta: dict[str, Any] | None = tif.fei_metadata
    if not meta:
        return None
    for section in ("Scan", "EScan", "IScan"):
        values = meta.get(section) or {}
        width, height = values.get("PixelWidth"), values.get("PixelHeight")
        if isinstance(width, int | float) and not isinstance(width, bool):
            height = height if isinstance(height, int | float) and _positive_number(height) else width
            return Calibration(float(width), float(height), "m", source="FEI").readable()
    return None


def _positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


# ----- ImageJ and plain TIFF resolution tags ----------------------------------------------
def _from_imagej(tif: tifffile.TiffFile) -> Calibration | None:
    meta = tif.imagej_metadata
    if not meta or "unit" not in meta:
        return None
    unit = canonical_unit(_unescape(str(meta["unit"])))
    # ImageJ writes a unit only for a calibrated image, so 1 pixel per unit is a real size here.
    sizes = _resolution_sizes(tif)
    if unit is None or unit == "px" or sizes is None:
        return None
    spacing = meta.get("spacing")
    z = float(spacing) if isinstance(spacing, int | float) and _positive_number(spacing) else None
    return Calibration(sizes[0], sizes[1], unit, z=z, source="ImageJ")


def _from_resolution_tags(tif: tifffile.TiffFile) -> Calibration | None:
    tags = tif.pages.first.tags
    unit_tag = tags.get("ResolutionUnit")
    unit_value = int(unit_tag.value) if unit_tag is not None else 2  # TIFF default: inch
    unit = {2: "inch", 3: "cm"}.get(unit_value)
    sizes = _resolution_sizes(tif)
    if unit is None or sizes is None or sizes == (1.0, 1.0):
        return None  # 1 pixel per inch or cm: the writer's "no resolution" default
    mm_per_unit = 25.4 if unit == "inch" else 10.0
    sizes = (sizes[0] * mm_per_unit, sizes[1] * mm_per_unit)  # millimetres per pixel
    if _is_print_dpi(25.4 / sizes[0]):
        return None
    return Calibration(sizes[0], sizes[1], "mm", source="TIFF resolution").readable()


def _is_print_dpi(dpi: float) -> bool:
    return any(abs(dpi - value) < 0.01 for value in _PRINT_DPI)


def _resolution_sizes(tif: tifffile.TiffFile) -> tuple[float, float] | None:
    """Pixel sizes (1 / pixels-per-unit) from the X/YResolution tags."""
    tags = tif.pages.first.tags
    values = []
    for name in ("XResolution", "YResolution"):
        tag = tags.get(name)
        if tag is None:
            return None
        numerator, denominator = tag.value
        if numerator <= 0 or denominator <= 0:
            return None
        values.append(denominator / numerator)
    return values[0], values[1]


def _unescape(unit: str) -> str:
    # ImageJ writes non-ASCII units escaped, e.g. '\\u00B5m'.
    if "\\u" not in unit:
        return unit
    return unit.encode("latin-1", "backslashreplace").decode("unicode_escape")
