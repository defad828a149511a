"""Colours of the canvas: one per port type (with the legend's wording), per category, per run state."""

from __future__ import annotations

from lamella.core.ports import PORT_TYPES, parse_port_type

__all__ = ["CATEGORY_COLOURS", "PORT_COLOURS", "STATE_COLOURS", "category_colour", "port_colour"]

RGB = tuple[int, int, int]

# Chosen to stay apart for the common kinds of colour blindness: image vs labels vs mask
# differ in lightness as well as hue.
PORT_COLOURS: dict[str, RGB] = {
    "image": (150, 160, 175),
    "labels": (230, 140, 40),
    "mask": (245, 245, 245),
    "probabilities": (170, 110, 220),
    "table": (70, 180, 110),
    "plot": (235, 205, 60),
    "model": (215, 70, 70),
    "json": (60, 190, 210),
    "file": (115, 115, 115),
}

# One per category of lamella.core.manifest.CATEGORIES; dark, so white titles stay readable.
CATEGORY_COLOURS: dict[str, RGB] = {
    "Input": (45, 80, 120),
    "Preprocessing": (50, 95, 95),
    "Segmentation": (95, 70, 45),
    "Postprocessing": (90, 80, 50),
    "Measurement": (45, 95, 60),
    "Visualisation": (100, 90, 40),
    "Machine learning": (100, 55, 95),
    "Synthetic data": (70, 70, 100),
}
_OTHER: RGB = (60, 64, 70)
MISSING: RGB = (110, 40, 40)  # a node whose module is not installed
WORKFLOW_INPUT: RGB = (35, 60, 100)

# Border colours of a node during a run, from its events.
STATE_COLOURS: dict[str, RGB] = {
    "queued": (120, 120, 120),
    "running": (70, 150, 255),
    "done": (60, 200, 90),
    "cached": (40, 150, 150),
    "failed": (235, 60, 60),
    "skipped": (150, 110, 60),
    "cancelled": (190, 150, 60),
    "problem": (235, 60, 60),
}


def port_colour(port_type: str) -> RGB:
    """The colour of a port of ``port_type`` (a list form takes its element's colour)."""
    parsed = parse_port_type(port_type)
    return PORT_COLOURS.get(parsed[0] if parsed else "file", PORT_COLOURS["file"])


def category_colour(category: str) -> RGB:
    """The colour of a module category's nodes."""
    return CATEGORY_COLOURS.get(category, _OTHER)


def legend() -> list[tuple[str, RGB, str]]:
    """(port type, colour, what it carries) for the window's legend."""
    return [(name, PORT_COLOURS[name], PORT_TYPES[name].meaning) for name in PORT_COLOURS
            if name in PORT_TYPES]
