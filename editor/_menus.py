"""Menu actions of the editor window."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtGui, QtWidgets

__all__ = ["add_action"]


def add_action(menu: QtWidgets.QMenu, text: str, keys: QtGui.QKeySequence.StandardKey,
               slot: Callable[[], object]) -> QtGui.QAction:
    """A menu entry with the platform's standard shortcut, calling ``slot`` with no argument.

    The shortcuts work anywhere in the window (the canvas has the focus most of the time),
    except inside a text field, whose own shortcut (Delete, Ctrl+Z) wins there.
    """
    action = menu.addAction(text)
    action.setShortcut(QtGui.QKeySequence(keys))
    action.triggered.connect(lambda checked=False: slot())
    return action
