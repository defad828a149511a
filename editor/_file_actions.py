"""File menu: new, open, open recent, save, save as, and the unsaved-changes prompt."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtGui, QtWidgets

from lamella.editor._menus import add_action
from lamella.editor.model import EditorModel, OpenError

if TYPE_CHECKING:
    from lamella.editor.window import EditorWindow

__all__ = ["MAX_RECENT", "FileActions"]

MAX_RECENT = 10
_RECENT_KEY = "recent_files"
_FILTER = "Lamella workflows (*.yaml *.yml);;All files (*)"


class FileActions:
    """The File menu of ``window``; dialogs can be answered in tests through ``ask``."""

    def __init__(self, window: EditorWindow) -> None:
        self.window = window
        menu = window.menuBar().addMenu("&File")
        self.new = add_action(menu, "&New", QtGui.QKeySequence.StandardKey.New, self.new_workflow)
        self.open = add_action(menu, "&Open…", QtGui.QKeySequence.StandardKey.Open, self.open_dialog)
        self.recent_menu = menu.addMenu("Open &recent")
        self.save = add_action(menu, "&Save", QtGui.QKeySequence.StandardKey.Save, self.save_file)
        self.save_as = add_action(menu, "Save &as…", QtGui.QKeySequence.StandardKey.SaveAs,
                                    self.save_file_as)
        menu.addSeparator()
        add_action(menu, "&Quit", QtGui.QKeySequence.StandardKey.Quit, window.close)
        self._fill_recent()

    # ----- documents ---------------------------------------------------------------------
    def new_workflow(self) -> None:
        """Start an empty workflow (after asking about unsaved changes)."""
        if self.may_discard():
            self.window.set_model(EditorModel(self.window.model.catalog))

    def open_dialog(self) -> None:
        """Ask for a workflow file and open it."""
        if not self.may_discard():
            return
        start = str(self.window.model.path.parent) if self.window.model.path else str(Path.cwd())
        chosen, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, "Open workflow", start, _FILTER)
        if chosen:
            self.open_path(Path(chosen), asked=True)

    def open_path(self, path: Path, *, asked: bool = False) -> bool:
        """Open ``path``: problems are listed; a file that is not YAML at all opens as text."""
        if not asked and not self.may_discard():
            return False
        try:
            model = EditorModel.open(path, self.window.model.catalog)
        except OpenError as exc:
            self.window.say(f"{path}: {exc.message}")
            _show_text(self.window, path, exc.text, exc.message)
            return False
        self.window.set_model(model)
        self.remember(path)
        count = len(model.problems())
        self.window.say(f"opened {path}" + (f" ({count} problem{'s' * (count != 1)})" if count else ""))
        return True

    def save_file(self) -> bool:
        """Save to the document's file (asks for one if it has none)."""
        if self.window.model.path is None:
            return self.save_file_as()
        return self._save(self.window.model.path)

    def save_file_as(self) -> bool:
        """Ask for a file name and save there."""
        start = str(self.window.model.path or Path.cwd() / "workflow.yaml")
        chosen, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Save workflow", start, _FILTER)
        return self._save(Path(chosen)) if chosen else False

    def _save(self, path: Path) -> bool:
        try:
            saved = self.window.model.save(path)
        except OSError as exc:
            self.window.say(f"could not save {path}: {exc.strerror or exc}; choose another place")
            return False
        self.remember(saved)
        kept = " (its comments are kept)" if self.window.model.has_comments() else ""
        self.window.say(f"saved {saved}{kept}")
        return True

    # ----- unsaved changes -----------------------------------------------------------------
    def may_discard(self) -> bool:
        """True if the document may be replaced: saved, or the user said so."""
        if not self.window.model.dirty:
            return True
        answer = self.ask()
        if answer == QtWidgets.QMessageBox.StandardButton.Save:
            return self.save_file()
        return answer == QtWidgets.QMessageBox.StandardButton.Discard

    def ask(self) -> QtWidgets.QMessageBox.StandardButton:
        """Ask Save / Discard / Cancel (replaced in tests)."""
        buttons = (QtWidgets.QMessageBox.StandardButton.Save | QtWidgets.QMessageBox.StandardButton.Discard
                   | QtWidgets.QMessageBox.StandardButton.Cancel)
        name = self.window.model.path.name if self.window.model.path else "the new workflow"
        return QtWidgets.QMessageBox.question(self.window, "Unsaved changes",
                                              f"Save the changes to {name}?", buttons)

    # ----- recent files ------------------------------------------------------------------
    def recent(self) -> list[Path]:
        """Recently opened or saved workflows, newest first (files that still exist)."""
        stored = self.window.settings.value(_RECENT_KEY, []) or []
        paths = [Path(p) for p in (stored if isinstance(stored, list) else [stored])]
        return [p for p in paths if p.is_file()]

    def remember(self, path: Path) -> None:
        """Put ``path`` first in the recent files."""
        paths = [path.resolve(), *[p for p in self.recent() if p != path.resolve()]][:MAX_RECENT]
        self.window.settings.setValue(_RECENT_KEY, [str(p) for p in paths])
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent():
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda checked=False, p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(self.recent_menu.actions()))


def _show_text(window: QtWidgets.QWidget, path: Path, text: str, problem: str) -> None:
    """A file that cannot be read as a workflow, shown as text beside what is wrong with it."""
    dialog = QtWidgets.QDialog(window)
    dialog.setWindowTitle(f"{path.name} cannot be opened as a workflow")
    layout = QtWidgets.QVBoxLayout(dialog)
    message = QtWidgets.QLabel(problem)
    message.setWordWrap(True)
    view = QtWidgets.QPlainTextEdit(text)
    view.setReadOnly(True)
    layout.addWidget(message)
    layout.addWidget(view)
    dialog.setObjectName("open-as-text")
    dialog.resize(700, 500)
    dialog.show()
