"""One APEER specification entry at a time: values, files and requirements.

Value inputs become parameters, files port types, requirements resources; the rules are
documented in docs/modules.md, "APEER modules". Each function reports what it cannot
translate through ``report(field, message)`` and returns None (or nothing) for it, so one
pass over a specification finds every problem.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from lamella.core._suggest import did_you_mean

__all__ = ["FILE_TYPES", "KNOWN_TYPES", "NO_PARAM_TYPES", "VALUE_TYPES", "Report", "param_specs",
           "port_type", "resources"]

Report = Callable[[str, str], None]
"""``report(field, message)``: one problem at a field of the specification."""

FILE_TYPES = ("file", "list[file]")
VALUE_TYPES = ("integer", "number", "range", "string", "choice_binary", "choice_single")
NO_PARAM_TYPES = ("choice_multiple", "list[number]", "list[string]")  # APEER has them, Lamella not
KNOWN_TYPES = FILE_TYPES + VALUE_TYPES + NO_PARAM_TYPES

_BOUNDS = ("lower_inclusive", "lower_exclusive", "upper_inclusive", "upper_exclusive")
_CONSTRAINT_FIELDS = {"integer": {"min", "max"}, "number": {"min", "max", *_BOUNDS},
                      "range": {"lower", "upper", "delta"}, "string": {"length"}}
_DEFAULTS: dict[str, tuple[tuple[type, ...], str]] = {
    "integer": ((int,), "a whole number"), "number": ((int, float), "a number"),
    "string": ((str,), "text"), "choice_binary": ((bool,), "true or false"),
    "choice_single": ((str,), "text, one of the choices")}
_CHOICE_WIDGETS = ("widget:dropdown", "widget:radiobuttongroup", "widget:segmented_button")

# Formats, as APEER writes them (lower case, no dot).
_TIFF = {"tif", "tiff", "ome-tiff", "ome-tif", "ome_tiff", "ometiff", "btf"}
_LAMELLA_READS = _TIFF | {"png", "jpg", "jpeg", "bmp", "gif"}  # what task.image() opens
_MICROSCOPY = {"czi", "lsm", "lif", "nd2", "oib", "oif", "vsi", "ims", "jp2", "dm3", "dm4", "mrc"}
_ONE_TYPE = {"table": {"csv"}, "json": {"json"}}


# ----- parameters ---------------------------------------------------------------------------
Parts = dict[str, tuple[str, dict[str, Any]]]
"""Lamella parameter data by name suffix ('' or '_lower'/'_upper'), with the part of the
APEER value each one fills ('value', or 'lower_inclusive'/'upper_inclusive' of a range)."""


def param_specs(kind: str, constraint: Any, entry: dict[str, Any], ui: dict[str, Any], where: str,
                base: dict[str, Any], report: Report) -> Parts:
    """Lamella parameter data for an APEER value input of type ``kind``.

    ``base`` holds the description and label; ``ui`` the input's UI entry (widgets).
    """
    c = _constraint(kind, constraint, f"{where}.type:{kind}", report)
    if c is None or not _default_ok(kind, entry, where, report):
        return {}
    if kind == "range":
        return _range(c, entry.get("default"), f"{where}.type:range", base, report)
    data = {**base, **({"default": entry["default"]} if "default" in entry else {})}
    build = {"integer": _integer, "number": _number, "string": _string, "choice_binary": _binary,
             "choice_single": _choice}[kind]
    spec = build(c, ui, f"{where}.type:{kind}", data, report)
    return {} if spec is None else {"": ("value", spec)}


def _constraint(kind: str, c: Any, where: str, report: Report) -> Any:
    if c is None or c == {}:
        return {}
    if kind == "choice_single":  # a list, or an external reference: _choice says which is wrong
        return c
    if kind == "choice_binary":
        report(where, f"must be null or {{}}, got {c!r}")
        return None
    if not isinstance(c, dict):
        report(where, f"must be a mapping, got {c!r}")
        return None
    known = _CONSTRAINT_FIELDS[kind]
    unknown = sorted(set(c) - known)
    for field in unknown:
        report(f"{where}.{field}", f"unknown field{did_you_mean(field, known)}; accepted here: "
               f"{', '.join(sorted(known))}")
    return None if unknown else c


def _default_ok(kind: str, entry: dict[str, Any], where: str, report: Report) -> bool:
    if "default" not in entry or kind == "range":
        return True
    default, (types, text) = entry["default"], _DEFAULTS[kind]
    # bool is an int in Python; only a choice_binary default may be one.
    if isinstance(default, types) and isinstance(default, bool) == (kind == "choice_binary"):
        return True
    report(f"{where}.default", f"must be {text}, got {default!r}")
    return False


def _integer(c: dict[str, Any], ui: dict[str, Any], where: str, data: dict[str, Any],
             report: Report) -> dict[str, Any] | None:
    for side in ("min", "max"):
        if side in c and (isinstance(c[side], bool) or not isinstance(c[side], int)):
            report(f"{where}.{side}", f"must be a whole number, got {c[side]!r}")
            return None
    return {**data, "type": "int", **{side: c[side] for side in ("min", "max") if side in c}}


def _number(c: dict[str, Any], ui: dict[str, Any], where: str, data: dict[str, Any],
            report: Report) -> dict[str, Any] | None:
    found = _bounds(c, where, report)
    if found is None:
        return None
    bounds, rule, exclusive = found
    if exclusive:
        data = {**data, "description": f"{data['description']} (must be {rule})"}
    return {**data, "type": "float", **bounds}


def _bounds(c: dict[str, Any], where: str, report: Report) -> tuple[dict[str, float], str, bool] | None:
    """min/max from APEER's ``{lower,upper}_{inclusive,exclusive}`` (or ``min``/``max``) bounds.

    Lamella bounds are inclusive; an exclusive bound becomes the next float past it, which
    refuses exactly the values APEER refuses. Returns the bounds, the rule in words and
    whether a bound was exclusive.
    """
    bounds: dict[str, float] = {}
    words: list[str] = []
    exclusive = False
    for side, end, away, inclusive_word, exclusive_word in (
            ("min", "lower", math.inf, "at least", "more than"),
            ("max", "upper", -math.inf, "at most", "less than")):
        given = [k for k in (side, f"{end}_inclusive", f"{end}_exclusive") if k in c]
        if len(given) > 1:
            report(where, f"give one of {' or '.join(given)}, not both")
            return None
        if not given:
            continue
        value = c[given[0]]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            report(f"{where}.{given[0]}", f"must be a number, got {value!r}")
            return None
        is_exclusive = given[0].endswith("_exclusive")
        bounds[side] = math.nextafter(float(value), away) if is_exclusive else float(value)
        words.append(f"{exclusive_word if is_exclusive else inclusive_word} {value:g}")
        exclusive |= is_exclusive
    return bounds, " and ".join(words), exclusive


def _range(c: dict[str, Any], default: Any, where: str, base: dict[str, Any], report: Report) -> Parts:
    """A range is two numbers, ``<name>_lower`` and ``<name>_upper``."""
    ends = ("lower_inclusive", "upper_inclusive")
    if default is not None and not (isinstance(default, dict) and set(default) == set(ends) and all(
            isinstance(default[e], int | float) and not isinstance(default[e], bool) for e in ends)):
        report(f"{where.removesuffix('.type:range')}.default", "must be {\"lower_inclusive\": number, "
               f"\"upper_inclusive\": number}}, got {default!r}")
        return {}
    parts: Parts = {}
    for end in ("lower", "upper"):
        limits = c.get(end) or {}
        if not isinstance(limits, dict):
            report(f"{where}.{end}", f"must be a mapping of bounds, e.g. {{\"lower_inclusive\": 0}}, "
                   f"got {limits!r}")
            return {}
        found = _bounds(limits, f"{where}.{end}", report)
        if found is None:
            return {}
        bounds, rule, _ = found
        data = {**base, "type": "float", **bounds,
                "description": f"{base['description']} ({end} end of the range{'; ' + rule if rule else ''})"}
        if "label" in base:
            data["label"] = f"{base['label']} ({end})"
        if default is not None:
            data["default"] = default[f"{end}_inclusive"]
        parts[f"_{end}"] = (f"{end}_inclusive", data)
    delta = c.get("delta") or {}
    found = _bounds(delta, f"{where}.delta", report) if isinstance(delta, dict) else None
    if found is None:
        return {}
    if found[1]:  # not checkable before the run: Lamella parameters have no rule between two values
        parts["_upper"][1]["description"] += f"; upper minus lower must be {found[1]}"
    return parts


def _string(c: dict[str, Any], ui: dict[str, Any], where: str, data: dict[str, Any],
            report: Report) -> dict[str, Any] | None:
    length = c.get("length") or {}
    if not isinstance(length, dict) or set(length) - {"min", "max"} or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in length.values()):
        report(f"{where}.length", f"must be {{\"min\": n, \"max\": n}} with whole numbers, got {length!r}")
        return None
    spec = {**data, "type": "string"}
    if length:
        spec["pattern"] = f"(?s).{{{length.get('min', 0)},{length.get('max', '')}}}"
    if "widget:file_dialog" in ui:
        spec["format"] = "file"
    return spec


def _binary(c: Any, ui: dict[str, Any], where: str, data: dict[str, Any], report: Report) -> dict[str, Any]:
    return {**data, "type": "bool"}


def _choice(c: Any, ui: dict[str, Any], where: str, data: dict[str, Any],
            report: Report) -> dict[str, Any] | None:
    values = c.get("values") if isinstance(c, dict) else c
    if isinstance(values, str):
        report(where, f"takes its choices from an external reference ('{values}'), which Lamella "
               "cannot read; list the choices in the specification")
        return None
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        report(where, f"must be a list of choices (text), got {values!r}")
        return None
    widget = next((w for k, w in ui.items() if k in _CHOICE_WIDGETS and isinstance(w, dict)), {})
    items: list[Any] = widget["items"] if isinstance(widget.get("items"), list) else []
    labels = {i["key"]: i.get("label") for i in items if isinstance(i, dict) and "key" in i}
    if set(labels) == set(values):  # the widget's items give the order of the choices
        values = list(labels)
    spec = {**data, "type": "enum", "choices": values}
    if any(label and label != key for key, label in labels.items()):
        spec["description"] = (spec["description"].rstrip().rstrip(".") + ". Choices: "
                               + "; ".join(f"{k} = {labels.get(k) or k}" for k in values) + ".")
    return spec


# ----- file ports ---------------------------------------------------------------------------
def port_type(kind: str, c: Any, where: str, report: Report, *, reading: bool) -> str | None:
    """The Lamella port type of a ``type:file`` or ``type:list[file]`` entry, from its formats."""
    c = {} if c is None else c
    fields = {"format", "count"} if kind == "list[file]" else {"format"}
    if not isinstance(c, dict) or set(c) - fields:
        report(f"{where}.type:{kind}", f"must be a mapping with {' and/or '.join(sorted(fields))}, got {c!r}")
        return None
    formats = c.get("format", "*")
    formats = [formats] if isinstance(formats, str) else formats
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        report(f"{where}.type:{kind}.format", f"must be '*', a format or a list of formats, got {formats!r}")
        return None
    base = _format_type({f.lower().lstrip(".") for f in formats}, reading=reading)
    return f"list[{base}]" if kind == "list[file]" else base


def _format_type(formats: set[str], *, reading: bool) -> str:
    """The port type for a file's formats (a set of lower-case names without dots).

    Lamella images travel as OME-TIFF: an input is an 'image' only if the module reads TIFF,
    an output only if ``task.image()`` opens every format it may be.
    """
    if not formats or "*" in formats:
        return "file"
    for name, known in _ONE_TYPE.items():
        if formats <= known:
            return name
    if reading and formats <= _LAMELLA_READS | _MICROSCOPY and formats & _TIFF:
        return "image"
    if not reading and formats <= _LAMELLA_READS:
        return "image"
    return "file"


# ----- requirements -------------------------------------------------------------------------
_REQUIREMENTS = {"hardware": ("gpu",), "network": ("internet_access",),
                 "runtime": ("runtime_limit_in_minutes",)}
_FLAT = ("gpu", "internet_access")  # the flat spelling, requirements.gpu


def resources(requirements: Any, report: Report) -> dict[str, Any]:
    """Lamella resources from APEER ``requirements``.

    A requirement that is present (``{}``, null or true; false means absent) is needed: a GPU
    becomes ``gpu: required`` and internet access ``network: true``; a runtime limit in
    minutes becomes ``timeout`` in seconds.
    """
    if requirements is None:
        return {}
    if not isinstance(requirements, dict):
        report("requirements", f"must be a mapping, got {requirements!r}")
        return {}
    found = _requirements_found(requirements, report)
    out: dict[str, Any] = {}
    if found.get("gpu", False) is not False:
        out["gpu"] = "required"
    if found.get("internet_access", False) is not False:
        out["network"] = True
    minutes = found.get("runtime_limit_in_minutes")
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0):
        report("requirements.runtime.runtime_limit_in_minutes",
               f"must be a whole number above 0, got {minutes!r}")
    elif minutes is not None:
        out["timeout"] = minutes * 60
    return out


def _requirements_found(requirements: dict[str, Any], report: Report) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for group, value in requirements.items():
        if group in _FLAT:
            found[group] = value
            continue
        if group not in _REQUIREMENTS or not isinstance(value, dict):
            report(f"requirements.{group}", f"unknown requirement{did_you_mean(group, _REQUIREMENTS)}; "
                   "accepted: hardware.gpu, network.internet_access, runtime.runtime_limit_in_minutes")
            continue
        for field, inner in value.items():
            if field in _REQUIREMENTS[group]:
                found[field] = inner
            else:
                report(f"requirements.{group}.{field}",
                       f"unknown requirement; accepted here: {', '.join(_REQUIREMENTS[group])}")
    return found
