"""Reading a workflow file for editing, and writing it back atomically."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from lamella.core.workflow import parse_value
from lamella.core.workflow._yaml import MAX_NODES, MAX_WORKFLOW_BYTES
from lamella.editor.model._doc import mapping_at
from lamella.editor.model._fastread import read_plain
from lamella.editor.model._types import OpenError
from lamella.editor.model._yamlio import TextFormat, plain, read_document, yaml_value

__all__ = ["WorkflowText", "moves_defaults", "read_workflow_file", "rebase_defaults",
           "round_trip_document", "write_atomically"]


@dataclass(frozen=True)
class WorkflowText:
    """A workflow file as read for editing.

    ``data`` is its plain content as the round-trip parser reads it. ``document`` is its
    round-trip document when reading needed it already, else None: it is parsed with
    :func:`round_trip_document` when first needed (an edit), which opening a file and
    looking at it never pays for.
    """

    text: str
    data: dict[str, Any]
    document: CommentedMap | None
    text_format: TextFormat | None


def read_workflow_file(path: Path) -> WorkflowText:
    """The file's text and content; OpenError if it cannot be edited at all."""
    text = _read_text(path)
    data = read_plain(text)
    if data is None:  # the round-trip parser's reading, and its verdict on a file it refuses
        document, text_format = _parse(path, text)
        data = plain(document)
    else:
        document, text_format = None, None
    nodes = data.get("nodes")
    if isinstance(nodes, dict) and len(nodes) > MAX_NODES:
        raise OpenError(path, f"the workflow has {len(nodes)} nodes, above the limit of {MAX_NODES}; "
                        "split it into several workflows", text)
    return WorkflowText(text, data, document, text_format)


def round_trip_document(path: Path | None, text: str) -> tuple[CommentedMap, TextFormat]:
    """The round-trip document of text :func:`read_workflow_file` read (fast) from ``path``.

    ValueError in the rare case that only the round-trip parser refuses the text (or fails
    on it): the edit that needed the document is refused, the file stays as it is.
    """
    where = path or Path("<workflow>")
    try:
        return _parse(where, text)
    except OpenError as exc:
        problem = exc.message
    except Exception as exc:  # a failure inside the parser itself is still only a refusal
        problem = f"the comment-keeping YAML parser failed ({type(exc).__name__}: {exc})"
    raise ValueError(f"{where}: {problem}; the editor cannot change this file, fix it as text first")


def _parse(path: Path, text: str) -> tuple[CommentedMap, TextFormat]:
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
    return document, text_format


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
        moved = _moved_default(spec, old_folder, new_folder)
        if moved is not None:
            spec["default"] = yaml_value(moved)
            changed = True
    return changed


def moves_defaults(data: dict[str, Any], old_folder: Path, new_folder: Path) -> bool:
    """True if :func:`rebase_defaults` would change the document of this plain data."""
    inputs = data.get("inputs")
    return isinstance(inputs, dict) and any(
        _moved_default(spec, old_folder, new_folder) is not None for spec in inputs.values())


def _moved_default(spec: Any, old_folder: Path, new_folder: Path) -> str | None:
    """The input's relative default as written from ``new_folder``; None if it stays."""
    default = spec.get("default") if isinstance(spec, dict) else None
    if not isinstance(default, str) or not default or Path(default).expanduser().is_absolute():
        return None
    moved = Path(os.path.relpath(os.path.normpath(old_folder / default), new_folder)).as_posix()
    return moved if moved != default else None


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
