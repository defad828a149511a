"""Read the physical pixel size a TIFF carries, from whichever metadata it has.

Order of trust: OME-XML, SEM vendor tags (Zeiss ``CZ_SEM``, FEI/Thermo ``FEI_SFEG`` /
``FEI_HELIOS``), ImageJ (unit plus resolution tags), then plain TIFF resolution tags in
centimetres. Inch resolutions of 72/96/150/300/600 dpi are screen or print defaults written
by general-purpose software, not microscope calibrations, and are ignored.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import tifffile

from lamella.core.sdk._image import Calibration
from lamella.core.units import canonical_unit

__all__ = ["read_calibration"]

_PRINT_DPI = {72.0, 96.0, 150.0, 300.0, 600.0}


def read_calibration(tif: tifffile.TiffFile) -> Calibration | None:
    """Return the pixel size stored in ``tif``, or None if it carries none."""
    readers: list[Callable[[tifffile.TiffFile], Calibration | None]] = [
        _from_ome, _from_zeiss_sem, _from_fei, _from_imagej, _from_resolution_tags,
    ]
    for reader in readers:
        calibration = reader(tif)
        if calibration is not None:
            return calibration
    return None


def _from_ome(tif: tifffile.TiffFile) -> Calibration | None:
    if not tif.is_ome or not tif.ome_metadata:
        return None
    root = ET.fromstring(tif.ome_metadata)
    pixels = next((el for el in root.iter() if el.tag.endswith("}Pixels")), None)
    if pixels is None or "PhysicalSizeX" not in pixels.attrib:
        return None
    attrs = pixels.attrib
    unit = canonical_unit(attrs.get("PhysicalSizeXUnit", "µm"))
    x = float(attrs["PhysicalSizeX"])
    y = float(attrs.get("PhysicalSizeY", x))
    z = float(attrs["PhysicalSizeZ"]) if "PhysicalSizeZ" in attrs else None
    z_unit = canonical_unit(attrs.get("PhysicalSizeZUnit", "µm"))
    if unit is None or unit == "px":
        return None
    if z is not None and z_unit not in (None, "px") and z_unit != unit:
        z = Calibration(z, z, z_unit).to_unit(unit).x
    return Calibration(x, y, unit, z=z, source="OME-XML")


def _from_zeiss_sem(tif: tifffile.TiffFile) -> Calibration | None:
    meta = tif.sem_metadata
    if not meta:
        return None
    for key in ("ap_image_pixel_size", "ap_pixel_size"):
        entry = meta.get(key)
        if entry and len(entry) >= 3 and isinstance(entry[1], int | float) and entry[1] > 0:
            unit = canonical_unit(str(entry[2]))
            if unit and unit != "px":
                size = float(entry[1])
                return Calibration(size, size, unit, source="Zeiss CZ_SEM").readable()
    return None


def _from_fei(tif: tifffile.TiffFile) -> Calibration | None:
    meta: dict[str, Any] | None = tif.fei_metadata
    if not meta:
        return None
    for section in ("Scan", "EScan", "IScan"):
        values = meta.get(section) or {}
        width, height = values.get("PixelWidth"), values.get("PixelHeight")
        if isinstance(width, int | float) and width > 0:
            height = height if isinstance(height, int | float) and height > 0 else width
            return Calibration(float(width), float(height), "m", source="FEI").readable()
    return None


def _from_imagej(tif: tifffile.TiffFile) -> Calibration | None:
    meta = tif.imagej_metadata
    if not meta or "unit" not in meta:
        return None
    unit = canonical_unit(_unescape(str(meta["unit"])))
    sizes = _resolution_sizes(tif)
    if unit is None or unit == "px" or sizes is None:
        return None
    spacing = meta.get("spacing")
    z = float(spacing) if isinstance(spacing, int | float) and spacing > 0 else None
    return Calibration(sizes[0], sizes[1], unit, z=z, source="ImageJ")


def _from_resolution_tags(tif: tifffile.TiffFile) -> Calibration | None:
    tags = tif.pages.first.tags
    unit_tag = tags.get("ResolutionUnit")
    unit_value = int(unit_tag.value) if unit_tag is not None else 2
    unit = {2: "inch", 3: "cm"}.get(unit_value)
    sizes = _resolution_sizes(tif)
    if unit is None or sizes is None:
        return None
    if unit == "inch":
        if round(1.0 / sizes[0], 3) in _PRINT_DPI:
            return None
        return Calibration(sizes[0] * 25.4, sizes[1] * 25.4, "mm", source="TIFF resolution").readable()
    return Calibration(sizes[0], sizes[1], "cm", source="TIFF resolution").readable()


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
    if values[0] == 1.0 and values[1] == 1.0:
        return None  # 1 pixel per unit: the writer's "no resolution" default
    return values[0], values[1]


def _unescape(unit: str) -> str:
    # ImageJ writes non-ASCII units escaped, e.g. '\\u00B5m'.
    return unit.encode("latin-1", "backslashreplace").decode("unicode_escape") if "\\u" in unit else unit
