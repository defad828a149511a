"""Qt widgets that show a node's outputs: images, labels, masks, probabilities, tables, plots.

:func:`viewer_for` picks the viewer for a port type; :class:`OutputViewer` keeps one viewer
per kind and reuses it as the viewed output changes (live preview).
"""

from lamella.editor.viewers.image_viewer import ImageViewer
from lamella.editor.viewers.output_viewer import OutputViewer, viewer_class, viewer_for
from lamella.editor.viewers.plot_viewer import PlotViewer
from lamella.editor.viewers.table_viewer import TableViewer
from lamella.editor.viewers.text_viewer import TextViewer

__all__ = [
    "ImageViewer",
    "OutputViewer",
    "PlotViewer",
    "TableViewer",
    "TextViewer",
    "viewer_class",
    "viewer_for",
]
