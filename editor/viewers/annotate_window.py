"""The painting window: annotate a training step's image, see the live classifier's prediction.

:class:`AnnotateWindow` paints class strokes into an :class:`Annotations` label image over
the image the training step reads. Class names are the step's ``class_names`` parameter,
changed through the editor model (undoable, saved with the workflow); colours go to a
sidecar beside the label file (:mod:`._paint_classes`). Save writes the label file the
workflow's load-labels step reads, naming and wiring it first if the workflow has none
(:mod:`._paint_workflow`). With Live on, every stroke retrains the classifier in a worker
thread (:mod:`._paint_live`) and its prediction, or its uncertainty, is drawn over the image.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QWidget

from lamella.core.sdk import Image
from lamella.editor.model import EditorModel
from lamella.editor.viewers._display import Display
from lamella.editor.viewers._paint_bank import live_bank
from lamella.editor.viewers._paint_class_list import ClassList
from lamella.editor.viewers._paint_classes import (
    AnnotationClass,
    write_sidecar,
)
from lamella.editor.viewers._paint_files import read_annotations, write_labels
from lamella.editor.viewers._paint_labels import Annotations, Region
from lamella.editor.viewers._paint_layers import class_lut, uncertainty_rgba
from lamella.editor.viewers._paint_live import LiveTrainer, PredictionPart
from lamella.editor.viewers._paint_pixels import classifier_pixels, pixel_size_of
from lamella.editor.viewers._paint_toolbar import PaintToolbar, brush_step
from lamella.editor.viewers._paint_view import PaintView
from lamella.editor.viewers._paint_window_classes import ClassesMixin
from lamella.editor.viewers._paint_workflow import ensure_labels_file, labels_source
from lamella.editor.viewers._qimage import rgb_to_qimage

__all__ = ["AnnotateWindow"]

_STROKE_OPACITY = 0.85  # strokes stay readable over the prediction and show the image a little


class AnnotateWindow(ClassesMixin, QMainWindow):
    """Paint annotations for training step ``node`` of ``model`` on ``image``."""

    def __init__(self, model: EditorModel, node: str, image: Image, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.model, self.node, self.image = model, node, image
        self.shape = _shape(image)
        self.labels_path = labels_source(model, node).path
        self._mismatched: Path | None = None  # a label file of another size: ask before replacing it
        self._startup_problem = ""
        self._colours_dirty = False
        self._erasing = False
        self.annotations = Annotations(self.shape, self._read_labels())
        self.save_workflow: Callable[[], bool] | None = None  # File ▸ Save of the editor, for a new workflow
        self.current_class = 1
        self.classes: list[AnnotationClass] = []
        self.predicted = np.zeros(self.shape, dtype=np.uint16)  # 0: not predicted yet
        self.uncertainty = np.full(self.shape, np.nan, dtype=np.float32)
        pixels, channel_axis = classifier_pixels(image)
        bank, self._bank_note = live_bank(model.manifest(node), model.params(node), image.calibration)
        self.trainer = LiveTrainer(pixels, channel_axis=channel_axis, pixel_size=pixel_size_of(image),
                                   bank=bank)
        self._build()
        self._read_classes()
        self._unsubscribe = model.subscribe(self._on_model_change)
        self._show_all()
        self.setWindowTitle(f"Annotate {image.name or 'image'} for {node}[*] — Lamella")
        self.resize(1200, 800)

    # ----- painting ---------------------------------------------------------------------
    def set_class(self, value: int) -> None:
        """Paint class ``value`` (1..K) from now on."""
        if 1 <= value <= len(self.classes):
            self.current_class = value
            self._show_classes()

    def set_brush_size(self, size: int) -> None:
        """Brush diameter in image pixels."""
        self.bar.size.setValue(size)  # the spin box clamps and tells the view

    def set_tool(self, tool: str) -> None:
        """Use 'brush', 'eraser' or 'hand'."""
        self.view.set_tool(tool)
        self.bar.tools[tool].setChecked(True)

    def undo(self) -> None:
        """Take back the last stroke."""
        self._labels_changed(self.annotations.undo())

    def redo(self) -> None:
        """Paint the last undone stroke again."""
        self._labels_changed(self.annotations.redo())

    def paint(self, points: list[tuple[int, int]], *, value: int | None = None,
              size: int | None = None) -> bool:
        """Paint one stroke through image pixels ``points`` (x, y) as the mouse would.

        ``value`` defaults to the chosen class (0 erases), ``size`` to the brush's. For
        scripts (screenshots, batch annotation); True if it changed any pixel.
        """
        value = self.current_class if value is None else value
        size = self.view.brush_size if size is None else size
        self._show_strokes(self.annotations.begin(*points[0], size, value))
        for x, y in points[1:]:
            self._show_strokes(self.annotations.extend(x, y, size, value))
        changed = self.annotations.end()
        if changed:
            self._labels_changed(None)
        return changed

    def _begin(self, x: int, y: int, erase: bool) -> None:
        value = 0 if erase else self.current_class
        self._erasing = erase
        self._show_strokes(self.annotations.begin(x, y, self.view.brush_size, value))

    def _extend(self, x: int, y: int) -> None:
        value = 0 if self._erasing else self.current_class
        self._show_strokes(self.annotations.extend(x, y, self.view.brush_size, value))

    def _end(self) -> None:
        if self.annotations.end():
            self._labels_changed(None)

    def _labels_changed(self, region: Region | None) -> None:
        """After a stroke, an undo or a redo: redraw, recount, retrain."""
        if int(self.annotations.labels.max(initial=0)) > len(self.classes):
            self._read_classes()  # an undone removal brought a class's strokes back
            self._show_all()
        if region is not None:
            self._show_strokes(region)
        self._show_classes()
        self._update_actions()
        self.retrain()

    # ----- live training ------------------------------------------------------------------
    def retrain(self) -> bool:
        """Train on the strokes now (when Live is on and two classes are painted)."""
        if not self.bar.live.isChecked():
            return False
        if len(self.annotations.counts()) < 2:
            self.say("paint at least two classes to train the classifier")
            return False
        scale = self.view.zoom() * self.view.devicePixelRatioF()  # screen pixels per image pixel
        self.trainer.request(self.annotations.labels, self.view.visible_region(), scale)
        return True

    def _features_changed(self) -> None:
        """The step's feature parameters changed: the live classifier follows (features anew)."""
        bank, note = live_bank(self.model.manifest(self.node), self.model.params(self.node),
                               self.image.calibration)
        self.trainer.set_bank(bank)
        if note:
            self.say(note, problem=True)
        self.retrain()

    def _on_predicted(self, part: object) -> None:
        assert isinstance(part, PredictionPart)
        if not self.trainer.is_current(part.generation):
            return  # strokes made since: a newer training is on its way
        self.predicted[part.region] = part.classes
        self.uncertainty[part.region] = part.uncertainty
        self._show_prediction(part.region)

    def _on_failed(self, generation: int, text: str) -> None:
        if self.trainer.is_current(generation):
            self.say(f"training failed: {text}", problem=True)

    # ----- saving -------------------------------------------------------------------------
    def save(self) -> bool:
        """Write the label file (and the colours' sidecar); name and wire it if it is new."""
        if self.model.path is None and self.save_workflow is not None and not self.save_workflow():
            self.say("the annotations are saved beside the workflow: save the workflow first", problem=True)
            return False
        try:
            path = ensure_labels_file(self.model, self.node)
        except ValueError as exc:
            self.say(str(exc), problem=True)
            return False
        if path == self._mismatched and not self.confirm(
                f"{path.name} holds annotations of another image size. Replace them?"):
            return False
        try:
            write_labels(path, self.annotations.labels, self.image.calibration)
            write_sidecar(path, self.classes)
        except OSError as exc:
            self.say(f"{path}: could not be written ({exc.strerror or exc}); check the folder", problem=True)
            return False
        self.labels_path, self._mismatched, self._colours_dirty = path, None, False
        self.annotations.mark_saved()
        counts = self.annotations.counts()
        unpainted = [c.name for value, c in enumerate(self.classes, start=1) if value not in counts]
        self.say(f"saved {sum(counts.values()):,} painted pixels to {path.name}"
                 + ("; save the workflow to keep where it reads them" if self.model.dirty else "")
                 + (f"; '{unpainted[0]}' has no strokes: training needs strokes of every class "
                    "(paint it or remove it)" if unpainted else ""), problem=bool(unpainted))
        self._update_actions()
        return True

    @property
    def dirty(self) -> bool:
        """True if strokes or colours are not saved."""
        return self.annotations.dirty or self._colours_dirty

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question (tests replace this)."""
        answer = QMessageBox.question(self, "Annotations", question)
        return answer == QMessageBox.StandardButton.Yes

    def ask_unsaved(self) -> QMessageBox.StandardButton:
        """Save, Discard or Cancel for unsaved strokes when closing (tests replace this)."""
        buttons = QMessageBox.StandardButton
        return QMessageBox.question(self, "Unsaved annotations", "Save the annotations before closing?",
                                    buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Offer to save unsaved strokes; stop the training thread."""
        if self.dirty:
            answer = self.ask_unsaved()
            if answer == QMessageBox.StandardButton.Cancel or (
                    answer == QMessageBox.StandardButton.Save and not self.save()):
                event.ignore()
                return
        self.trainer.close()
        self._unsubscribe()
        event.accept()

    # ----- showing ------------------------------------------------------------------------
    def say(self, text: str, *, problem: bool = False) -> None:
        """One line in the status bar (red for a problem)."""
        self.status.setText(text)
        self.status.setStyleSheet("color: #d32f2f;" if problem else "")

    def message(self) -> str:
        """The status line."""
        return self.status.text()

    def show_overlay(self, what: str) -> None:
        """Show 'prediction', 'uncertainty' or 'none' over the image."""
        if what not in ("prediction", "uncertainty", "none"):
            raise ValueError(f"'{what}' is not 'prediction', 'uncertainty' or 'none'")
        self.bar.prediction.setChecked(what == "prediction")
        self.bar.uncertainty.setChecked(what == "uncertainty")
        self._show_prediction(None)

    def _show_all(self) -> None:
        self._show_strokes(None)
        self._show_prediction(None)
        self._show_classes()

    def _lut(self) -> np.ndarray:
        return class_lut([c.rgb() for c in self.classes], size=max(256, len(self.classes) + 1))

    def _show_strokes(self, region: Region | None) -> None:
        if self.view.strokes is not None:
            self.view.strokes.show_values(self.annotations.labels, self._lut(), region)

    def _show_prediction(self, region: Region | None) -> None:
        layer = self.view.prediction
        assert layer is not None
        where = region or (slice(None), slice(None))
        if self.bar.uncertainty.isChecked():
            layer.show_rgba(uncertainty_rgba(self.uncertainty[where], len(self.classes)), region)
        elif self.bar.prediction.isChecked():
            layer.show_values(self.predicted, self._lut(), region)
        else:
            layer.clear()
        layer.setOpacity(self.bar.opacity.value() / 100)

    def _show_classes(self) -> None:
        self.class_list.show_classes(self.classes, self.annotations.counts(), self.current_class)

    def _update_actions(self) -> None:
        self.bar.undo.setEnabled(self.annotations.can_undo)
        self.bar.redo.setEnabled(self.annotations.can_redo)
        self.setWindowModified(self.dirty)

    def _hover(self, point: QPointF) -> None:
        x, y = math.floor(point.x()), math.floor(point.y())
        self.hover.setText(self.hover_text(x, y))

    def hover_text(self, x: int, y: int) -> str:
        """The line shown for pixel (x, y): painted class, predicted class and its certainty."""
        height, width = self.shape
        if not (0 <= x < width and 0 <= y < height):
            return ""
        parts = [f"x {x}, y {y}"]
        painted, predicted = int(self.annotations.labels[y, x]), int(self.predicted[y, x])
        if painted:
            parts.append(f"painted {self._name(painted)}")
        if predicted:
            parts.append(f"predicted {self._name(predicted)} "
                         f"(uncertainty {float(self.uncertainty[y, x]):.2f})")
        return " · ".join(parts)

    def _name(self, value: int) -> str:
        return self.classes[value - 1].name if value <= len(self.classes) else f"class {value}"

    # ----- building -----------------------------------------------------------------------
    def _read_labels(self) -> np.ndarray | None:
        if self.labels_path is None:
            return None
        labels, problem = read_annotations(self.labels_path, self.shape)
        if problem:
            self._mismatched, self._startup_problem = self.labels_path, problem
        return labels

    def _build(self) -> None:
        self.bar = PaintToolbar(self)
        self.view = PaintView(self)
        self.setCentralWidget(self.view)
        display = Display()
        display.set_image(self.image)
        rgb = display.rgb()
        assert rgb is not None
        self.view.set_picture(rgb_to_qimage(rgb))
        assert self.view.strokes is not None
        self.view.strokes.setOpacity(_STROKE_OPACITY)
        self.class_list = ClassList(self)
        dock = QDockWidget("Classes", self)
        dock.setObjectName("dock-classes")
        dock.setWidget(self.class_list)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.status, self.hover = QLabel(self), QLabel(self)
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().addPermanentWidget(self.hover)
        self._connect()
        problem = self._startup_problem or self._bank_note
        self.say(problem, problem=bool(problem))
        self._update_actions()

    def _connect(self) -> None:
        bar, view = self.bar, self.view
        view.stroke_begun.connect(self._begin)
        view.stroke_moved.connect(self._extend)
        view.stroke_ended.connect(self._end)
        view.hovered_at.connect(self._hover)
        for tool, action in bar.tools.items():
            action.triggered.connect(lambda checked=False, tool=tool: self.set_tool(tool))
        bar.size.valueChanged.connect(view.set_brush_size)
        bar.smaller.triggered.connect(lambda: self.set_brush_size(brush_step(bar.size.value(), False)))
        bar.larger.triggered.connect(lambda: self.set_brush_size(brush_step(bar.size.value(), True)))
        bar.undo.triggered.connect(self.undo)
        bar.redo.triggered.connect(self.redo)
        bar.fit.triggered.connect(view.fit)
        bar.actual.triggered.connect(view.actual_size)
        assert view.strokes is not None  # made with the picture, in _build
        bar.strokes.toggled.connect(view.strokes.setVisible)
        bar.live.toggled.connect(lambda on: on and self.retrain())
        bar.prediction.toggled.connect(lambda on: self._show_prediction(None))
        bar.uncertainty.toggled.connect(lambda on: self._show_prediction(None))
        bar.opacity.valueChanged.connect(lambda value: self._prediction_opacity(value / 100))
        bar.save.triggered.connect(self.save)
        self.class_list.chosen.connect(self.set_class)
        self.class_list.add_requested.connect(self.add_class)
        self.class_list.rename_requested.connect(self.rename_class)
        self.class_list.recolour_requested.connect(self.recolour_class)
        self.class_list.remove_requested.connect(self.remove_class)
        for value in range(1, 10):
            key = QShortcut(QKeySequence(str(value)), self)
            key.activated.connect(lambda value=value: self.set_class(value))
        self.trainer.predicted.connect(self._on_predicted)
        self.trainer.status.connect(self.say)
        self.trainer.failed.connect(self._on_failed)

    def _prediction_opacity(self, value: float) -> None:
        if self.view.prediction is not None:
            self.view.prediction.setOpacity(value)


def _shape(image: Image) -> tuple[int, int]:
    """(rows, columns) of the plane painted on; ValueError for an image without them."""
    plane = Display()
    plane.set_image(image)
    shape = plane.shape()
    if shape is None:
        raise ValueError(f"{image.name or 'the image'} has no rows and columns to paint on")
    return shape
