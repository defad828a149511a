"""The node canvas: NodeGraphQt showing the editor model, and user gestures sent back to it."""

from lamella.editor.canvas._canvas import INPUTS, MODULE_MIME, Canvas, LamellaNode, module_mime
from lamella.editor.canvas._quick_add import QuickAdd
from lamella.editor.canvas._style import PORT_COLOURS, STATE_COLOURS, legend, port_colour

__all__ = ["INPUTS", "MODULE_MIME", "PORT_COLOURS", "STATE_COLOURS", "Canvas", "LamellaNode",
           "QuickAdd", "legend", "module_mime", "port_colour"]
