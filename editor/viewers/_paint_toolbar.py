"""The painting window's toolbar: tools, brush size, undo, zoom, live training, what to show, save.

Holds no painting state: the window connects its actions and keeps the controls in step.
Keys: B brush, E eraser, H hand, [ and ] brush size, S strokes, P prediction, U uncertainty,
L live, Ctrl+Z / Ctrl+Shift+Z undo and redo a stroke, Ctrl+S save.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QSlider, QSpinBox, QToolBar

from lamella.editor.viewers._paint_labels import MAX_BRUSH

__all__ = ["PaintToolbar", "brush_step"]


def brush_step(size: int, larger: bool) -> int:
    """The next brush size up or down: steps of 1 to 10 px, 5 to 50 px, then 10."""
    below = size if larger else size - 1  # the step that leads away from this size
    step = 1 if below < 10 else 5 if below < 50 else 10
    return max(1, min(MAX_BRUSH, size + step if larger else size - step))


class PaintToolbar:
    """The actions and controls, added to ``window``'s top toolbar."""

    def __init__(self, window: QMainWindow) -> None:
        bar = QToolBar("Painting", window)
        bar.setObjectName("toolbar-painting")
        window.addToolBar(bar)
        self.bar, self._window = bar, window
        self.tools: dict[str, QAction] = {}
        group = QActionGroup(bar)
        for tool, text, key, tip in (
                ("brush", "Brush", "B", "Paint the chosen class (left button); the right button erases"),
                ("eraser", "Eraser", "E", "Erase painted pixels of any class"),
                ("hand", "Hand", "H", "Drag to pan (the middle button pans with any tool)")):
            action = self._action(text, key, tip, checkable=True)
            group.addAction(action)
            self.tools[tool] = action
        self.tools["brush"].setChecked(True)
        bar.addWidget(QLabel(" Size ", bar))
        self.size = QSpinBox(bar)
        self.size.setRange(1, MAX_BRUSH)
        self.size.setValue(5)
        self.size.setSuffix(" px")
        self.size.setToolTip("Brush diameter in image pixels ([ smaller, ] larger)")
        bar.addWidget(self.size)
        self.smaller = self._action("Smaller brush", "[", "Make the brush smaller", shown=False)
        self.larger = self._action("Larger brush", "]", "Make the brush larger", shown=False)
        bar.addSeparator()
        self.undo = self._action("Undo stroke", QKeySequence.StandardKey.Undo, "Take back the last stroke")
        self.redo = self._action("Redo stroke", QKeySequence.StandardKey.Redo,
                                 "Paint the undone stroke again")
        bar.addSeparator()
        self.fit = self._action("Fit", "F", "Zoom so the whole image fits")
        self.actual = self._action("1:1", "1", "One image pixel per screen pixel", shortcut=False)
        bar.addSeparator()
        self.strokes = self._action("Strokes", "S", "Show the painted strokes", checkable=True)
        self.strokes.setChecked(True)
        self.live = self._action("Live", "L", "Retrain the classifier after each stroke", checkable=True)
        self.live.setChecked(True)
        self.prediction = self._action("Prediction", "P", "Show the classifier's classes over the image",
                                       checkable=True)
        self.prediction.setChecked(True)
        self.uncertainty = self._action(
            "Uncertainty", "U", "Show where the classifier is unsure (1 - highest class probability): "
            "paint there next", checkable=True)
        shown = QActionGroup(bar)  # one of them or neither
        shown.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        shown.addAction(self.prediction)
        shown.addAction(self.uncertainty)
        bar.addWidget(QLabel(" Opacity ", bar))
        self.opacity = QSlider(Qt.Orientation.Horizontal, bar)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(45)
        self.opacity.setMaximumWidth(120)
        self.opacity.setToolTip("Opacity of the prediction or uncertainty over the image")
        bar.addWidget(self.opacity)
        bar.addSeparator()
        self.save = self._action("Save", QKeySequence.StandardKey.Save,
                                 "Save the annotations as the label file the training step reads")

    def _action(self, text: str, key: str | QKeySequence.StandardKey, tip: str, *, checkable: bool = False,
                shown: bool = True, shortcut: bool = True) -> QAction:
        action = QAction(text, self.bar)
        sequence = QKeySequence(key)
        if shortcut:
            action.setShortcut(sequence)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(f"{tip} ({sequence.toString()})" if shortcut else tip)
        action.setCheckable(checkable)
        if shown:
            self.bar.addAction(action)
        else:
            self._window.addAction(action)  # a key without a button
        return action
