"""Reading and writing the painted label image.

The file is an OME-TIFF of one plane, uint8 (uint16 above 255 classes), with the painted
image's pixel size, written under a temporary name in the same folder and then moved over
the old file: a crash mid-write never leaves a half-written label file for a run to read.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from lamella.core.sdk import Calibration, Image, as_label_array, read_image, write_image

__all__ = ["read_annotations", "write_labels"]


def read_annotations(path: Path, shape: tuple[int, int]) -> tuple[np.ndarray | None, str]:
    """``(labels, '')`` from the label file at ``path``, or ``(None, why not)``.

    A missing file is simply no annotations yet (``(None, '')``). Labels taller than the
    image by its cut SEM data bar are cut as load-labels cuts them (``like`` connected).
    """
    if not path.exists():
        return None, ""
    try:
        data = read_image(path).data
        labels = as_label_array(np.squeeze(data), f"annotations {path.name}")
    except Exception as exc:  # a damaged file is said in one line; the painter starts empty
        return None, f"{path.name} could not be read ({str(exc).splitlines()[0][:160]}); starting empty"
    if labels.ndim != 2:
        return None, f"{path.name} is not one plane ({labels.ndim} dimensions); starting empty"
    rows, columns = labels.shape
    if columns == shape[1] and rows > shape[0]:
        labels = labels[: shape[0]]
    if labels.shape != shape:
        return None, (f"{path.name} is {columns} x {rows} px but the image is {shape[1]} x {shape[0]} px; "
                      "starting empty (saving replaces the file)")
    return labels, ""


def write_labels(path: Path, labels: np.ndarray, calibration: Calibration | None = None) -> Path:
    """Write ``labels`` (0 unlabelled, 1..K) to ``path`` atomically; returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dtype = np.uint8 if int(labels.max(initial=0)) <= np.iinfo(np.uint8).max else np.uint16
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".part.tif")
    os.close(handle)
    try:
        write_image(temporary, Image(labels.astype(dtype), "YX", calibration, path.name))
        os.chmod(temporary, _mode(path))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _mode(path: Path) -> int:
    """The old file's permissions, or the usual ones for the user's umask (not mkstemp's 0600)."""
    if path.exists():
        return path.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
