"""Parameter sweeps: the grid of values, one results folder per point, the run items.

A sweep is one engine run: every point (and, in a batch, every image at every point) is a
run item with its own parameter values, so upstream steps the swept values do not change run
once and the other points reuse them.

Folder of a point, under the results folder: ``<node.param>=<value>`` for each swept
parameter, in the order given, joined by commas (``segment.method=li,histogram.bins=25``).
A value is written as in YAML (``true``, ``null``, ``25``, ``8 nm``); each run of characters
other than ASCII letters, digits and ``. _ + -`` becomes ``_`` (``8_nm``) and the value is
cut to 40 characters. A name that another point's already takes (compared ignoring case, for
case-blind filesystems) gets ``-2``, ``-3``... In a batch each image's results go in
``<point folder>/<image name>/``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lamella.core.graph import WorkflowGraph
from lamella.runner._arguments import ArgumentError, shown
from lamella.runner._overrides import by_node, check_grid, check_overrides, same_value
from lamella.runner.engine import RunItem

__all__ = ["RunPlan", "Sweep", "SweepPoint", "folder_names", "plan_run", "plan_sweep", "value_text"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")
_VALUE_CHARS = 40


def value_text(value: object) -> str:
    """A parameter value as YAML writes it: ``true``, ``null``, ``25``, ``0.5``, ``8 nm``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


@dataclass(frozen=True)
class SweepPoint:
    """One combination of swept values, where its results go and which run items it has.

    ``values`` maps ``'node.param'`` to the value; ``members`` maps each run item's name to
    the image it runs on (its input file names; empty when the sweep is not a batch).
    """

    values: dict[str, Any]
    folder: str
    members: dict[str, str] = field(default_factory=dict)

    def labels(self) -> dict[str, str]:
        """The values as table cells, by ``'node.param'``."""
        return {key: value_text(value) for key, value in self.values.items()}


@dataclass(frozen=True)
class Sweep:
    """A sweep's grid (``'node.param'`` -> values), its points in order, and its run items."""

    grid: dict[str, list[Any]]
    points: list[SweepPoint]
    batch: bool
    items: list[RunItem]

    def find(self, point: object) -> SweepPoint:
        """The point with these values (``{'segment.method': 'li'}``, every swept parameter)."""
        if not isinstance(point, Mapping):
            raise ArgumentError("point", "expected a mapping of swept 'node.param' to one of its "
                                f"values, e.g. {self._example()}, got {shown(point)}")
        for key, value in point.items():
            if key not in self.grid:
                raise ArgumentError("point", f"not swept in this run (swept: {', '.join(self.grid)})",
                                    key=key)
            if not any(same_value(value, swept) for swept in self.grid[key]):
                raise ArgumentError("point", f"{shown(value)} was not swept (values: "
                                    f"{', '.join(map(shown, self.grid[key]))})", key=key)
        missing = [key for key in self.grid if key not in point]
        if missing:
            raise ArgumentError("point", "give a value for every swept parameter; missing "
                                f"{', '.join(map(repr, missing))}")
        return next(p for p in self.points
                    if all(same_value(point[k], v) for k, v in p.values.items()))

    def _example(self) -> str:
        return repr(self.points[0].values)

    def record(self) -> dict[str, Any]:
        """The run record's ``sweep`` section: the grid, and per point its folder and items."""
        return {"grid": self.grid,
                "points": [{"params": p.values, "folder": p.folder, "items": list(p.members)}
                           for p in self.points]}


@dataclass(frozen=True)
class RunPlan:
    """What a run runs: its items, the values set for all of them, and the sweep if any."""

    items: list[RunItem]
    overrides: dict[str, Any]
    sweep: Sweep | None

    def record(self) -> dict[str, Any]:
        """The run record's ``overrides`` and ``sweep`` sections (``sweep`` null if none)."""
        return {"overrides": self.overrides, "sweep": self.sweep.record() if self.sweep else None}


def plan_run(graph: WorkflowGraph, images: list[RunItem], *, params: dict[str, Any],
             grid: dict[str, list[Any]], batch: bool) -> RunPlan:
    """Check ``params`` and ``grid`` against the graph's modules; make the run items."""
    check_overrides(graph, params)
    check_grid(graph, grid, params)
    if not grid:
        return RunPlan([replace(image, params=by_node(params)) for image in images], params, None)
    sweep = plan_sweep(grid, images, batch=batch, overrides=params)
    return RunPlan(sweep.items, params, sweep)


def plan_sweep(grid: dict[str, list[Any]], images: list[RunItem], *, batch: bool,
               overrides: Mapping[str, Any]) -> Sweep:
    """Every combination of ``grid`` (the last parameter varying fastest) times ``images``.

    ``images`` are the run items without the sweep (one, or one per file of a batch);
    ``overrides`` are values set for every point.
    """
    combos = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]
    points, items = [], []
    for values, folder in zip(combos, folder_names(combos), strict=True):
        members = {}
        for image in images:
            name = f"{folder}/{image.name}" if batch else folder
            members[name] = ";".join(p.name for p in image.inputs.values()) if batch else ""
            items.append(RunItem(name, image.inputs, _merged(by_node(overrides), by_node(values))))
        points.append(SweepPoint(values, folder, members))
    return Sweep(grid, points, batch, items)


def _merged(base: dict[str, dict[str, Any]],
            extra: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {node: {**base.get(node, {}), **extra.get(node, {})} for node in {**base, **extra}}


def folder_names(combos: list[dict[str, Any]]) -> list[str]:
    """The folder of each point; see the module docstring for the rule."""
    taken: set[str] = set()
    names = []
    for values in combos:
        base = ",".join(f"{key}={_safe(value_text(value))}" for key, value in values.items())
        name, number = base, 1
        while name.casefold() in taken:
            number += 1
            name = f"{base}-{number}"
        taken.add(name.casefold())
        names.append(name)
    return names


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text)[:_VALUE_CHARS]
