"""The module palette: every module by category, a search field, drag onto the canvas to add."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from lamella.editor._choices import ModuleChoice, search
from lamella.editor.canvas import module_mime

__all__ = ["ModuleTree", "Palette"]

_REF = QtCore.Qt.ItemDataRole.UserRole


class ModuleTree(QtWidgets.QTreeWidget):
    """The palette's tree; dragging a module starts a drag that carries its reference."""

    def __init__(self) -> None:
        super().__init__()
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QtWidgets.QAbstractItemView.DragDropMode.DragOnly)

    def mimeData(self, items: list[QtWidgets.QTreeWidgetItem]) -> QtCore.QMimeData:  # type: ignore[override]
        """The drag data: the first dragged module's reference."""
        refs = [item.data(0, _REF) for item in items if item.data(0, _REF)]
        return module_mime(refs[0]) if refs else QtCore.QMimeData()


class Palette(QtWidgets.QWidget):
    """A searchable tree of modules grouped by category (user module folders included)."""

    activated = QtCore.Signal(str)  # double click or Enter: add this module

    def __init__(self, choices: list[ModuleChoice], parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._choices = choices
        self.field = QtWidgets.QLineEdit(placeholderText="Search modules")
        self.field.setClearButtonEnabled(True)
        self.tree = ModuleTree()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.field)
        layout.addWidget(self.tree)
        self.field.textChanged.connect(self.filter)
        self.tree.itemActivated.connect(self._activate)
        self.filter("")

    def set_choices(self, choices: list[ModuleChoice]) -> None:
        """Show another set of modules (module folders were added)."""
        self._choices = choices
        self.filter(self.field.text())

    def filter(self, text: str) -> None:
        """Show the modules matching ``text``, every category open while searching."""
        self.tree.clear()
        groups: dict[str, QtWidgets.QTreeWidgetItem] = {}
        for choice in sorted(search(self._choices, text), key=lambda c: (c.category, c.name.lower())):
            group = groups.get(choice.category)
            if group is None:
                group = groups[choice.category] = QtWidgets.QTreeWidgetItem([choice.category])
                group.setFlags(group.flags() & ~QtCore.Qt.ItemFlag.ItemIsDragEnabled)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                self.tree.addTopLevelItem(group)
            item = QtWidgets.QTreeWidgetItem([choice.name])
            item.setData(0, _REF, choice.ref)
            origin = "" if choice.origin == "built-in" else f"\nfrom {choice.origin}"
            item.setToolTip(0, f"{choice.ref}\n{choice.description}{origin}")
            group.addChild(item)
        self.tree.expandAll()

    def items(self) -> dict[str, QtWidgets.QTreeWidgetItem]:
        """Shown module items by reference (for tests and keyboard use)."""
        found = {}
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            if group is None:
                continue
            for j in range(group.childCount()):
                found[group.child(j).data(0, _REF)] = group.child(j)
        return found

    def _activate(self, item: QtWidgets.QTreeWidgetItem) -> None:
        ref = item.data(0, _REF)
        if ref:
            self.activated.emit(ref)

