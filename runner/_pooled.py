"""Pooled batch results: statistics and plots of the objects of all images taken together.

The combined tables of a batch (``OUT/<output>.csv``) list every image's rows side by side;
a per-image summary averaged over images weights a sparse image like a crowded one and has
no meaningful median or D90. Pooled results treat all objects of all images as one
population:

- ``OUT/<output>-pooled.csv`` for every workflow output that is the ``summary`` of a
  ``lamella/measure`` node: the same table (count, mean, median, std, d10, d50, d90 per
  quantity), computed by the same code (:func:`lamella.core.sdk.stats.summary_rows`) from
  that node's per-object tables of every image;
- ``OUT/<output>-pooled.png`` and ``.svg`` for every workflow output that is the ``plot``
  of a ``lamella/histogram`` node: that node's module, with its parameters, run on the
  objects of every image (see :mod:`lamella.runner._pooled_run`).

Only images whose every node finished (ran or was reused) are pooled. The run record's
``pooled`` section lists the images pooled, those left out and why, the files, and the
outputs that could not be pooled and why.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lamella.core.graph import ResolvedNode, WorkflowGraph
from lamella.core.sdk.stats import SUMMARY_COLUMNS, summary_rows, table_unit
from lamella.runner._combine import image_label, read_tables, to_csv
from lamella.runner._files import path_within
from lamella.runner._outcome import item_failures
from lamella.runner._pooled_run import rerun_node
from lamella.runner.backends import Backend
from lamella.runner.cache import CacheStore
from lamella.runner.engine import Job, OutputFolder, RunItem
from lamella.runner.engine._publish import file_suffix

__all__ = ["Pooled", "pool_batch", "pool_results", "pool_targets"]

Kind = Literal["summary", "histogram"]
_MEASURE, _HISTOGRAM = "lamella/measure", "lamella/histogram"


@dataclass
class Pooled:
    """What pooling made: files per output, the images pooled and left out, and notes."""

    files: dict[str, list[Path]] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)  # image -> why it was left out
    notes: dict[str, str] = field(default_factory=dict)  # output -> why it was not pooled

    def record(self, root: Path) -> dict[str, Any]:
        """The run record's ``pooled`` section (paths relative to the results folder)."""
        return {"images": self.images, "excluded": self.excluded,
                "files": {name: [path_within(p, root) for p in paths]
                          for name, paths in self.files.items()},
                "not_pooled": self.notes}


@dataclass(frozen=True)
class _Target:
    output: str
    kind: Kind
    node: ResolvedNode


def pool_targets(graph: WorkflowGraph) -> list[_Target]:
    """Workflow outputs that get a pooled result, in declared order."""
    targets = []
    for output, wire in graph.outputs.items():
        node = graph.nodes[wire.node or ""]
        module = node.entry.manifest.id
        if module == _MEASURE and wire.port == "summary":
            targets.append(_Target(output, "summary", node))
        elif module == _HISTOGRAM and wire.port == "plot":
            targets.append(_Target(output, "histogram", node))
    return targets


def pool_batch(graph: WorkflowGraph, jobs: list[Job], out: OutputFolder, *, backend: Backend,
               store: CacheStore, run_id: str, use_cache: bool) -> tuple[Pooled | None, bool]:
    """:func:`pool_results`, and whether Ctrl-C (or SIGTERM) cut it short.

    Cut short, nothing is pooled and the caller still commits the run's other results.
    """
    try:
        return pool_results(graph, jobs, out, backend=backend, store=store, run_id=run_id,
                            use_cache=use_cache), False
    except KeyboardInterrupt:
        return None, True


def pool_results(graph: WorkflowGraph, jobs: list[Job], out: OutputFolder, *, backend: Backend,
                 store: CacheStore, run_id: str, use_cache: bool) -> Pooled | None:
    """Write the pooled results of a finished batch into ``out``; None if it has none to make."""
    targets = pool_targets(graph)
    if not targets:
        return None
    items, excluded = _split_items(jobs)
    pooled = Pooled(images=[item.name for item in items], excluded=excluded)
    by_id = {(job.item.name, job.node.id): job for job in jobs}
    for target in targets:
        if not items:
            pooled.notes[target.output] = "no image finished"
        elif (as_run := _as_run(target, items, by_id)) is None:
            pooled.notes[target.output] = ("its images ran with different parameters (a sweep); "
                                           "only a plain batch is pooled")
        elif as_run.kind == "summary":
            _pool_summary(as_run, _own_tables(as_run.node, "table", items, by_id), out, pooled)
        else:
            _pool_histogram(as_run, _fed_tables(as_run.node, "table", items, by_id), out, pooled,
                            backend=backend, store=store, run_id=run_id, use_cache=use_cache,
                            workflow=graph.workflow.name)
    return pooled


def _as_run(target: _Target, items: list[RunItem], by_id: dict[tuple[str, str], Job]) -> _Target | None:
    """The target with the node as its images ran it (values given for the run included).

    None when the images ran any node with different parameter values (a sweep): their
    objects are not one population.
    """
    nodes = {node_id for _, node_id in by_id}
    for node_id in nodes:
        params = [by_id[(item.name, node_id)].node.params for item in items]
        if any(p != params[0] for p in params):
            return None
    return _Target(target.output, target.kind, by_id[(items[0].name, target.node.id)].node)


def _split_items(jobs: list[Job]) -> tuple[list[RunItem], dict[str, str]]:
    """Items whose every node finished, and the others with why (one line each)."""
    problems = item_failures(jobs)
    items = {job.item.name: job.item for job in jobs}
    return [item for name, item in items.items() if name not in problems], problems


def _own_tables(node: ResolvedNode, port: str, items: list[RunItem],
                by_id: dict[tuple[str, str], Job]) -> list[tuple[str, Path]]:
    """(image label, file) of ``node``'s output ``port`` for every item."""
    return [(image_label(item), by_id[(item.name, node.id)].outputs[port][0]) for item in items]


def _fed_tables(node: ResolvedNode, port: str, items: list[RunItem],
                by_id: dict[tuple[str, str], Job]) -> list[tuple[str, Path]]:
    """(image label, file) of what fed ``node``'s input ``port`` for every item."""
    wire = node.wires[port]
    if wire.is_workflow_input:
        return [(image_label(item), item.inputs[wire.port]) for item in items]
    return _own_tables(node=by_id[(items[0].name, wire.node or "")].node, port=wire.port,
                       items=items, by_id=by_id)


# ----- summaries -------------------------------------------------------------------------
def _pool_summary(target: _Target, tables: list[tuple[str, Path]], out: OutputFolder,
                  pooled: Pooled) -> None:
    if target.node.params.get("labels_are") == "classes":
        pooled.notes[target.output] = ("phase fraction tables (labels_are 'classes') are not "
                                       "pooled; see the combined table")
        return
    units = {table_unit(_header(path)) for _, path in tables}
    if len(units) != 1 or None in units:
        shown = ", ".join(sorted(u for u in units if u)) or "none"
        pooled.notes[target.output] = (f"the images' tables are not in one length unit ({shown}); "
                                       "give every image the same pixel size unit")
        return
    header, rows = read_tables(tables)
    columns = {name: [_number(row[i]) for row in rows] for i, name in enumerate(header) if i}
    summary = summary_rows(columns, unit=units.pop() or "")
    text = to_csv(list(SUMMARY_COLUMNS), [[_cell(row[c]) for c in SUMMARY_COLUMNS] for row in summary])
    pooled.files[target.output] = [out.write_text(f"{target.output}-pooled.csv", text)]


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle), [])


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan  # an empty cell


def _cell(value: object) -> str:
    """A value as the measure module's CSV writes it (pandas: repr of floats, NaN empty)."""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


# ----- histograms ------------------------------------------------------------------------
def _pool_histogram(target: _Target, tables: list[tuple[str, Path]], out: OutputFolder,
                    pooled: Pooled, *, backend: Backend, store: CacheStore, run_id: str,
                    use_cache: bool, workflow: str) -> None:
    header, rows = read_tables(tables)
    if not header:
        pooled.notes[target.output] = "the images' tables are empty"
        return
    scratch = store.new_run_dir(f"{run_id}-pooled-{target.output}")
    try:
        table = scratch / f"{target.output}-pooled-table.csv"
        table.write_text(to_csv(header, rows), encoding="utf-8")
        done = rerun_node(target.node, {"table": [table]}, backend=backend, store=store,
                          run_id=run_id, workflow=workflow, use_cache=use_cache)
    finally:
        store.release_run_dir(f"{run_id}-pooled-{target.output}")
    if done.error:
        pooled.notes[target.output] = f"the pooled plot failed: {done.error}"
        return
    pooled.files[target.output] = [out.add_file(f"{target.output}-pooled{file_suffix(f)}", f)
                                   for f in done.outputs.get("plot", [])]
