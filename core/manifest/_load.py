"""Read a ``module.json`` and report every problem in it at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic

from lamella.core._suggest import did_you_mean
from lamella.core.errors import ManifestError, Problem
from lamella.core.manifest._fields import field_names_at
from lamella.core.manifest._models import Manifest

__all__ = ["load_manifest", "manifest_from_dict", "pydantic_problems"]


def load_manifest(path: str | Path) -> Manifest:
    """Load and validate a manifest file; raise :class:`ManifestError` listing all problems."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(str(path), [Problem("", "file not found")]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f"line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise ManifestError(str(path), [Problem(where, f"not valid JSON: {exc}")]) from None
    return manifest_from_dict(data, source=str(path))


def manifest_from_dict(data: Any, *, source: str = "module.json") -> Manifest:
    """Validate manifest data already parsed from JSON."""
    try:
        return Manifest.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ManifestError(source, pydantic_problems(exc, root=Manifest)) from None


def pydantic_problems(exc: pydantic.ValidationError, *, root: type[pydantic.BaseModel],
                      schema: str = "module") -> list[Problem]:
    """Turn pydantic's errors into located one-line problems.

    ``root`` is the model that was validated (it tells which keys an unknown key could have
    meant); ``schema`` names the file format (``module`` or ``workflow``) so the hint points
    at the right schema file.
    """
    return [_problem(error, root, schema) for error in exc.errors(include_url=False)]


def _problem(error: Any, root: type[pydantic.BaseModel], schema: str) -> Problem:
    location = [str(p) for p in error["loc"] if p != "[key]"]
    # The parameter union adds the type tag to the location ('parameters.level.float.min');
    # it repeats the parameter's 'type' field, so drop it.
    if len(location) >= 3 and location[0] == "parameters" and location[2] in _PARAM_TAGS:
        del location[2]
    if error["type"] == "extra_forbidden":
        return Problem(".".join(location), _unknown_field(error, root, schema))
    return Problem(".".join(location), _message(error, schema))


_PARAM_TAGS = {"int", "float", "bool", "string", "enum", "quantity"}


def _message(error: Any, schema: str) -> str:
    kind, message = error["type"], error["msg"]
    if kind == "missing":
        return "required field is missing"
    if kind == "too_short" and error["loc"] == ("outputs",):
        return "a module writes at least one output; declare it under 'outputs'"
    if kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag")
        return f"'{tag}' is not a parameter type (use one of: {', '.join(sorted(_PARAM_TAGS))})"
    if kind == "union_tag_not_found":
        return "parameter has no 'type' (use one of: " + ", ".join(sorted(_PARAM_TAGS)) + ")"
    if kind == "too_short" and error["loc"] == ("nodes",):
        return "a workflow needs at least one node, e.g. load: {module: lamella/load-image@1}"
    if kind in ("dict_type", "model_type"):
        return _mapping_message(error)
    if kind in ("enum", "literal_error"):
        return f"{error.get('input')!r} is not allowed; " + message.replace("Input should be", "use")
    if message.startswith("Input should be"):
        wanted = message.replace("Input should be", "must be", 1).replace("a valid string", "text")
        return f"{wanted}, got {error.get('input')!r}"
    return message.removeprefix("Value error, ")


def _unknown_field(error: Any, root: type[pydantic.BaseModel], schema: str) -> str:
    known = field_names_at(root, tuple(error["loc"]))
    hint = did_you_mean(str(error["loc"][-1]), known)
    if hint:
        return f"unknown field{hint}"
    accepted = f"; accepted here: {', '.join(known)}" if known else ""
    return (f"unknown field (remove it, or check its spelling against the {schema} schema, "
            f"core/schema/{schema}.schema.json){accepted}")


def _mapping_message(error: Any) -> str:
    got = error.get("input")
    got_text = "nothing" if got is None else repr(got)
    if len(error["loc"]) == 2 and error["loc"][0] == "nodes":
        return (f"a node is a mapping with a 'module' (and its 'params' and 'in'), got {got_text}; "
                "e.g. segment: {module: lamella/threshold@1, in: {image: load.image}}")
    return f"must be a mapping of names to values (name: value), got {got_text}"
