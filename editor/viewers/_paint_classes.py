"""Annotation classes: names (the training step's ``class_names``) and colours (a sidecar file).

Class ``k`` (1..K) is the pixel value ``k`` of the label image and the ``k``-th name of the
comma-separated ``class_names`` parameter, which the workflow file keeps. Colours are for the
painter only, so they live beside the label file in ``<labels stem>.classes.json``::

    {"format": "lamella-annotation-classes", "version": 1,
     "classes": [{"value": 1, "name": "matrix", "colour": "#e41a1c"}, ...]}

The names there are a copy for other tools; the workflow's ``class_names`` wins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lamella.editor.model._files import write_atomically

__all__ = ["SIDECAR_FORMAT", "AnnotationClass", "check_class_name", "class_names_text",
           "default_colour", "merge_classes", "parse_class_names", "read_sidecar", "sidecar_path",
           "write_sidecar"]

SIDECAR_FORMAT = "lamella-annotation-classes"
# ColorBrewer Set1 (strong, distinct on grey micrographs), then its lighter Set2/Paired kin.
_PALETTE = ("#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#ffff33", "#a65628",
            "#f781bf", "#66c2a5", "#8da0cb", "#a6d854", "#1f78b4")
_LABEL_SUFFIXES = (".ome.tiff", ".ome.tif", ".tiff", ".tif", ".png")
MAX_NAME = 64


@dataclass(frozen=True)
class AnnotationClass:
    """One class: its name and its colour as ``'#rrggbb'``."""

    name: str
    colour: str

    def rgb(self) -> tuple[int, int, int]:
        """The colour as (red, green, blue) 0..255."""
        text = self.colour.lstrip("#")
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def default_colour(value: int) -> str:
    """The colour class ``value`` (1..K) gets until the user picks another."""
    return _PALETTE[(value - 1) % len(_PALETTE)]


def parse_class_names(text: object) -> list[str]:
    """``'matrix, pores'`` -> ``['matrix', 'pores']`` (empty entries dropped)."""
    if not isinstance(text, str):
        return []
    return [name.strip() for name in text.split(",") if name.strip()]


def class_names_text(names: list[str]) -> str:
    """The ``class_names`` value for ``names``: ``'matrix, pores'``."""
    return ", ".join(names)


def check_class_name(name: str, others: list[str]) -> str:
    """The name tidied; ValueError in one line when it cannot be a class name."""
    name = name.strip()
    if not name:
        raise ValueError("a class needs a name, e.g. 'pores'")
    if "," in name:
        raise ValueError(f"'{name}': a class name cannot hold a comma (class_names is a "
                         "comma-separated list); use another character")
    if len(name) > MAX_NAME:
        raise ValueError(f"'{name[:20]}…' is longer than {MAX_NAME} characters; choose a shorter name")
    if name.casefold() in (other.casefold() for other in others):
        raise ValueError(f"there is already a class '{name}'; choose another name")
    return name


def merge_classes(names: list[str], colours: dict[int, AnnotationClass],
                  at_least: int) -> list[AnnotationClass]:
    """The classes to paint with: ``names`` first, colours from the sidecar, defaults after.

    ``at_least`` is the highest value painted (a label file may hold classes the names
    lack); classes without a name get the sidecar's name or ``'class k'``.
    """
    count = max(len(names), at_least, 2)  # training needs two classes
    made = []
    for value in range(1, count + 1):
        known = colours.get(value)
        name = names[value - 1] if value <= len(names) else (known.name if known else f"class {value}")
        made.append(AnnotationClass(name, known.colour if known else default_colour(value)))
    return made


def sidecar_path(labels: Path) -> Path:
    """``annotations.tif`` -> ``annotations.classes.json`` beside it."""
    name = labels.name
    for suffix in _LABEL_SUFFIXES:
        if name.lower().endswith(suffix):
            return labels.with_name(name[: -len(suffix)] + ".classes.json")
    return labels.with_name(name + ".classes.json")


def read_sidecar(labels: Path) -> dict[int, AnnotationClass]:
    """The classes the sidecar of ``labels`` names, by value; {} without a readable one."""
    try:
        data = json.loads(sidecar_path(labels).read_text(encoding="utf-8"))
        entries = data["classes"] if data.get("format") == SIDECAR_FORMAT else []
        return {int(e["value"]): AnnotationClass(str(e["name"]), _colour(e["colour"])) for e in entries}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}  # colours are a convenience: a damaged file gives the default colours


def write_sidecar(labels: Path, classes: list[AnnotationClass]) -> Path:
    """Write the sidecar of ``labels`` atomically (a temporary name, then moved over)."""
    path = sidecar_path(labels)
    entries = [{"value": i, "name": c.name, "colour": c.colour} for i, c in enumerate(classes, 1)]
    text = json.dumps({"format": SIDECAR_FORMAT, "version": 1, "classes": entries}, indent=2) + "\n"
    write_atomically(path, text)
    return path


def _colour(text: object) -> str:
    value = str(text).strip().lower()
    if len(value) != 7 or value[0] != "#" or any(c not in "0123456789abcdef" for c in value[1:]):
        raise ValueError(f"'{text}' is not a colour like '#e41a1c'")
    return value
