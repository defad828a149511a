"""The editor model's state: the document, its view, history, problems and observers.

The state is the workflow document itself, a ruamel.yaml round-trip mapping, not a
validated :class:`~lamella.core.workflow.Workflow`: the editor must open, show, edit and save
back workflows the core refuses (unknown modules, bad values, broken wires) without losing a
byte of what it does not touch. Every public edit goes through :meth:`ModelCore._edit`, which
makes it one undo step and tells the observers what changed.

An opened file's round-trip document is parsed when first needed (the first edit, a copy,
the question whether it has comments): its plain data, read quickly, is all that opening
and looking at a workflow need (see :mod:`._fastread`). What the views read is derived from
that data once per document state (:class:`Summary`, the problems) and reused until the next
edit, undo, redo or revert.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from lamella.core.catalog import Catalog
from lamella.core.errors import LamellaError
from lamella.core.manifest import Manifest
from lamella.core.workflow import SCHEMA_VERSION
from lamella.editor.model._files import WorkflowText, round_trip_document
from lamella.editor.model._history import History
from lamella.editor.model._problems import find_problems
from lamella.editor.model._summary import Summary, diff, summarize
from lamella.editor.model._types import Change, EditorProblem
from lamella.editor.model._yamlio import TextFormat, plain

__all__ = ["ModelCore", "new_document"]

Observer = Callable[[Change], None]


def new_document(name: str = "untitled") -> CommentedMap:
    """The document of a new workflow: version, name and no nodes yet."""
    document = CommentedMap()
    document["lamella"] = SCHEMA_VERSION
    document["name"] = name
    document["nodes"] = CommentedMap()
    return document


class ModelCore:
    """State, observers, the edit transaction and undo/redo (see :class:`EditorModel`)."""

    path: Path | None  # the workflow file; None until a new workflow is saved
    _file_text: tuple[int, str] | None  # the file's text at one state: saved as is at that state
    _round_trip: CommentedMap | None  # the round-trip document; None until first needed
    _unparsed: str | None  # the file's text, until its round-trip document is parsed

    def __init__(self, catalog: Catalog, *, document: CommentedMap | None = None,
                 text_format: TextFormat | None = None, path: Path | None = None,
                 read: WorkflowText | None = None) -> None:
        """A model of ``document`` (a new workflow if None), or of a file just ``read``."""
        self.catalog = catalog
        self.path = path
        self._history = History()
        self._observers: list[Observer] = []
        self._manifests: dict[str, Manifest | None] = {}
        if read is None:
            document = new_document() if document is None else document
            read = WorkflowText("", plain(document), document, text_format)
        self._take_file(read)
        self._file_text = None
        # Inputs given an absolute default before the workflow had a file: made relative on save.
        self._absolute_defaults: set[str] = set()

    def _take_file(self, read: WorkflowText) -> None:
        """Hold a file just read: its data now, its round-trip document once needed."""
        self._round_trip = read.document
        self._unparsed = read.text if read.document is None else None
        self._round_trip_format = read.text_format or TextFormat()
        self._take_data(read.data)

    def _take_data(self, data: dict[str, Any]) -> None:
        self._data = data
        self._summary: Summary = summarize(data)
        self._problems: list[EditorProblem] = find_problems(data, self.catalog)

    # the round-trip document, parsed when first needed

    @property
    def _document(self) -> CommentedMap:
        return self._round_trip if self._round_trip is not None else self._parse_round_trip()

    @_document.setter
    def _document(self, document: CommentedMap) -> None:
        self._round_trip, self._unparsed = document, None

    @property
    def _format(self) -> TextFormat:
        """How the file is laid out (known once its round-trip document is parsed)."""
        if self._round_trip is None:
            self._parse_round_trip()  # parsing the text is what finds its layout
        return self._round_trip_format

    @_format.setter
    def _format(self, text_format: TextFormat) -> None:
        self._round_trip_format = text_format

    @property
    def _parsed(self) -> bool:
        """True once the round-trip document exists (always after the first edit)."""
        return self._round_trip is not None

    def _parse_round_trip(self) -> CommentedMap:
        document, text_format = round_trip_document(self.path, self._unparsed or "")
        self._round_trip, self._round_trip_format, self._unparsed = document, text_format, None
        data = plain(document)
        if data != self._data:  # not expected (the fast reading gives up where parsers differ)
            self._refresh(data, None, self.dirty)  # the views follow the document, whatever it says
        return document

    # observers

    def subscribe(self, callback: Observer) -> Callable[[], None]:
        """Call ``callback`` with every change; returns the function that unsubscribes."""
        self._observers.append(callback)
        return lambda: self._observers.remove(callback) if callback in self._observers else None

    def _emit(self, changes: list[Change]) -> None:
        # Every observer gets every change even if one fails, so no view falls behind.
        failure: Exception | None = None
        for change in changes:
            for callback in list(self._observers):
                try:
                    callback(change)
                except Exception as exc:
                    failure = failure or exc
        if failure is not None:
            raise failure

    # state

    @property
    def dirty(self) -> bool:
        """True if the document has changes the file does not hold."""
        return self._history.dirty

    def problems(self) -> list[EditorProblem]:
        """What the core's validation finds in the current document."""
        return list(self._problems)

    def manifest(self, node: str) -> Manifest | None:
        """The manifest of the node's module; None if it is not installed (a placeholder)."""
        ref = self._node_view(node).module
        if ref not in self._manifests:
            try:
                self._manifests[ref] = self.catalog.resolve(ref).manifest
            except LamellaError:
                self._manifests[ref] = None
        return self._manifests[ref]

    def _node_view(self, node: str) -> Any:
        try:
            return self._summary.nodes[node]
        except KeyError:
            raise ValueError(f"no node '{node}' in the workflow") from None

    # editing

    def _edit(self, label: str, mutate: Callable[[CommentedMap], None], *,
              renames: dict[str, str] | None = None, merge: object | None = None) -> bool:
        """Apply ``mutate`` to the document as one undo step; False if it changed nothing."""
        merging = self._history.merges(merge)
        before = None if merging else copy.deepcopy(self._document)
        try:
            mutate(self._document)
        except BaseException:
            if before is not None:
                self._document = before  # a refused edit leaves no half-change behind
            raise
        data = plain(self._document)
        if data == self._data:
            if before is not None:
                self._document = before  # drops leftovers such as an empty section
            return False
        was_dirty = self.dirty
        self._history.record(label, before, renames, merge)
        self._refresh(data, renames, was_dirty)
        return True

    def _refresh(self, data: dict[str, Any], renames: dict[str, str] | None,
                 was_dirty: bool) -> None:
        old = self._summary
        self._data, self._summary = data, summarize(data)
        changes = diff(old, self._summary, renames)
        if not old.same_content(self._summary):  # positions alone change no problem
            problems = find_problems(data, self.catalog)
            if problems != self._problems:
                self._problems = problems
                changes.append(Change("problems_changed"))
        if self.dirty != was_dirty:
            changes.append(Change("dirty_changed"))
        self._emit(changes)

    def _remember_file(self, path: Path, text: str) -> None:
        """The file at ``path`` holds ``text``, the current state: clean, and kept byte for byte."""
        self.path = path
        self._history.mark_saved()
        self._file_text = (self._history.state, text)

    def _forget_file_text(self) -> None:
        """The document no longer matches the text read (paths in it were moved)."""
        self._file_text = None

    def end_move(self) -> None:
        """End a drag: the next move is a new undo step even if it moves the same nodes."""
        self._history.close_merge()

    # undo

    def undo(self) -> None:
        """Go back one step (no-op if there is none)."""
        if not self.can_undo:
            return  # (and no round-trip document to parse for it)
        was_dirty = self.dirty
        result = self._history.undo(self._document)
        if result is not None:
            self._document, renames = result
            self._refresh(plain(self._document), renames, was_dirty)

    def redo(self) -> None:
        """Go forward one undone step (no-op if there is none)."""
        if not self.can_redo:
            return
        was_dirty = self.dirty
        result = self._history.redo(self._document)
        if result is not None:
            self._document, renames = result
            self._refresh(plain(self._document), renames, was_dirty)

    @property
    def can_undo(self) -> bool:
        """True if there is a step to undo."""
        return bool(self._history.undo_steps)

    @property
    def can_redo(self) -> bool:
        """True if there is a step to redo."""
        return bool(self._history.redo_steps)

    @property
    def undo_text(self) -> str:
        """What undo would undo, e.g. "Add node 'threshold'"; '' if nothing."""
        return self._history.text(self._history.undo_steps)

    @property
    def redo_text(self) -> str:
        """What redo would redo; '' if nothing."""
        return self._history.text(self._history.redo_steps)
