"""Read images from the files users have, and pass images between modules as OME-TIFF.

Between modules every image is an OME-TIFF that carries its axes and pixel size, so
calibration survives any chain of modules, in any backend.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import tifffile

from lamella.core.errors import InputFileError
from lamella.core.sdk._image import Image
from lamella.core.sdk._tiff_calibration import read_calibration

__all__ = ["TIFF_SUFFIXES", "read_image", "write_image"]

TIFF_SUFFIXES = (".tif", ".tiff", ".btf", ".tf8")
_PILLOW_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
_OME_UNITS = {"um": "µm", "A": "Å"}
_TO_RGB = ("CMYK", "YCbCr", "LAB", "HSV", "RGBX")


def read_image(path: str | Path) -> Image:
    """Read a TIFF/OME-TIFF (with calibration) or a PNG/JPEG/BMP (uncalibrated).

    Raises
    ------
    InputFileError
        If the file is missing, empty, of an unsupported kind, truncated or corrupt.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: file not found (check the path)")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: file is empty (0 bytes); re-export the image")
    suffix = path.suffix.lower()
    if suffix in TIFF_SUFFIXES:
        return _read_tiff(path)
    if suffix in _PILLOW_SUFFIXES:
        return _read_with_pillow(path)
    kind = f"'{path.suffix}' files" if path.suffix else "files without an extension"
    raise InputFileError(
        f"{path}: {kind} are not supported; use TIFF, OME-TIFF, PNG or JPEG "
        "(Fiji with Bio-Formats converts other microscope formats to OME-TIFF)"
    )


def _read_tiff(path: Path) -> Image:
    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            data = series.asarray()
            axes = series.axes
            notes: list[str] = []
            calibration = read_calibration(tif, notes)
    except Exception as exc:  # tifffile raises many types for damaged files
        raise InputFileError(
            f"{path}: not a readable TIFF ({_short(exc)}); the file is truncated or corrupt, "
            "re-export it from the microscope software or Fiji"
        ) from None
    if data.size == 0:
        raise InputFileError(
            f"{path}: the image has no pixels (shape {' x '.join(map(str, data.shape))}); "
            "re-export it from the microscope software or Fiji"
        )
    data, axes = _drop_singleton_axes(data, axes)
    return Image(data, axes, calibration, name=path.name, calibration_notes=tuple(notes))


def _read_with_pillow(path: Path) -> Image:
    # Pillow is imported here only: the SDK itself needs it only for PNG/JPEG files.
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    # Pillow refuses images above ~179 Mpixels as "decompression bombs"; these are the user's
    # own micrographs (stitched mosaics are that large), not untrusted web input.
    PILImage.MAX_IMAGE_PIXELS = None
    try:
        with PILImage.open(path) as handle:
            handle.load()
            data = _pillow_pixels(handle)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise InputFileError(
            f"{path}: not a readable {path.suffix.lstrip('.').upper()} image ({_short(exc)}); "
            "the file is truncated or corrupt"
        ) from None
    axes = "YXS" if data.ndim == 3 else "YX"
    return Image(np.ascontiguousarray(data), axes, None, name=path.name)


def _pillow_pixels(handle: Any) -> np.ndarray:
    """Pixels of an open Pillow image: grey, RGB, or the palette INDEX (not the colours)."""
    mode = handle.mode
    if mode == "PA":
        return np.asarray(handle)[..., 0]  # palette index, alpha dropped
    if mode in ("RGBA", "LA", "La", "RGBa"):
        return np.asarray(handle.convert("RGB" if mode.startswith("RGB") else "L"))
    if mode in _TO_RGB:
        return np.asarray(handle.convert("RGB"))  # CMYK JPEGs would read inverted otherwise
    return np.asarray(handle)  # L, P (index), 1 (bool), I;16, I, F


def _drop_singleton_axes(data: np.ndarray, axes: str) -> tuple[np.ndarray, str]:
    """Squeeze length-1 axes other than Y and X (OME writers add T/Z/C of size 1)."""
    keep = [i for i, (n, a) in enumerate(zip(data.shape, axes, strict=True)) if n != 1 or a in "YX"]
    if len(keep) == data.ndim:
        return data, axes
    shape = tuple(data.shape[i] for i in keep)
    return data.reshape(shape), "".join(axes[i] for i in keep)


def write_image(path: str | Path, image: Image) -> Path:
    """Write ``image`` as an uncompressed OME-TIFF carrying axes and pixel size."""
    path = Path(path)
    data, axes = image.data, image.axes
    if "S" in axes and not axes.endswith("S"):
        # OME-TIFF stores colour samples last (interleaved RGB); planar TIFFs read as 'SYX'.
        data = np.moveaxis(data, axes.index("S"), -1)
        axes = axes.replace("S", "") + "S"
    # OME has no 'I' (tifffile's pages of a TIFF without axis metadata): store them as 'Q',
    # the other letter tifffile gives such pages, which reads back as a stack of pages.
    axes = axes.replace("I", "Q")
    metadata: dict[str, object] = {"axes": axes}
    if image.calibration is not None:
        cal = image.calibration
        unit = _OME_UNITS.get(cal.unit, cal.unit)
        metadata.update(PhysicalSizeX=cal.x, PhysicalSizeXUnit=unit,
                        PhysicalSizeY=cal.y, PhysicalSizeYUnit=unit)
        if cal.z is not None and "Z" in axes:
            metadata.update(PhysicalSizeZ=cal.z, PhysicalSizeZUnit=unit)
    metadata["UUID"] = _content_uuid(image, metadata)
    photometric = "rgb" if axes.endswith("S") and data.shape[-1] in (3, 4) else "minisblack"
    tifffile.imwrite(path, data, ome=True, photometric=photometric, metadata=metadata)
    return path


def _content_uuid(image: Image, metadata: dict[str, object]) -> str:
    """An OME UUID derived from the pixels and metadata, so equal images give equal files.

    tifffile would otherwise draw a random UUID, making byte-identical results impossible and
    cache keys of downstream steps change on every re-run.
    """
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(sorted(metadata.items())).encode())
    digest.update(str((image.data.dtype.str, image.data.shape)).encode())
    digest.update(np.ascontiguousarray(image.data).data)
    return f"urn:uuid:{uuid.UUID(bytes=digest.digest())}"


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]

