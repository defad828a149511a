"""Run ▸ Backend ▸ Docker…: the Docker hosts, GPUs and memory limit runs in containers get.

Every field is checked as ``lamella run --docker-host/--gpus/--memory-limit`` checks it;
a wrong value keeps the dialog open with the runner's one-line reason under the fields.
Empty fields mean what the command line's defaults mean: this machine's engine, no GPUs,
each module's own memory limit.
"""

from __future__ import annotations

import re

from PySide6 import QtWidgets

from lamella.editor._runs import BackendChoice
from lamella.runner._arguments import ArgumentError

__all__ = ["DockerDialog", "split_hosts"]

# The fields as the dialog names them in its messages, by the runner's argument name.
_LABELS = {"docker_hosts": "Docker hosts", "gpus": "GPUs", "memory_limit": "Memory limit"}


def split_hosts(text: str) -> list[str]:
    """Host addresses from text that lists them on lines or separated by commas."""
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


class DockerDialog(QtWidgets.QDialog):
    """Asks where containers run; :attr:`choice` is the checked answer once accepted."""

    def __init__(self, current: BackendChoice, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run in Docker containers")
        self.choice: BackendChoice | None = None
        self.hosts = QtWidgets.QPlainTextEdit("\n".join(current.docker_hosts))
        self.hosts.setPlaceholderText("this machine's engine\n(or e.g. tcp://gpu-box:2376, ssh://user@host)")
        self.hosts.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.gpus = QtWidgets.QLineEdit(",".join(current.gpus or ()))
        self.gpus.setPlaceholderText("none (or e.g. 0,1, device=2, all)")
        self.memory = QtWidgets.QLineEdit("" if current.memory_limit is None else str(current.memory_limit))
        self.memory.setPlaceholderText("the modules' own (or e.g. 4GB)")
        self.error = QtWidgets.QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b")
        self.error.hide()
        self.buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                                  | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QtWidgets.QFormLayout()
        form.addRow("Docker &hosts:", self.hosts)
        form.addRow("&GPUs:", self.gpus)
        form.addRow("&Memory limit:", self.memory)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)

    def accept(self) -> None:
        """Close with the choice if every field is right; else say what is wrong and stay."""
        try:
            self.choice = BackendChoice.checked(
                "docker", split_hosts(self.hosts.toPlainText()), self.gpus.text().strip() or None,
                self.memory.text().strip() or None)
        except ArgumentError as exc:
            self._refuse(exc)
            return
        super().accept()

    def _refuse(self, error: ArgumentError) -> None:
        # Worded as the command line words it, the field's name for the option's.
        self.error.setText(error.as_option(_LABELS.get(error.argument, error.argument)))
        self.error.show()
        fields = {"docker_hosts": self.hosts, "gpus": self.gpus, "memory_limit": self.memory}
        field = fields.get(error.argument)
        if field is not None:
            field.setFocus()
