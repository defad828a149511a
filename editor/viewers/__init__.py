"""Qt widgets that show a node's outputs: images, labels, masks, probabilities, tables, plots."""

from lamella.editor.viewers.image_viewer import ImageViewer

__all__ = ["ImageViewer"]
