"""The Python API, for notebooks and scripts (the CLI uses it too).

>>> from lamella.runner import Analysis                                      # doctest: +SKIP
>>> analysis = Analysis.load("examples/workflows/nanoparticle-size-distribution.yaml")
>>> result = analysis.run(inputs={"image": "my.tif"}, out="results/my")
>>> result.table("sizes").describe()
>>> batch = analysis.run(batch="data/*.tif", out="results/batch")
>>> batch.table("sizes")            # all images, with an 'image' column
>>> sweep = analysis.run(sweep={"segment.method": ["otsu", "li"]}, out="results/sweep")
>>> sweep.table("sizes", point={"segment.method": "li"})
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from lamella.core.catalog import Catalog
from lamella.core.events import RunEvent
from lamella.core.graph import WorkflowGraph, build_graph
from lamella.core.workflow import Workflow, load_workflow
from lamella.runner._arguments import (
    ArgumentError,
    check_batch,
    check_callback,
    check_flag,
    check_inputs,
    check_jobs,
    check_modules,
    check_path,
    require_path,
)
from lamella.runner._combine import combine_tables
from lamella.runner._overrides import check_params, check_sweep
from lamella.runner._pooled import pool_batch
from lamella.runner._progress import BatchProgress
from lamella.runner._results import RunResult
from lamella.runner._sweep import RunPlan, plan_run
from lamella.runner._sweep_tables import combine_sweep
from lamella.runner._validation import Validation
from lamella.runner.backends import LocalBackend
from lamella.runner.cache import CacheStore, default_cache_dir
from lamella.runner.engine import (
    Engine,
    OutputFolder,
    RunItem,
    batch_items,
    build_record,
    record_text,
    single_item,
)

__all__ = ["Analysis", "ArgumentError"]


class Analysis:
    """A workflow bound to the modules that run it.

    Parameters
    ----------
    workflow
        The workflow document (see :func:`lamella.core.workflow.load_workflow`).
    catalog
        Where modules are found; defaults to built-in modules plus ``LAMELLA_MODULE_PATH``.
    """

    def __init__(self, workflow: Workflow, catalog: Catalog | None = None) -> None:
        self.workflow = workflow
        self.catalog = catalog or Catalog.discover()

    @classmethod
    def load(cls, path: str | Path, *, modules: str | Path | Iterable[str | Path] = ()) -> Analysis:
        """Load a workflow file; ``modules`` adds module folders (like ``--modules``).

        Raises :class:`ArgumentError` for an argument of the wrong kind.
        """
        workflow_path = require_path("path", path, what="a workflow file path")
        return cls(load_workflow(workflow_path), Catalog.discover(check_modules(modules)))

    @cached_property
    def graph(self) -> WorkflowGraph:
        """The validated graph; raises WorkflowValidationError listing every problem."""
        return build_graph(self.workflow, self.catalog)

    def validate(self) -> Validation:
        """Check the workflow against the modules without running anything.

        Returns the validated graph as a :class:`Validation` (true, ``ok``, a short repr,
        ``branches()``); raises WorkflowValidationError listing every problem.
        """
        return Validation.of(self.graph)

    def run(self, *, inputs: Mapping[str, str | Path] | None = None, batch: str | None = None,
            params: Mapping[str, Any] | None = None,
            sweep: Mapping[str, Sequence[Any]] | None = None,
            out: str | Path | None = None, jobs: int | None = None, use_cache: bool = True,
            cache_dir: str | Path | None = None,
            on_event: Callable[[RunEvent], None] | None = None) -> RunResult:
        """Run the workflow once, or once per file matching ``batch`` (``GLOB`` or ``NAME=GLOB``).

        Results go to ``out`` (default ``results/<workflow name>``), replacing the results
        of the run before. Nodes whose module, parameters and input content match an earlier
        run are reused from the cache unless ``use_cache`` is false. Returns the
        :class:`RunResult` also when nodes failed; raises :class:`ArgumentError` for a wrong
        argument before anything runs.

        ``params`` sets parameter values over the workflow's (``{'segment.method': 'li'}``);
        ``sweep`` runs every combination of the values listed (``{'segment.method': ['otsu',
        'li']}``), each point's results in ``out/<node.param>=<value>/``, in one run whose
        unchanged upstream steps run once. Values are checked as the workflow's are.
        """
        given, pattern = check_inputs(inputs), check_batch(batch)
        overrides, grid = check_params(params), check_sweep(sweep)
        out_dir = check_path("out", out) or Path("results") / _safe_name(self.workflow.name)
        jobs = check_jobs(jobs) or os.cpu_count() or 1
        use_cache = check_flag("use_cache", use_cache)
        cache_root = check_path("cache_dir", cache_dir) or default_cache_dir()
        emit = check_callback("on_event", on_event) or (lambda event: None)
        graph = self.graph
        items = (batch_items(self.workflow, pattern, given) if pattern is not None
                 else [single_item(self.workflow, given)])
        plan = plan_run(graph, items, params=overrides, grid=grid, batch=pattern is not None)
        return _execute(graph, plan.items, batch=pattern is not None, out_dir=out_dir, jobs=jobs,
                        use_cache=use_cache, store=CacheStore(cache_root), emit=emit, plan=plan)


def _execute(graph: WorkflowGraph, items: list[RunItem], *, batch: bool, out_dir: Path, jobs: int,
             use_cache: bool, store: CacheStore, emit: Callable[[RunEvent], None],
             plan: RunPlan) -> RunResult:
    run_id = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
    # Every item of a batch or a sweep has its own folder.
    foldered = batch or plan.sweep is not None
    out = OutputFolder.open(out_dir, batch=foldered, run_id=run_id, items=[i.name for i in items],
                            outputs=list(graph.outputs))
    try:
        return _run_into(out, graph, items, batch=batch, jobs=jobs, use_cache=use_cache,
                         store=store, emit=emit, run_id=run_id, plan=plan)
    finally:
        out.close()


def _run_into(out: OutputFolder, graph: WorkflowGraph, items: list[RunItem], *, batch: bool,
              jobs: int, use_cache: bool, store: CacheStore, emit: Callable[[RunEvent], None],
              run_id: str, plan: RunPlan) -> RunResult:
    if batch:  # adds 'batch_progress' events: images done, failed, time left
        emit = BatchProgress(emit, items=[item.name for item in items], nodes=len(graph.order))
    engine = Engine(graph, items, backend=LocalBackend(jobs), store=store, out=out,
                    run_id=run_id, use_cache=use_cache, emit=emit)
    started = time.time()
    emit(RunEvent("run_started", run_id, detail={
        "workflow": graph.workflow.name, "items": len(items), "nodes": len(graph.order),
        "backend": "local", "jobs": jobs, "out_dir": str(out.root)}))
    status = "interrupted"
    try:
        done = engine.run()
        status = "succeeded" if all(j.ok for j in done) else "failed"
    except Exception:
        status = "error"
        raise
    finally:
        # Whatever the end, this run's results replace the previous run's in one step.
        combined = (combine_sweep(graph, plan.sweep, out, engine.published) if plan.sweep
                    else combine_tables(graph, items, out, engine.published) if batch else {})
        pooled, cut_short = (pool_batch(graph, engine.jobs, out, store=store, run_id=run_id,
                                        use_cache=use_cache)
                             if batch and plan.sweep is None and status in ("succeeded", "failed")
                             else (None, False))
        status = "interrupted" if cut_short else status
        record = build_record(
            run_id=run_id, workflow=_workflow_identity(graph.workflow), backend="local",
            jobs_setting=jobs, started=started, finished=time.time(), status=status,
            jobs=engine.jobs, outputs=_relative_paths(engine.published, out.root),
            out_dir=out.root)
        record.update(plan.record())
        if combined:
            record["combined"] = {name: str(path.relative_to(out.root))
                                  for name, path in combined.items()}
        if pooled is not None:
            record["pooled"] = pooled.record(out.root)
        record_path = out.commit(record_text(record))
        emit(RunEvent("run_finished", run_id, message=status, detail=_counts(engine, record_path)))
        if cut_short:
            raise KeyboardInterrupt  # after the commit, as for an interruption during the run
    return RunResult(run_id, status, out.root, record_path, record, engine.published,
                     combined, engine.jobs, batch=out.batch, sweep=plan.sweep,
                     pooled=pooled.files if pooled is not None else {})


def _counts(engine: Engine, record_path: Path) -> dict[str, object]:
    counts: dict[str, object] = {}
    for job in engine.jobs:
        counts[job.status] = int(counts.get(job.status, 0)) + 1  # type: ignore[call-overload]
    return {**counts, "record": str(record_path)}


def _workflow_identity(workflow: Workflow) -> dict[str, object]:
    # The editor layout does not change results, so it is left out of the hash.
    content = workflow.model_dump(mode="json", by_alias=True, exclude={"layout"})
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return {"name": workflow.name, "path": str(workflow.source) if workflow.source else None,
            "sha256": digest}


def _relative_paths(files: dict[str, dict[str, list[Path]]],
                    out_dir: Path) -> dict[str, dict[str, list[str]]]:
    """Published results, relative to the results folder (the record travels with it)."""
    return {item: {name: [str(p.relative_to(out_dir)) for p in paths] for name, paths in outputs.items()}
            for item, outputs in files.items()}


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-") or "workflow"
