"""Reading a workflow file for editing, and writing it back atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from lamella.core.workflow import parse_value
from lamella.core.workflow._yaml import MAX_NODES, MAX_WORKFLOW_BYTES
from lamella.editor.model._doc import mapping_at
from lamella.editor.model._types import OpenError
from lamella.editor.model._yamlio import TextFormat, read_document, yaml_value

__all__ = ["read_workflow_file", "rebase_defaults", "write_atomically"]


def read_workflow_file(path: Path) -> tuple[str, CommentedMap, TextFormat]:
    """The file's text and its editable document; OpenError if it cannot be edited at all."""
    text = _read_text(path)
    try:
        document, text_format = read_document(text)
    except YAMLError as exc:
        raise OpenError(path, f"{_line(exc)}not valid YAML ({_problem(exc)})", text) from None
    try:
        parse_value(text)  # the runner's own loader has the last word: it refuses YAML tags
    except ValueError as exc:
        raise OpenError(path, str(exc), text) from None
    if not isinstance(document, CommentedMap):
        raise OpenError(path, "not a workflow: a workflow is a YAML mapping with 'lamella', 'name' "
                        "and 'nodes' keys", text)
    nodes = mapping_at(document, "nodes")
    if nodes is not None and len(nodes) > MAX_NODES:
        raise OpenError(path, f"the workflow has {len(nodes)} nodes, above the limit of {MAX_NODES}; "
                        "split it into several workflows", text)
    return text, document, text_format


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_WORKFLOW_BYTES:
            raise OpenError(path, f"the file is {size:,} bytes, above the {MAX_WORKFLOW_BYTES:,} bytes "
                            "(1 MB) a workflow file may take", "")
        data = path.read_bytes()
    except FileNotFoundError:
        raise OpenError(path, "workflow file not found (check the path)", "") from None
    except IsADirectoryError:
        raise OpenError(path, "is a folder; give the workflow's .yaml file", "") from None
    except OSError as exc:
        raise OpenError(path, f"cannot read workflow file ({exc.strerror})", "") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise OpenError(path, "not a text file; a workflow is a YAML text file (UTF-8)",
                        data.decode("utf-8", "replace")) from None


def _line(exc: YAMLError) -> str:
    mark = exc.problem_mark if isinstance(exc, MarkedYAMLError) else None
    return f"line {mark.line + 1}: " if mark is not None else ""


def _problem(exc: YAMLError) -> str:
    problem = exc.problem if isinstance(exc, MarkedYAMLError) else None
    return problem or str(exc).splitlines()[0]


def rebase_defaults(document: Any, old_folder: Path, new_folder: Path) -> bool:
    """Rewrite relative input defaults for a file moving between folders; True if any changed."""
    changed = False
    for spec in (mapping_at(document, "inputs") or {}).values():
        default = spec.get("default") if isinstance(spec, dict) else None
        if not isinstance(default, str) or not default or Path(default).expanduser().is_absolute():
            continue
        moved = Path(os.path.relpath(os.path.normpath(old_folder / default), new_folder)).as_posix()
        if moved != default:
            spec["default"] = yaml_value(moved)
            changed = True
    return changed


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``.

    A crash or a full disk leaves either the old file or the new one, never half of one. The
    file keeps its permissions (a new one gets the usual ones for the user's umask).
    """
    mode = path.stat().st_mode & 0o7777 if path.exists() else _default_mode()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
