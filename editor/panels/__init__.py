"""Qt side panels of the editor window: properties, palette, problems, log."""
