"""The Lamella desktop node editor: a Qt window over an editor model of the workflow.

``lamella.editor.model`` holds the workflow being edited (nodes, wires, parameters, layout,
groups) with undo, change events and YAML round trips; it imports no Qt. Everything else
(canvas, palette, panels, viewers) is a view of it.
"""
