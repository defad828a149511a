"""Edit menu: undo, redo, copy, paste, delete, select all, auto-layout (all through the model)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtGui, QtWidgets

from lamella.editor._menus import add_action

if TYPE_CHECKING:
    from lamella.editor.window import EditorWindow

__all__ = ["EditActions"]


class EditActions:
    """The Edit menu of ``window``; every action is one model call (one undo step)."""

    def __init__(self, window: EditorWindow) -> None:
        self.window = window
        menu = window.menuBar().addMenu("&Edit")
        keys = QtGui.QKeySequence.StandardKey
        self.undo = add_action(menu, "&Undo", keys.Undo, lambda: window.model.undo())
        self.redo = add_action(menu, "&Redo", keys.Redo, lambda: window.model.redo())
        menu.addSeparator()
        self.copy = add_action(menu, "&Copy", keys.Copy, self.copy_selection)
        self.paste = add_action(menu, "&Paste", keys.Paste, self.paste_clipboard)
        self.delete = add_action(menu, "&Delete", keys.Delete, self.delete_selection)
        self.select_all = add_action(menu, "Select &all", keys.SelectAll, self.select_everything)
        menu.addSeparator()
        self.add_input = menu.addAction("Add workflow &input (image)")
        self.add_input.triggered.connect(lambda checked=False: self.add_image_input())
        self.group = menu.addAction("&Group selected steps…")
        self.group.triggered.connect(lambda checked=False: self._ask_group())
        self.layout = menu.addAction("Auto-&layout")
        self.layout.triggered.connect(lambda checked=False: window.model.auto_layout())
        self.fit = menu.addAction("&Fit all steps in view")
        self.fit.setShortcut(QtGui.QKeySequence("Ctrl+0"))
        self.fit.triggered.connect(lambda checked=False: window.canvas.fit())

    def update(self) -> None:
        """Enable and name undo/redo after each change."""
        model = self.window.model
        self.undo.setEnabled(model.can_undo)
        self.redo.setEnabled(model.can_redo)
        self.undo.setText(f"&Undo {model.undo_text}" if model.can_undo else "&Undo")
        self.redo.setText(f"&Redo {model.redo_text}" if model.can_redo else "&Redo")

    def copy_selection(self) -> None:
        """Copy the selected steps (with the wires between them) as workflow YAML."""
        nodes = self.window.canvas.selected()
        if not nodes:
            return
        text = self.window.model.copy(nodes)
        # Plain text (the steps' YAML): a QMimeData handed to the clipboard from Python is
        # freed twice when the application exits (a crash at exit with PySide6 6.11).
        QtWidgets.QApplication.clipboard().setText(text)

    def paste_clipboard(self) -> None:
        """Paste steps copied before (from this or another editor window)."""
        text = QtWidgets.QApplication.clipboard().text()
        if not text.strip():
            return
        try:
            pasted = self.window.model.paste(text)
        except ValueError as exc:
            self.window.say(f"cannot paste: {exc}")
            return
        self.window.canvas.select(pasted)

    def delete_selection(self) -> None:
        """Delete the selected steps and their wires."""
        nodes = self.window.canvas.selected()
        if nodes:
            self.window.model.remove_nodes(nodes)

    def add_image_input(self) -> str:
        """Declare a workflow input for an image (image, image_2...): wire it to a loader."""
        taken = set(self.window.model.workflow_inputs())
        name = "image" if "image" not in taken else next(
            f"image_{n}" for n in range(2, len(taken) + 3) if f"image_{n}" not in taken)
        self.window.model.set_workflow_input(name, "image")
        return name

    def group_selection(self, name: str, note: str = "") -> bool:
        """Put the selected steps in a group (a backdrop with a note, saved in the workflow)."""
        nodes = self.window.canvas.selected()
        if not nodes:
            self.window.say("select the steps to group first")
            return False
        try:
            self.window.model.add_group(name, nodes, note=note)
        except ValueError as exc:
            self.window.say(f"cannot group: {exc}")
            return False
        return True

    def _ask_group(self) -> None:
        name, ok = QtWidgets.QInputDialog.getText(self.window, "Group steps", "Group name:")
        if ok and name.strip():
            note, _ = QtWidgets.QInputDialog.getText(self.window, "Group steps", "Note (optional):")
            self.group_selection(name.strip(), note)

    def select_everything(self) -> None:
        """Select every step on the canvas."""
        self.window.canvas.select(self.window.model.node_ids())
