"""The problems panel: what the validator says about the workflow, one row per problem."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PySide6 import QtCore, QtWidgets

__all__ = ["ProblemsPanel"]


class _Problem(Protocol):
    @property
    def node(self) -> str | None: ...
    @property
    def field(self) -> str | None: ...
    @property
    def message(self) -> str: ...


class ProblemsPanel(QtWidgets.QListWidget):
    """Lists problems; activating one asks the window to select its node and field."""

    chosen = QtCore.Signal(str, str)  # node id ("" if none), field ("" if none)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.itemActivated.connect(self._choose)
        self.itemClicked.connect(self._choose)

    def show_problems(self, problems: Sequence[_Problem]) -> None:
        """Replace the list (an empty list shows that the workflow is valid)."""
        self.clear()
        if not problems:
            item = QtWidgets.QListWidgetItem("No problems: the workflow is valid.")
            item.setFlags(QtCore.Qt.ItemFlag.NoItemFlags)
            self.addItem(item)
            return
        for problem in problems:
            where = ", ".join(part for part in (problem.node and f"node '{problem.node}'",
                                                problem.field and f"'{problem.field}'") if part)
            item = QtWidgets.QListWidgetItem(f"{where}: {problem.message}" if where else problem.message)
            item.setData(QtCore.Qt.ItemDataRole.UserRole, (problem.node or "", problem.field or ""))
            item.setToolTip(problem.message)
            self.addItem(item)

    def count_problems(self) -> int:
        """How many problems are listed."""
        return sum(1 for i in range(self.count())
                   if self.item(i).data(QtCore.Qt.ItemDataRole.UserRole) is not None)

    def _choose(self, item: QtWidgets.QListWidgetItem) -> None:
        where = item.data(QtCore.Qt.ItemDataRole.UserRole)
        if where is not None:
            self.chosen.emit(*where)
