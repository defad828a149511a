"""Parameter values given for a run, over the workflow's: ``params`` / ``--set`` and ``sweep``.

A value is named ``'node.param'`` (``'segment.method'``) and checked exactly as the same value
written in the workflow file would be, with the message validation gives. Errors are
:class:`ArgumentError` naming the argument and key, so the Python API says
``params['segment.min_area']: ...`` and the command line ``--set segment.min_area: ...``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lamella.core._suggest import did_you_mean
from lamella.core.graph import WorkflowGraph
from lamella.core.manifest import param_problems
from lamella.runner._arguments import ArgumentError, shown

__all__ = ["by_node", "check_grid", "check_overrides", "check_params", "check_sweep", "same_value"]


def check_params(params: object) -> dict[str, Any]:
    """The shape of ``params``: a mapping of ``'node.param'`` to one value (None: none)."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise ArgumentError("params", "expected a mapping of 'node.param' to a value, e.g. "
                            f"{{'segment.method': 'li'}}, got {shown(params)}")
    _check_names("params", params)
    return dict(params)


def check_sweep(sweep: object) -> dict[str, list[Any]]:
    """The shape of ``sweep``: a mapping of ``'node.param'`` to a list of values (None: none)."""
    if sweep is None:
        return {}
    if not isinstance(sweep, Mapping):
        raise ArgumentError("sweep", "expected a mapping of 'node.param' to a list of values, "
                            f"e.g. {{'segment.method': ['otsu', 'li']}}, got {shown(sweep)}")
    _check_names("sweep", sweep)
    grid = {}
    for key, values in sweep.items():
        if isinstance(values, str | bytes | Mapping) or not isinstance(values, Sequence):
            raise ArgumentError("sweep", "expected a list of values, e.g. ['otsu', 'li'], got "
                                f"{shown(values)}", key=key)
        if not values:
            raise ArgumentError("sweep", "give at least one value", key=key)
        grid[key] = list(values)
    return grid


def _check_names(argument: str, mapping: Mapping[Any, Any]) -> None:
    for key in mapping:
        if not isinstance(key, str):
            raise ArgumentError(argument, f"parameters are named as text, 'node.param', got "
                                f"{shown(key)}")


def check_overrides(graph: WorkflowGraph, params: Mapping[str, Any]) -> None:
    """Each ``params`` value against its node's module, as validation checks the workflow's."""
    for key, value in params.items():
        _check_value(graph, "params", key, value)


def check_grid(graph: WorkflowGraph, grid: Mapping[str, list[Any]], params: Mapping[str, Any]) -> None:
    """Each swept value as :func:`check_overrides` does; no value twice, nothing also set."""
    for key, values in grid.items():
        if key in params:
            raise ArgumentError("sweep", "is also set to one value; sweep it or set it, not both",
                                key=key)
        for number, value in enumerate(values):
            _check_value(graph, "sweep", key, value)
            if any(same_value(value, earlier) for earlier in values[:number]):
                raise ArgumentError("sweep", f"{shown(value)} is given twice; give each value "
                                    "once", key=key)


def same_value(a: object, b: object) -> bool:
    """Equal as parameter values: ``1 == 1.0``, but ``True`` is not ``1`` (Python says it is)."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _check_value(graph: WorkflowGraph, argument: str, key: str, value: object) -> None:
    node_id, param = _split(graph, argument, key)
    manifest = graph.nodes[node_id].entry.manifest
    for name, message in param_problems(manifest, {param: value}):
        if name == param:  # not the problems of parameters the workflow itself sets
            raise ArgumentError(argument, message, key=key)


def _split(graph: WorkflowGraph, argument: str, key: str) -> tuple[str, str]:
    """``'node.param'`` -> (node, param), with what to write when the node is not found."""
    node_id, dot, param = key.partition(".")
    if not dot or not node_id or not param:
        having = [n for n, node in graph.nodes.items() if key in node.entry.manifest.parameters]
        hint = f" (nodes with a parameter '{key}': {', '.join(having)})" if having else ""
        example = f"{having[0]}.{key}" if having else _example(graph)
        raise ArgumentError(argument, f"name the node and the parameter, as 'node.param', e.g. "
                            f"'{example}'{hint}", key=key)
    if node_id not in graph.nodes:
        raise ArgumentError(argument, f"the workflow has no node '{node_id}'"
                            f"{did_you_mean(node_id, graph.nodes)}; its nodes: "
                            f"{', '.join(graph.order)}", key=key)
    return node_id, param


def _example(graph: WorkflowGraph) -> str:
    for node_id in graph.order:
        parameters = graph.nodes[node_id].entry.manifest.parameters
        if parameters:
            return f"{node_id}.{next(iter(parameters))}"
    return "node.param"


def by_node(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{'segment.method': 'li'}`` -> ``{'segment': {'method': 'li'}}``."""
    nodes: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        node_id, _, param = key.partition(".")
        nodes.setdefault(node_id, {})[param] = value
    return nodes
