"""What a compare run needs and gives: its targets, and one cell per swept value.

The run is one sweep of the session over the node's parameter, on the current image. It
targets the node and, when the workflow measures what the node makes (a measure step
downstream, however far), that measure step too, so every value gets an object count and a
mean size, read from the measure step's own summary at that point of the sweep.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamella.core.ports import parse_port_type
from lamella.editor._outputs import NodeOutputs
from lamella.editor._preview import node_outputs
from lamella.editor.model import EditorModel
from lamella.runner._results import RunResult
from lamella.runner._sweep import value_text

__all__ = ["MEASURE_MODULE", "Cell", "cells", "downstream_measure", "shown_port"]

MEASURE_MODULE = "lamella/measure"
_PICTURES = ("labels", "mask", "probabilities", "image")  # outputs a grid of overlays can show
_SIZE = "ecd"  # equivalent circle diameter: the size the example's histogram and summary use


@dataclass(frozen=True)
class Cell:
    """One swept value: the node's outputs there and, if measured, the count and mean ECD."""

    value: Any
    outputs: NodeOutputs | None
    count: int | None = None
    mean: float | None = None
    unit: str = ""
    problem: str = ""  # why this value has no result (its step failed), in one line

    def caption(self) -> str:
        """``'li — 485 objects, mean ECD 69.6 nm'``; only the value when nothing is measured."""
        shown = value_text(self.value)
        if self.problem:
            return f"{shown} — {self.problem}"
        if self.count is None:
            return shown
        objects = f"{self.count} object{'s' * (self.count != 1)}"
        if self.mean is None:
            return f"{shown} — {objects}"
        return f"{shown} — {objects}, mean ECD {self.mean:.3g} {self.unit}".rstrip()


def downstream_measure(model: EditorModel, node: str) -> str | None:
    """The nearest measure step that reads, through any steps, what ``node`` makes."""
    readers: dict[str, list[str]] = {}
    for source, _, target, _ in model.wires():
        readers.setdefault(source, []).append(target)
    queue, seen = [node], {node}
    while queue:
        current = queue.pop(0)
        manifest = model.manifest(current)
        if manifest is not None and manifest.id == MEASURE_MODULE:
            return current
        for reader in readers.get(current, []):
            if reader not in seen:
                seen.add(reader)
                queue.append(reader)
    return None


def shown_port(types: dict[str, str]) -> str | None:
    """The output the grid shows: the first picture (labels, mask...) in manifest order."""
    for name, port_type in types.items():
        parsed = parse_port_type(port_type)
        if (parsed[0] if parsed else port_type) in _PICTURES:
            return name
    return next(iter(types), None)


def cells(result: RunResult, node: str, measure: str | None) -> list[Cell]:
    """One cell per point of the sweep in ``result``, in the order the values were given."""
    if result.sweep is None:
        raise ValueError("not a sweep: the compare run has no points")
    made = []
    for point in result.sweep.points:
        value = next(iter(point.values.values()))
        jobs = {j.node.id: j for j in result.jobs if j.item.name in point.members}
        job = jobs.get(node)
        if job is None or not job.ok:
            made.append(Cell(value, None, problem=_failure(jobs, job)))
            continue
        outputs = node_outputs(job, result, note=value_text(value))
        sizes = jobs.get(measure) if measure else None
        if sizes is None:
            made.append(Cell(value, outputs))
        elif not sizes.ok:
            made.append(Cell(value, outputs, problem=_failure(jobs, sizes)))
        else:
            made.append(Cell(value, outputs, *_measured(sizes.outputs)))
    return made


def _failure(jobs: dict[str, Any], job: Any) -> str:
    failed = next((j for j in jobs.values() if j.status == "failed"), job)
    if failed is None:
        return "no result"
    return f"{failed.node.id} {failed.status}: {failed.error}"[:200] if failed.error else \
        f"{failed.node.id} {failed.status}"


def _measured(outputs: dict[str, list[Path]]) -> tuple[int | None, float | None, str]:
    """Count, mean ECD and its unit from the summary (or, without one, the objects table)."""
    summary = outputs.get("summary")
    if summary:
        with Path(summary[0]).open(newline="", encoding="utf-8") as handle:
            row = next((r for r in csv.DictReader(handle) if r.get("quantity") == _SIZE), None)
        if row is not None:
            return int(float(row["count"] or 0)), _number(row.get("mean")), row.get("unit") or ""
    table = outputs.get("table")
    if not table:
        return None, None, ""
    with Path(table[0]).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    column = next((c for c in (rows[0] if rows else {}) if c.startswith(f"{_SIZE}_")), None)
    sizes = [n for r in rows if column and (n := _number(r[column])) is not None]
    mean = sum(sizes) / len(sizes) if sizes else None
    return len(rows), mean, column.removeprefix(f"{_SIZE}_") if column else ""


def _number(text: str | None) -> float | None:
    try:
        number = float(text or "")
    except ValueError:
        return None
    return number if math.isfinite(number) else None
