"""What the image viewer shows, without Qt: plane, display range, overlay, and the RGB result.

Each step keeps its result (the contrast-mapped base, the coloured overlay), so a change
recomputes only what depends on it: an opacity change re-blends, a contrast change re-maps
the base but keeps the overlay colours.
"""

from __future__ import annotations

import numpy as np

from lamella.core.sdk import Image
from lamella.editor.viewers._colours import ColouredOverlay, blend, colour_overlay, grey_to_rgb
from lamella.editor.viewers._contrast import auto_range, full_range, to_uint8
from lamella.editor.viewers._overlay_input import checked_overlay
from lamella.editor.viewers._planes import plane_of, rows_columns

__all__ = ["Display"]


class Display:
    """The image viewer's state; every setter returns a one-line problem or ''."""

    def __init__(self) -> None:
        self.image: Image | None = None
        self.position: dict[str, int] = {}
        self.plane: np.ndarray | None = None
        self.range: tuple[float, float] | None = None  # None: the pixel type's default
        self.auto = False
        self.overlay: np.ndarray | None = None
        self.kind: str | None = None
        self.overlay_class = 0
        self.opacity = 0.5
        self._base: np.ndarray | None = None
        self._coloured: ColouredOverlay | None = None

    # ----- changes ----------------------------------------------------------------------
    def set_image(self, image: Image | None) -> str:
        """Show ``image``, keeping the user's plane and range for a re-run of the same output.

        A new image of the same pixel type and axes as the one shown (the same node re-run
        for a preview) keeps the plane and a display range the user chose; otherwise 16-bit
        and float start with auto contrast and 8-bit at 0..255.
        """
        old, self.image = self.image, image
        same_kind = (old is not None and image is not None and old.axes == image.axes
                     and old.data.dtype == image.data.dtype)
        if not same_kind:
            self.position, self.range = {}, None
            self.auto = image is not None and image.data.dtype not in (np.uint8, np.bool_)
        size = None if image is None else rows_columns(image.axes, image.data.shape)
        if size is not None and self.overlay is not None and self.overlay.shape[-2:] != size:
            self.overlay = self._coloured = self.kind = None  # made from another image
        return self._choose_plane()

    def set_plane(self, axis: str, index: int) -> str:
        """Show position ``index`` on an extra axis (``'C'``, ``'Z'``, ``'T'``)."""
        self.position[axis] = index
        return self._choose_plane()

    def set_range(self, low: float, high: float) -> str:
        """Show ``low`` black and ``high`` white (auto contrast off)."""
        self.auto, self.range = False, (float(low), float(high))
        self._map_contrast()
        return ""

    def set_auto(self) -> str:
        """Stretch the 0.5th..99.5th percentile of the plane to black..white."""
        self.auto = True
        self._map_contrast()
        return ""

    def set_overlay(self, values: np.ndarray | None, kind: str, opacity: float) -> str:
        """Draw ``values`` of ``kind`` at ``opacity``; None removes the overlay."""
        self.overlay, self.kind, self.overlay_class, self.opacity = None, None, 0, opacity
        problem = ""
        if values is not None:
            shape = None if self.plane is None else self.plane.shape
            self.overlay, problem = checked_overlay(values, kind, shape)
            self.kind = kind if self.overlay is not None else None
        self._colour_overlay()
        return problem

    def set_class(self, index: int) -> str:
        """Show the probability of class ``index`` (a class-first 3-D probability overlay)."""
        self.overlay_class = max(0, index)
        self._colour_overlay()
        return ""

    def set_opacity(self, value: float) -> str:
        """Overlay opacity, clipped to 0..1."""
        self.opacity = min(1.0, max(0.0, float(value)))
        return ""

    # ----- results ----------------------------------------------------------------------
    def shape(self) -> tuple[int, int] | None:
        """(rows, columns) shown, or None when there is nothing to show."""
        if self.plane is not None:
            return self.plane.shape[0], self.plane.shape[1]
        if self.overlay is not None:
            return self.overlay.shape[-2], self.overlay.shape[-1]
        return None

    def classes(self) -> int:
        """Classes of a 3-D probability overlay (1 for any other overlay)."""
        return self.overlay.shape[0] if self.overlay is not None and self.overlay.ndim == 3 else 1

    def overlay_plane(self) -> np.ndarray | None:
        """The 2-D overlay shown (the chosen class of probabilities)."""
        if self.overlay is None:
            return None
        return self.overlay[self.overlay_class] if self.overlay.ndim == 3 else self.overlay

    def rgb(self) -> np.ndarray | None:
        """(H, W, 3) uint8 of the picture (black under an overlay shown alone), or None."""
        shape = self.shape()
        if shape is None:
            return None
        base = self._base if self._base is not None else np.zeros((*shape, 3), dtype=np.uint8)
        return base if self._coloured is None else blend(base, self._coloured, self.opacity)

    # ----- steps ------------------------------------------------------------------------
    def _choose_plane(self) -> str:
        self.plane, problem = None, ""
        if self.image is not None:
            try:
                plane = plane_of(self.image.data, self.image.axes, self.position)
            except ValueError as exc:
                problem = f"{self.image.name or 'image'}: {exc}"
            else:
                self.plane = plane[:, :, :3] if plane.ndim == 3 else plane  # RGBA: alpha unused
        self._map_contrast()
        return problem

    def _map_contrast(self) -> None:
        self._base = None
        if self.plane is not None:
            if self.auto or self.range is None:
                self.range = (auto_range if self.auto else full_range)(self.plane)
            self._base = grey_to_rgb(to_uint8(self.plane, *self.range))

    def _colour_overlay(self) -> None:
        plane = self.overlay_plane()
        self._coloured = None if plane is None or self.kind is None else colour_overlay(plane, self.kind)
