"""Port types: the closed set of data kinds that flow along a wire, and which wires are legal.

Data always travels as files (see the runtime contract), so a port type fixes the file format
as well as the meaning. A list form, ``list[image]``, carries several files of one type.

The compatibility table is explicit: a wire ``source -> destination`` is legal only if it is
listed (or both ends have the same type). Refused pairs that users try often carry a reason
telling them which step to add.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "PORT_TYPES",
    "PortType",
    "connection_problem",
    "is_port_type",
    "parse_port_type",
]


@dataclass(frozen=True)
class PortType:
    """A port type: its name, what it means, and the file format that carries it."""

    name: str
    meaning: str
    file_format: str


PORT_TYPES: dict[str, PortType] = {
    t.name: t
    for t in [
        PortType("image", "grey or colour pixels with axes and pixel size", "OME-TIFF"),
        PortType("labels", "integer instance or class labels, 0 = background", "OME-TIFF, integer"),
        PortType("mask", "binary foreground/background", "OME-TIFF, uint8 0/255"),
        PortType("probabilities", "per-class probabilities 0..1 (channel axis first)", "OME-TIFF, float32"),
        PortType("table", "one row per object or item", "CSV with a header row"),
        PortType("plot", "a figure", "PNG, with an SVG beside it"),
        PortType("model", "a trained model artifact", "module-defined file"),
        PortType("json", "structured values", "JSON"),
        PortType("file", "any file", "any"),
    ]
}

# Legal wires between different types: source -> destinations that accept it.
_WIDENINGS: dict[str, frozenset[str]] = {
    "labels": frozenset({"mask"}),          # every non-zero label is foreground
    "probabilities": frozenset({"image"}),  # a probability map is a float image
}

# Why common refused wires are refused, and what to do instead.
_REFUSAL_HINTS: dict[tuple[str, str], str] = {
    ("mask", "labels"): "a mask has no separate objects; add a 'watershed' or 'load-labels' "
    "step to label it",
    ("image", "labels"): "an image holds intensities, not object ids; segment it first "
    "(e.g. 'threshold' then 'watershed')",
    ("image", "mask"): "an image holds intensities, not foreground; add a 'threshold' step",
    ("labels", "image"): "labels hold object ids, not intensities; wire the original image",
    ("mask", "image"): "a mask holds foreground flags, not intensities; wire the original image",
    ("table", "image"): "a table cannot be shown as an image; use a plot module",
    ("image", "table"): "a table of numbers comes from a 'measure' step; segment and measure first",
    ("mask", "table"): "a table of numbers comes from a 'measure' step; label the mask and measure it",
    ("labels", "table"): "a table of numbers comes from a 'measure' step; add one after the labels",
    ("table", "plot"): "a plot comes from a plot module (e.g. 'histogram'); add one after the table",
}


def is_port_type(name: str) -> bool:
    """Return True if ``name`` is a port type or the list form of one."""
    return parse_port_type(name) is not None


def parse_port_type(name: str) -> tuple[str, bool] | None:
    """Split ``'list[image]'`` into ``('image', True)``; None if not a port type."""
    is_list = name.startswith("list[") and name.endswith("]")
    base = name[5:-1] if is_list else name
    return (base, is_list) if base in PORT_TYPES else None


def connection_problem(source: str, destination: str) -> str | None:
    """Say why a wire from a ``source`` port type to a ``destination`` type is refused.

    Returns None when the wire is legal.
    """
    src, dst = parse_port_type(source), parse_port_type(destination)
    if src is None or dst is None:
        unknown = source if src is None else destination
        return f"'{unknown}' is not a port type (known: {', '.join(PORT_TYPES)})"
    (src_base, src_list), (dst_base, dst_list) = src, dst
    if src_list != dst_list:
        return f"cannot connect {source} to {destination}: one end is a list, the other is not"
    if src_base == dst_base or dst_base == "file" or dst_base in _WIDENINGS.get(src_base, ()):
        return None
    hint = _REFUSAL_HINTS.get((src_base, dst_base)) or (
        f"this input takes {PORT_TYPES[dst_base].meaning}; the wire brings "
        f"{PORT_TYPES[src_base].meaning}")
    return f"type mismatch: {source} cannot feed {destination} ({hint})"
