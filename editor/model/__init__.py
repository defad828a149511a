"""The workflow being edited, without Qt: nodes, wires, parameters, layout, undo, YAML.

:class:`EditorModel` holds the workflow file's own document and emits :class:`Change` events;
the canvas and panels are views of it. Schema-version policy: optional additions to the
workflow format (``layout``, ``groups``) keep ``lamella: 1``.
"""

from lamella.editor.model._document import EditorModel
from lamella.editor.model._layout import layered_positions
from lamella.editor.model._types import (
    CHANGE_KINDS,
    INPUTS_NODE,
    Change,
    EditorProblem,
    OpenError,
    PortInfo,
)

__all__ = [
    "CHANGE_KINDS",
    "INPUTS_NODE",
    "Change",
    "EditorModel",
    "EditorProblem",
    "OpenError",
    "PortInfo",
    "layered_positions",
]
