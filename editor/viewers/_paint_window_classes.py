"""The painting window's classes: names in the training step's ``class_names``, colours.

A mixin of :class:`~lamella.editor.viewers.annotate_window.AnnotateWindow`, kept apart so
each file stays small; it reads and writes the window's ``classes`` and shows them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lamella.editor.model import Change, EditorModel
from lamella.editor.viewers._paint_classes import (
    AnnotationClass,
    check_class_name,
    class_names_text,
    merge_classes,
    parse_class_names,
    read_sidecar,
)
from lamella.editor.viewers._paint_labels import Annotations, Region
from lamella.editor.viewers._paint_toolbar import PaintToolbar
from lamella.editor.viewers._paint_workflow import CLASS_NAMES, labels_source

__all__ = ["FEATURE_PARAMS", "ClassesMixin"]

FEATURE_PARAMS = ("features", "groups", "scales")  # the training step's, that the live features follow


class ClassesMixin:
    """Adding, renaming and recolouring classes; following the model's class_names."""

    model: EditorModel
    node: str
    classes: list[AnnotationClass]
    current_class: int
    annotations: Annotations
    predicted: np.ndarray
    labels_path: Path | None
    bar: PaintToolbar
    _colours_dirty: bool

    def say(self, text: str, *, problem: bool = False) -> None:  # the window's
        raise NotImplementedError

    def set_class(self, value: int) -> None:  # the window's
        raise NotImplementedError

    def _show_all(self) -> None:  # the window's
        raise NotImplementedError

    def _features_changed(self) -> None:  # the window's
        raise NotImplementedError

    def _labels_changed(self, region: Region | None) -> None:  # the window's
        raise NotImplementedError

    def confirm(self, question: str) -> bool:  # the window's
        raise NotImplementedError

    def add_class(self, name: str | None = None) -> int:
        """Add a class (named ``class k`` unless given); its value."""
        names = [c.name for c in self.classes]
        name = name or next(f"class {k}" for k in range(len(names) + 1, 2 * len(names) + 3)
                            if f"class {k}" not in names)
        try:
            names.append(check_class_name(name, names))
        except ValueError as exc:
            self.say(str(exc), problem=True)
            return 0
        self.classes.append(AnnotationClass(names[-1], merge_classes(names, {}, 0)[-1].colour))
        self._write_names(names)
        self.set_class(len(self.classes))
        return len(self.classes)

    def rename_class(self, value: int, name: str) -> bool:
        """Rename class ``value``; False (and why in the status bar) if the name cannot be used."""
        names = [c.name for c in self.classes]
        try:
            names[value - 1] = check_class_name(name, names[: value - 1] + names[value:])
        except (ValueError, IndexError) as exc:
            self.say(str(exc), problem=True)
            return False
        self.classes[value - 1] = AnnotationClass(names[value - 1], self.classes[value - 1].colour)
        self._write_names(names)
        return True

    def remove_class(self, value: int) -> bool:
        """Remove class ``value``: its strokes are erased, the classes above move down one.

        A class with strokes is removed only if :meth:`confirm` says so. Ctrl+Z in the
        painter brings the strokes back; Edit ▸ Undo in the editor the name.
        """
        if not 1 <= value <= len(self.classes):
            return False
        name = self.classes[value - 1].name
        if len(self.classes) <= 2:
            self.say(f"the classifier needs two classes; rename '{name}' instead", problem=True)
            return False
        painted = self.annotations.counts().get(value, 0)
        if painted and not self.confirm(f"Remove class '{name}' and erase its {painted:,} painted pixels?"):
            return False
        labels = self.annotations.labels
        renumbered = np.where(labels > value, labels - 1, labels).astype(labels.dtype)
        renumbered[labels == value] = 0
        region = self.annotations.replace(renumbered)
        del self.classes[value - 1]
        self.current_class = min(self.current_class, len(self.classes))
        self.predicted[...] = 0  # in the old numbering: cleared until the retraining
        self._write_names([c.name for c in self.classes])
        self._labels_changed(region)
        return True

    def recolour_class(self, value: int, colour: str) -> None:
        """Draw class ``value`` in ``colour`` ('#rrggbb'); kept in the sidecar when saved."""
        self.classes[value - 1] = AnnotationClass(self.classes[value - 1].name, colour.lower())
        self._colours_dirty = True
        self._show_all()

    def _write_names(self, names: list[str]) -> None:
        manifest = self.model.manifest(self.node)
        if manifest is not None and CLASS_NAMES in manifest.parameters:
            self.model.set_param(self.node, CLASS_NAMES, class_names_text(names))  # one undo step
        self._colours_dirty = True
        self._show_all()

    def _read_classes(self) -> None:
        """Names from the step's class_names (its default when unset), colours from the sidecar."""
        manifest = self.model.manifest(self.node)
        spec = manifest.parameters.get(CLASS_NAMES) if manifest is not None else None
        text = self.model.params(self.node).get(CLASS_NAMES, getattr(spec, "default", None))
        colours = read_sidecar(self.labels_path) if self.labels_path is not None else {}
        known = {i: c for i, c in enumerate(self.classes, start=1)}
        self.classes = merge_classes(parse_class_names(text), {**colours, **known},
                                     int(self.annotations.labels.max(initial=0)))
        self.current_class = min(self.current_class, len(self.classes))
        self._colours_dirty = False

    def _on_model_change(self, change: Change) -> None:
        if change.kind == "node_renamed" and change.detail.get("old") == self.node:
            self.node = str(change.detail.get("new"))
        elif change.kind == "node_removed" and change.node == self.node:
            self.say(f"the training step {self.node} was removed from the workflow; "
                     "its annotations can no longer be saved", problem=True)
            self.bar.save.setEnabled(False)
        elif (change.kind in ("wire_added", "wire_removed", "inputs_changed", "reset")
              and self.node in self.model.node_ids()):  # an undo of the wiring Save made, say
            self.labels_path = labels_source(self.model, self.node).path or self.labels_path
        if change.kind in ("param_changed", "reset") and self.node in self.model.node_ids():
            names = [c.name for c in self.classes]
            self._read_classes()
            if [c.name for c in self.classes] != names:  # an undo in the editor, say
                self._show_all()
            if change.kind == "reset" or change.detail.get("name") in FEATURE_PARAMS:
                self._features_changed()
