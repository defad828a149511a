"""The editor model: the workflow being edited, opened from and saved to its YAML file."""

from __future__ import annotations

from pathlib import Path

from lamella.core.catalog import Catalog
from lamella.editor.model._clipboard import ClipboardMixin
from lamella.editor.model._doc import mapping_at
from lamella.editor.model._files import (
    moves_defaults,
    read_workflow_file,
    rebase_defaults,
    write_atomically,
)
from lamella.editor.model._history import History
from lamella.editor.model._sections import relative_default
from lamella.editor.model._types import Change
from lamella.editor.model._yamlio import plain, write_document, yaml_value

__all__ = ["EditorModel"]


class EditorModel(ClipboardMixin):
    """The workflow being edited: nodes, wires, parameters, layout and groups, with undo.

    The YAML file is the source of truth. The model holds the file's own round-trip document
    (comments, key order, quoting and flow style kept) and may hold a workflow the core
    refuses: a module that is not installed, a value out of range, a missing wire. It opens
    such files, lists their :meth:`problems`, and saves them back without losing anything.
    Saving a file opened and left unchanged writes the same bytes.

    Views read it and call its edit methods; each edit is one undo step and reaches every
    :meth:`subscribe`-d callback as :class:`Change` events. Node ids are the file's own, never
    a canvas library's.

    Schema-version policy: files stay ``lamella: 1`` while additions are optional sections a
    reader may ignore (``layout``, ``groups``); the editor writes no other version.
    """

    @classmethod
    def open(cls, path: str | Path, catalog: Catalog) -> EditorModel:
        """Open a workflow file for editing, valid or not.

        Raises :class:`OpenError` (with the file's text) only if the text is not YAML, not a
        mapping, or refused by the runner's loader (YAML tags); every other problem is listed
        by :meth:`problems`.
        """
        path = Path(path)
        read = read_workflow_file(path)
        model = cls(catalog, read=read, path=path)
        model._remember_file(path, read.text)
        return model

    def revert(self) -> None:
        """Read the file again, dropping unsaved changes and the undo history ("reset")."""
        path: Path | None = self.path
        if path is None:
            raise ValueError("the workflow has no file to read again")
        was_dirty = self.dirty
        read = read_workflow_file(path)
        self._history = History()
        self._take_file(read)
        self._remember_file(path, read.text)
        self._emit([Change("reset")] + ([Change("dirty_changed")] if was_dirty else []))

    def text(self) -> str:
        """The YAML text :meth:`save` would write now."""
        if self._file_text is not None and self._file_text[0] == self._history.state:
            return self._file_text[1]
        return write_document(self._document, self._format)

    def save(self, path: str | Path | None = None) -> Path:
        """Write the workflow (atomically) to ``path`` or its own file; returns the path.

        Comments and key order of an opened file are kept, positions go to ``layout``, input
        defaults are written relative to the file (and moved along on a save to another
        folder). Marks the model clean.
        """
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("the workflow has no file yet; save it under a name first")
        was_dirty = self.dirty
        self._place_defaults(target)
        text = self.text()
        write_atomically(target, text)
        self._remember_file(target, text)
        if was_dirty:
            self._emit([Change("dirty_changed")])
        return target

    def _place_defaults(self, target: Path) -> None:
        """Input defaults relative to ``target``'s folder: relative ones moved, new ones made so."""
        old_folder = self.path.resolve().parent if self.path else None
        new_folder = target.resolve().parent
        moves = old_folder is not None and old_folder != new_folder and moves_defaults(
            self._data, old_folder, new_folder)
        if not self._parsed and not moves:
            return  # nothing to move, and no edit made an absolute default: the text stays as read
        documents = [self._document, *(step.document for step in self._history.snapshots())]
        changed = False
        for document in documents:
            if old_folder is not None and old_folder != new_folder:
                changed |= rebase_defaults(document, old_folder, new_folder) and document is self._document
            changed |= self._relative_absolute_defaults(document, target) and document is self._document
        self._absolute_defaults.clear()
        if changed:
            self._forget_file_text()
            self._refresh(plain(self._document), None, self.dirty)

    def _relative_absolute_defaults(self, document: object, target: Path) -> bool:
        changed = False
        for name in self._absolute_defaults:
            spec = mapping_at(mapping_at(document, "inputs"), name)
            default = None if spec is None else spec.get("default")
            if spec is not None and isinstance(default, str) and Path(default).is_absolute():
                spec["default"] = yaml_value(relative_default(default, target))
                changed = True
        return changed
