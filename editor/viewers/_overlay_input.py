"""Check an overlay array against the image it is drawn on, before any colouring."""

from __future__ import annotations

import numpy as np

from lamella.core.errors import InputFileError
from lamella.core.sdk import as_label_array
from lamella.editor.viewers._colours import OVERLAY_KINDS

__all__ = ["checked_overlay"]


def checked_overlay(values: np.ndarray, kind: str,
                    image_shape: tuple[int, ...] | None) -> tuple[np.ndarray | None, str]:
    """``(values ready to colour, '')``, or ``(None, one-line problem)``.

    Labels must be whole numbers >= 0 (a float label file is converted when it holds whole
    numbers); probabilities may be 3-D with the class axis first; every overlay must have the
    image's rows and columns.
    """
    values = np.asarray(values)
    if kind not in OVERLAY_KINDS:
        return None, f"overlay kind '{kind}' is not one of {', '.join(OVERLAY_KINDS)}"
    if values.ndim != 2 and not (kind == "probabilities" and values.ndim == 3):
        return None, f"the {kind} overlay has {values.ndim} dimensions; it must be a 2-D picture"
    if image_shape is not None and values.shape[-2:] != image_shape[:2]:
        height, width = values.shape[-2:]
        return None, (f"the {kind} overlay is {width} x {height} px but the image is "
                      f"{image_shape[1]} x {image_shape[0]} px; show the {kind} made from this image")
    if kind != "labels":
        return values, ""
    try:
        return as_label_array(values, f"the {kind} overlay"), ""
    except InputFileError as exc:
        return None, str(exc)
