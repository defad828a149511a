"""The input bar: which image (or folder of images) the workflow runs on, chosen in the window."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

__all__ = ["IMAGE_PATTERNS", "InputBar", "folder_images"]

IMAGE_PATTERNS = ("*.tif", "*.tiff", "*.png", "*.jpg", "*.jpeg", "*.bmp")


def folder_images(folder: Path) -> list[Path]:
    """The image files directly in ``folder``, sorted by name."""
    found = {p for pattern in IMAGE_PATTERNS for p in folder.glob(pattern) if p.is_file()}
    found |= {p for pattern in IMAGE_PATTERNS for p in folder.glob(pattern.upper()) if p.is_file()}
    return sorted(found)


class InputBar(QtWidgets.QWidget):
    """Image or folder for the workflow's image input; for a folder, the image previews use."""

    changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self.label = QtWidgets.QLabel("Input: the workflow's default")
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview_image = QtWidgets.QComboBox()
        self.preview_image.setToolTip("The image of the folder that previews are computed on")
        self.preview_image.hide()
        pick_file = QtWidgets.QPushButton("Image…")
        pick_folder = QtWidgets.QPushButton("Folder…")
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        for widget in (self.label, self.preview_image, pick_file, pick_folder):
            layout.addWidget(widget)
        layout.addStretch(1)
        pick_file.clicked.connect(self._pick_file)
        pick_folder.clicked.connect(self._pick_folder)
        self.preview_image.currentIndexChanged.connect(lambda _: self.changed.emit())

    @property
    def is_folder(self) -> bool:
        """True when the run is a batch over a folder."""
        return self.path is not None and self.path.is_dir()

    def preview_path(self) -> Path | None:
        """The one image previews run on: the chosen file, or the chosen image of the folder."""
        if self.path is None or not self.is_folder:
            return self.path
        data = self.preview_image.currentData()
        return Path(data) if data else None

    def set_path(self, path: Path | None) -> None:
        """Use ``path`` (an image file or a folder of images; None: the workflow's default)."""
        self.path = Path(path) if path is not None else None
        self.preview_image.blockSignals(True)
        self.preview_image.clear()
        if self.is_folder:
            assert self.path is not None
            images = folder_images(self.path)
            for image in images:
                self.preview_image.addItem(image.name, str(image))
            self.label.setText(f"Input: folder {self.path} ({len(images)} images); preview on")
        elif self.path is not None:
            self.label.setText(f"Input: {self.path}")
        else:
            self.label.setText("Input: the workflow's default")
        self.preview_image.setVisible(self.is_folder)
        self.preview_image.blockSignals(False)
        self.changed.emit()

    def _pick_file(self) -> None:
        chosen, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Image to analyse", str(self.path or Path.cwd()),
            f"Images ({' '.join(IMAGE_PATTERNS)});;All files (*)")
        if chosen:
            self.set_path(Path(chosen))

    def _pick_folder(self) -> None:
        chosen = QtWidgets.QFileDialog.getExistingDirectory(self, "Folder of images",
                                                            str(self.path or Path.cwd()))
        if chosen:
            self.set_path(Path(chosen))
