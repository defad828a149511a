"""Show a json, model or other file output as read-only text: its path and first 200 kB."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

__all__ = ["TEXT_LIMIT", "TextViewer"]

TEXT_LIMIT = 200_000  # bytes: enough for any JSON summary; a model file is not read whole
_BINARY_PROBE = 8192  # a NUL byte in the first 8 kB marks a binary file (as git and grep do)


class TextViewer(QWidget):
    """The file's path and size above its text; binary files are described, not dumped."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path_label = QLabel(self)
        self.path_label.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.message_label = QLabel(self)
        self.message_label.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.path_label)
        layout.addWidget(self.message_label)
        layout.addWidget(self.text, 1)

    def set_file(self, path: Path) -> None:
        """Show ``path``; a missing or unreadable file shows why, in one line."""
        path = Path(path)
        self.text.clear()
        try:
            size = path.stat().st_size
            with path.open("rb") as handle:
                head = handle.read(TEXT_LIMIT)
        except OSError as exc:
            self.path_label.setText(str(path))
            self.show_message(f"{path}: cannot be read ({exc.strerror or exc})")
            return
        self.path_label.setText(f"{path}  ({_size(size)})")
        if b"\0" in head[:_BINARY_PROBE]:
            self.show_message(f"{path.name} is a binary file ({_size(size)}); it is not shown as text")
            return
        self.show_message("" if size <= TEXT_LIMIT else
                      f"showing the first {_size(TEXT_LIMIT)} of {_size(size)}")
        # A cut may fall inside a UTF-8 character: replace it rather than fail on it.
        self.text.setPlainText(head.decode("utf-8", errors="replace"))

    def message(self) -> str:
        """The one-line note or problem shown ('' for a whole text file)."""
        return self.message_label.text()

    def show_message(self, text: str) -> None:
        """Show a one-line note or problem above the content (or clear it with '')."""
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))


def _size(count: int) -> str:
    """``'512 bytes'``, ``'200 kB'``, ``'3.1 MB'`` (decimal units, as file managers show)."""
    if count < 1000:
        return f"{count} bytes"
    if count < 1_000_000:
        return f"{count / 1000:.4g} kB"
    return f"{count / 1_000_000:.4g} MB"
