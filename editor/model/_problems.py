"""Validation of the document being edited, by the core, located for the window.

The core reports a schema problem at a dotted path (``nodes.seg.params``) and a graph problem
at a phrase (``node 'seg', parameter 'method'``). Both become a node to select and a field to
focus. A schema-invalid document is also checked as a graph once its broken parts are set
aside (see :mod:`._salvage`), so opening a file lists every problem at once.
"""

from __future__ import annotations

import re
from typing import Any

from lamella.core.catalog import Catalog
from lamella.core.errors import (
    LamellaError,
    Problem,
    WorkflowError,
    WorkflowFileError,
    WorkflowValidationError,
)
from lamella.core.graph import build_graph
from lamella.core.workflow import Workflow, workflow_from_data
from lamella.editor.model._salvage import salvage
from lamella.editor.model._types import EditorProblem

__all__ = ["find_problems"]

_NODE_WHERE = re.compile(r"^node '(?P<node>[^']*)'(, (parameter|input) '(?P<field>[^']*)')?$")
_CYCLE = re.compile(r"^cycle (?P<path>.+?);")
_PORT_SECTIONS = ("in", "params")


def find_problems(data: dict[str, Any], catalog: Catalog) -> list[EditorProblem]:
    """Every problem the core finds in the plain document data."""
    try:
        return _graph_problems(workflow_from_data(data), catalog, set())
    except WorkflowFileError as exc:
        problems = [EditorProblem(None, None, str(exc).removeprefix("<workflow>: "))]
    except WorkflowError as exc:
        problems = [_schema_problem(p) for p in exc.problems]
    except LamellaError as exc:  # any other core refusal is still shown, never raised
        return [EditorProblem(None, None, str(exc))]
    workflow, set_aside, later = salvage(data)
    problems += [_schema_problem(p) for p in later]
    if workflow is not None:
        problems += _graph_problems(workflow, catalog, set_aside)
    return problems


def _graph_problems(workflow: Workflow, catalog: Catalog,
                    set_aside: set[str]) -> list[EditorProblem]:
    try:
        build_graph(workflow, catalog)
    except WorkflowValidationError as exc:
        # A wire from a node set aside for a schema problem is not a second problem.
        return [_graph_problem(p, set(workflow.nodes)) for p in exc.problems
                if not any(f"no node named '{n}'" in p.message for n in set_aside)]
    except LamellaError as exc:
        return [EditorProblem(None, None, str(exc))]
    return []


def _graph_problem(problem: Problem, nodes: set[str]) -> EditorProblem:
    match = _NODE_WHERE.match(problem.where)
    if match:
        return EditorProblem(match["node"], match["field"], problem.message, problem.where,
                             (match["node"],))
    cycle = _CYCLE.match(problem.message)
    if problem.where == "graph" and cycle:
        members = tuple(dict.fromkeys(n for n in cycle["path"].split(" -> ") if n in nodes))
        return EditorProblem(members[0] if members else None, None, problem.message,
                             problem.where, members)
    return EditorProblem(None, None, problem.message, problem.where)


def _schema_problem(problem: Problem) -> EditorProblem:
    parts = problem.where.split(".")
    if parts[0] == "nodes" and len(parts) > 1:
        field = parts[3] if len(parts) > 3 and parts[2] in _PORT_SECTIONS else None
        return EditorProblem(parts[1], field, problem.message, problem.where, (parts[1],))
    return EditorProblem(None, None, problem.message, problem.where)
