"""The common part of every parameter field: value in and out, 'auto' and 'not set', edit timing.

A field shows one parameter's value and reports the user's edits through ``edited``; it never
reports a value it was given with :meth:`ParamField.set_value`. Numbers report on two paths: at
once when an edit is finished (Enter, leaving the field, a choice made) and, for live preview,
``LIVE_EDIT_DELAY_MS`` after the last step while the user holds an arrow or turns the wheel.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QWidget

from lamella.core.manifest import ParamSpec
from lamella.core.manifest._params import AUTO

__all__ = ["LIVE_EDIT_DELAY_MS", "ParamField", "same_value"]

# Long enough that holding an arrow key sends one preview per pause, not one per step; short
# enough that the preview follows the hand (the issue asks for an answer within 1-2 s).
LIVE_EDIT_DELAY_MS = 300


def same_value(a: Any, b: Any) -> bool:
    """Equal and of the same type: 1, 1.0 and True are three different parameter values."""
    return type(a) is type(b) and a == b


class ParamField(QWidget):
    """One parameter's editor; subclasses build the widget and convert values.

    Subclasses implement :meth:`_build_editor`, :meth:`_show` and :meth:`_read`, and call
    :meth:`_commit` when an edit is finished or :meth:`_schedule` while it goes on.
    """

    edited = Signal(object)
    _loading: bool  # True while the panel sets a value: nothing is reported

    def __init__(self, name: str, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.spec = spec
        self._loading = False
        self._last: Any = object()  # nothing reported yet: the first real value differs
        self._unshown = False
        self._timer = QTimer(self, singleShot=True, interval=LIVE_EDIT_DELAY_MS)
        self._timer.timeout.connect(self._commit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.editor = self._build_editor()
        layout.addWidget(self.editor, 1)
        self.auto_box = self._toggle("auto", "Let the module choose the value from the data "
                                     "(the value it chose is in the log and the run record).",
                                     enabled=getattr(spec, "auto", False))
        self.empty_box = self._toggle("not set", "Leave the value empty (null); the description "
                                      "says what the module does then.",
                                      enabled=spec.nullable and self._needs_empty_box())
        for box in self.toggles():
            layout.addWidget(box)

    # ----- for subclasses -------------------------------------------------------------------
    # Every field kind defines these three (the kinds are in _fields_*.py). They are not
    # abc.abstractmethods: with PySide6 6.11 a QWidget class under ABCMeta is instantiated even
    # with abstract methods left (Shiboken creates the object), so the check would never run;
    # a kind that forgets one fails when its first field is built, with this message.
    def _build_editor(self) -> QWidget:
        """The widget that shows and edits the value (a spin box, a drop-down...)."""
        raise NotImplementedError(f"{type(self).__name__} must define _build_editor")

    def _show(self, value: Any) -> None:
        """Put a value that is neither 'auto' nor null into the editor; raise if it can't."""
        raise NotImplementedError(f"{type(self).__name__} must define _show")

    def _read(self) -> Any:
        """The editor's value, in the type the manifest expects."""
        raise NotImplementedError(f"{type(self).__name__} must define _read")

    def _needs_empty_box(self) -> bool:
        """Whether null needs a 'not set' box (an empty text or a choice can say it itself)."""
        return True

    def focus_widget(self) -> QWidget:
        """The widget that takes the keyboard focus when the field is focused."""
        return self.editor

    # ----- value in and out -----------------------------------------------------------------
    def set_value(self, value: Any) -> bool:
        """Show ``value`` without reporting it; False if the editor cannot show it."""
        self._timer.stop()
        with self._quietly():
            self._set_toggles(auto=value == AUTO and self.auto_box is not None,
                              empty=value is None and self.empty_box is not None)
            shown = True
            if not self._special_checked():
                try:
                    self._show(value)
                except (TypeError, ValueError, OverflowError):
                    shown = False
            self._sync_enabled()
        # A value the editor cannot show ('abc' for a number) stays in the workflow until the
        # user changes what the editor does show: leaving the field is not an edit.
        self._last = value if shown else self.value()
        self._unshown = not shown
        return shown

    def holds(self, value: Any) -> bool:
        """Whether ``value`` is what the field last showed or reported.

        The workflow then has not changed under the field: the field keeps whatever the user
        is doing in it (unfinished typing, a step waiting for the pause).
        """
        return not self._unshown and same_value(value, self._last)

    def value(self) -> Any:
        """The value the field holds now: 'auto', None or the editor's value."""
        if self.auto_box is not None and self.auto_box.isChecked():
            return AUTO
        if self.empty_box is not None and self.empty_box.isChecked():
            return None
        return self._read()

    def _special_checked(self) -> bool:
        return any(box is not None and box.isChecked() for box in (self.auto_box, self.empty_box))

    # ----- reporting edits ------------------------------------------------------------------
    @property
    def quiet(self) -> bool:
        """True while the panel, not the user, changes the widgets: nothing is reported."""
        return self._loading

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        was, self._loading = self._loading, True
        try:
            yield
        finally:
            self._loading = was

    def _schedule(self) -> None:
        """An edit in progress: report it once the user pauses."""
        if not self._loading:
            self._timer.start()

    def flush(self) -> None:
        """Report a stepped value still waiting for the pause (before the field goes away)."""
        if self._timer.isActive():
            self._commit()

    def _commit(self) -> None:
        """An edit is finished: report the value if it changed since last shown or reported."""
        self._timer.stop()
        if self._loading:
            return
        value = self.value()
        if not same_value(value, self._last):
            self._last, self._unshown = value, False
            self.edited.emit(value)

    # ----- 'auto' and 'not set' -------------------------------------------------------------
    def toggles(self) -> list[QCheckBox]:
        """The 'auto' and 'not set' boxes this parameter has."""
        return [box for box in (self.auto_box, self.empty_box) if box is not None]

    def _toggle(self, text: str, tip: str, *, enabled: bool) -> QCheckBox | None:
        if not enabled:
            return None
        box = QCheckBox(text, self)
        box.setToolTip(tip)
        box.toggled.connect(lambda on, b=box: self._toggled(b, on))
        return box

    def _toggled(self, box: QCheckBox, on: bool) -> None:
        if self._loading:
            return
        # 'auto' and 'not set' exclude each other: a value is one or the other.
        other = self.empty_box if box is self.auto_box else self.auto_box
        if on and other is not None and other.isChecked():
            with self._quietly():
                other.setChecked(False)
        self._sync_enabled()
        self._commit()

    def _set_toggles(self, *, auto: bool, empty: bool) -> None:
        if self.auto_box is not None:
            self.auto_box.setChecked(auto)
        if self.empty_box is not None:
            self.empty_box.setChecked(empty)

    def _sync_enabled(self) -> None:
        # A number under 'auto' or 'not set' is not used: greyed out, it cannot be mistaken
        # for the value the module runs with.
        self.editor.setEnabled(not self._special_checked())
