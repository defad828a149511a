"""Read images from the files users have, and pass images between modules as OME-TIFF.

Between modules every image is an OME-TIFF that carries its axes and pixel size, so
calibration survives any chain of modules, in any backend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile

from lamella.core.errors import InputFileError
from lamella.core.sdk._image import Image
from lamella.core.sdk._tiff_calibration import read_calibration

__all__ = ["TIFF_SUFFIXES", "read_image", "write_image"]

TIFF_SUFFIXES = (".tif", ".tiff", ".btf", ".tf8")
_PILLOW_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
_OME_UNITS = {"um": "µm", "A": "Å"}


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
    raise InputFileError(
        f"{path}: '{path.suffix}' images are not supported; use TIFF, OME-TIFF, PNG or JPEG"
    )


def _read_tiff(path: Path) -> Image:
    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            data = series.asarray()
            axes = series.axes
            calibration = read_calibration(tif)
    except Exception as exc:  # tifffile raises many types for damaged files
        raise InputFileError(
            f"{path}: not a readable TIFF ({_short(exc)}); the file is truncated or corrupt, "
            "re-export it from the microscope software or Fiji"
        ) from None
    data, axes = _drop_singleton_axes(data, axes)
    return Image(data, axes, calibration, name=path.name)


def _read_with_pillow(path: Path) -> Image:
    # Pillow is imported here only: the SDK itself needs it only for PNG/JPEG files.
    from PIL import Image as PILImage, UnidentifiedImageError

    try:
        with PILImage.open(path) as handle:
            handle.load()
            if handle.mode == "P":
                data = np.asarray(handle)  # palette images: the grey index, not the colours
            elif handle.mode in ("RGBA", "LA"):
                data = np.asarray(handle.convert("RGB" if handle.mode == "RGBA" else "L"))
            else:
                data = np.asarray(handle)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise InputFileError(
            f"{path}: not a readable {path.suffix.lstrip('.').upper()} image ({_short(exc)}); "
            "the file is truncated or corrupt"
        ) from None
    axes = "YXS" if data.ndim == 3 else "YX"
    return Image(np.ascontiguousarray(data), axes, None, name=path.name)


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
    metadata: dict[str, object] = {"axes": image.axes}
    if image.calibration is not None:
        cal = image.calibration
        unit = _OME_UNITS.get(cal.unit, cal.unit)
        metadata.update(PhysicalSizeX=cal.x, PhysicalSizeXUnit=unit,
                        PhysicalSizeY=cal.y, PhysicalSizeYUnit=unit)
        if cal.z is not None and "Z" in image.axes:
            metadata.update(PhysicalSizeZ=cal.z, PhysicalSizeZUnit=unit)
    photometric = "rgb" if image.axes.endswith("S") and image.data.shape[-1] in (3, 4) else "minisblack"
    tifffile.imwrite(path, image.data, ome=True, photometric=photometric, metadata=metadata)
    return path


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]

