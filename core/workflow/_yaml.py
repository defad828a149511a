"""Workflow YAML: safe loading with located errors, and saving that round-trips."""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

import pydantic
import yaml

from lamella.core.errors import Problem, WorkflowError, WorkflowFileError
from lamella.core.manifest import pydantic_problems
from lamella.core.workflow._models import SCHEMA_VERSION, Workflow
from lamella.core.workflow._refs import quoted

__all__ = ["MAX_NODES", "MAX_WORKFLOW_BYTES", "dump_workflow", "load_workflow", "parse_value",
           "parse_workflow", "save_workflow", "workflow_from_data"]

# Far above any workflow a person or the editor writes (the examples are 1-2 KB, 7 nodes),
# far below what takes noticeable time and memory to check (a 50 MB file of 583,000 nodes
# took minutes and gigabytes).
MAX_WORKFLOW_BYTES = 2**20
MAX_NODES = 1000
_PROBLEM_WHERE_CHARS = 80
_PROBLEM_CHARS = 300


def load_workflow(path: str | Path) -> Workflow:
    """Read and check a workflow file (structure only; see graph validation for wiring)."""
    path = Path(path)
    try:
        _check_file(path, os.stat(path))  # before reading: the size bounds all later work
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WorkflowFileError(f"{path}: workflow file not found (check the path)") from None
    except IsADirectoryError:
        raise WorkflowFileError(f"{path}: is a folder; give the workflow's .yaml file") from None
    except UnicodeDecodeError:
        raise WorkflowFileError(f"{path}: not a text file; a workflow is a YAML text file "
                                "(UTF-8), e.g. one from examples/workflows/") from None
    except OSError as exc:
        raise WorkflowFileError(f"{path}: cannot read workflow file ({exc.strerror})") from None
    return parse_workflow(text, source=path)


def _check_file(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
        raise WorkflowFileError(f"{path}: not a regular file; give the workflow's .yaml file")
    _check_size(str(path), info.st_size)


def _check_size(name: str, size: int) -> None:
    if size > MAX_WORKFLOW_BYTES:
        raise WorkflowFileError(
            f"{name}: the file is {size:,} bytes, above the {MAX_WORKFLOW_BYTES:,} bytes (1 MB) a "
            "workflow file may take; a workflow lists steps, not data (run many images with --batch)")


def parse_workflow(text: str, *, source: Path | None = None) -> Workflow:
    """Parse workflow YAML text; ``source`` names the file in messages and anchors paths."""
    name = str(source) if source else "<workflow>"
    if len(text) > MAX_WORKFLOW_BYTES // 4:  # only a long text can be too large
        _check_size(name, len(text.encode("utf-8", "surrogatepass")))
    return workflow_from_data(_safe_yaml(text, name), source=source)


def workflow_from_data(data: Any, *, source: Path | None = None) -> Workflow:
    """Check workflow data already read from YAML (plain dicts, lists and scalars).

    The checks after parsing, as :func:`parse_workflow` does them: the schema version and node
    count (:class:`WorkflowFileError`), then the schema, every problem at once
    (:class:`WorkflowError`). The editor reads files with a comment-keeping parser and checks
    its document here, so both give the same verdict on the same file.
    """
    name = str(source) if source else "<workflow>"
    if not isinstance(data, dict):
        raise WorkflowFileError(
            f"{name}: a workflow is a YAML mapping with 'lamella', 'name' and 'nodes' keys")
    _check_version(data, name)
    _check_node_count(data, name)
    try:
        workflow = Workflow.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = pydantic_problems(exc, root=Workflow, schema="workflow")
        raise WorkflowError(name, [_short(p) for p in problems]) from None
    return workflow.with_source(source.resolve() if source else None)


def _check_node_count(data: dict[str, Any], name: str) -> None:
    nodes = data.get("nodes")
    if isinstance(nodes, dict) and len(nodes) > MAX_NODES:
        raise WorkflowFileError(
            f"{name}: the workflow has {len(nodes)} nodes, above the limit of {MAX_NODES}; split "
            "it into several workflows (run many images with --batch, not one node per image)")


def _short(problem: Problem) -> Problem:
    """The problem with its location and message cut to a readable length."""
    return Problem(_cut(problem.where, _PROBLEM_WHERE_CHARS), _cut(problem.message, _PROBLEM_CHARS))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _safe_yaml(text: str, name: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # safe: plain data only, no tags
    except yaml.constructor.ConstructorError as exc:
        raise WorkflowFileError(f"{name}{_line(exc)}: {_constructor_message(exc)}") from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise WorkflowFileError(f"{name}{_line(exc)}: not valid YAML ({problem})") from None
    if not isinstance(data, dict):
        raise WorkflowFileError(
            f"{name}: a workflow is a YAML mapping with 'lamella', 'name' and 'nodes' keys"
        )
    return data


# libyaml's parser when the wheel has it (it does on the usual platforms): same safe
# constructor, a fraction of the parse time of a run that finds everything cached.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """Safe loader that refuses a key given twice (YAML would keep only the last).

    Only ``true`` and ``false`` are booleans (as in YAML 1.2): YAML 1.1 also reads bare
    ``on``, ``off``, ``yes`` and ``no`` as booleans, which would turn a choice such as
    ``crop_info_bar: off`` into ``false``.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.MappingNode | yaml.SequenceNode):
                what = "mapping" if isinstance(key_node, yaml.MappingNode) else "list"
                # An alias's node marks where its anchor is; then name the mapping using it.
                mark = max(key_node.start_mark, node.start_mark, key=lambda m: m.index)
                raise yaml.constructor.ConstructorError(None, None, f"a {what} used as a key", mark)
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_BOOL_TAG = "tag:yaml.org,2002:bool"
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def parse_value(text: str) -> Any:
    """One value written as a workflow file writes it: ``li``, ``8 nm``, ``true``, ``25``.

    Read with the workflow loader's rules: YAML's safe loader, only ``true`` and ``false``
    are booleans, no tags; nothing (``''``) is null. Raises ValueError saying what is wrong.
    """
    try:
        return yaml.load(text, Loader=_StrictLoader)  # safe: plain data only, no tags
    except yaml.constructor.ConstructorError as exc:
        raise ValueError(_constructor_message(exc)) from None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValueError(f"not valid YAML ({problem})") from None


def _constructor_message(exc: yaml.constructor.ConstructorError) -> str:
    problem = exc.problem or ""
    if problem.startswith("duplicate key"):
        return f"{quoted(problem[15:-1])} appears twice; give each key once"
    if problem.endswith("used as a key"):
        return f"{problem}; keys are plain names such as 'segment' (write 'key: value')"
    return _tag_message(exc)


def _tag_message(exc: yaml.constructor.ConstructorError) -> str:
    tag = (exc.problem or "").split("tag '")[-1].rstrip("'").replace("tag:yaml.org,2002:", "!!")
    return (
        f"the YAML tag {quoted(tag)} is not allowed; workflows hold plain data only "
        "(remove the tag)"
    )


def _line(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" line {mark.line + 1}" if mark is not None else ""


def _check_version(data: dict[str, Any], name: str) -> None:
    version = data.get("lamella")
    if version is None:
        raise WorkflowFileError(
            f"{name}: 'lamella: {SCHEMA_VERSION}' is missing; a workflow starts with the "
            "schema version it is written for"
        )
    if version != SCHEMA_VERSION:
        raise WorkflowFileError(
            f"{name}: workflow schema version {version!r} is not supported; this Lamella reads "
            f"version {SCHEMA_VERSION}"
        )


def dump_workflow(workflow: Workflow) -> str:
    """The workflow as YAML text, in the documented key order."""
    data = workflow.model_dump(by_alias=True, exclude_defaults=True)
    data = {"lamella": workflow.lamella, **{k: v for k, v in data.items() if k != "lamella"}}
    if "layout" in data:
        data["layout"] = {k: list(v) for k, v in data["layout"].items()}
    return yaml.dump(data, Dumper=_FlowDumper, sort_keys=False, allow_unicode=True, width=100)


def save_workflow(workflow: Workflow, path: str | Path) -> Path:
    """Write the workflow YAML atomically (temporary file, then rename)."""
    path = Path(path)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(dump_workflow(workflow))
    os.replace(tmp, path)
    return path


class _FlowDumper(yaml.SafeDumper):
    """Block style for the document, flow style for small leaf mappings (params, in, layout)."""


def _represent_dict(dumper: yaml.SafeDumper, value: dict[str, Any]) -> yaml.MappingNode:
    leaf = all(not isinstance(v, dict) for v in value.values()) and len(value) <= 6
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=leaf or None)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_FlowDumper.add_representer(dict, _represent_dict)
_FlowDumper.add_representer(list, _represent_list)
