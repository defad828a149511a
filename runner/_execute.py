"""One run from start to end: results folder, scratch space, backend, engine, record.

:func:`execute` serves :meth:`Analysis.run` (which gets a backend made for the run and
closed after it) and :class:`Session` runs (which lend their warm backend). However the run
ends, this run's results replace the previous run's in one commit step, except when it was
cancelled: then the results folder stays as the previous ended run left it, and the
cancelled run's record goes to ``.lamella-cancelled-run.json`` beside them.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lamella.core.events import RunEvent
from lamella.core.graph import WorkflowGraph
from lamella.core.workflow import Workflow
from lamella.runner._arguments import check_out_outside_cache
from lamella.runner._combine import combine_tables
from lamella.runner._pooled import pool_batch
from lamella.runner._progress import BatchProgress
from lamella.runner._results import RunResult
from lamella.runner._sweep import RunPlan
from lamella.runner._sweep_tables import combine_sweep
from lamella.runner.backends import Backend, BackendOptions, create_backend
from lamella.runner.cache import CacheStore
from lamella.runner.engine import Engine, FileDigests, OutputFolder, build_record, record_text

__all__ = ["CANCELLED_RECORD", "RunSpec", "execute", "new_run_id"]

CANCELLED_RECORD = ".lamella-cancelled-run.json"


@dataclass
class RunSpec:
    """Everything that says what one run does (checked already)."""

    graph: WorkflowGraph
    plan: RunPlan
    batch: bool
    out_dir: Path
    jobs: int
    use_cache: bool
    emit: Callable[[RunEvent], None]
    targets: list[str] = field(default_factory=list)
    backend: str = "local"
    gpu_ids: tuple[str, ...] | None = None
    docker_hosts: tuple[str, ...] = ()
    memory_gb: float | None = None  # a container memory limit for every node
    registry: str | None = None  # where images reach remote Docker hosts through
    # A session's preview: its results folder is the session's own, inside the cache's scratch.
    preview: bool = False


def new_run_id() -> str:
    """A run id: sortable by start time, unique."""
    return time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def execute(spec: RunSpec, *, store: CacheStore, backend: Backend | None = None,
            cancel: threading.Event | None = None, digests: FileDigests | None = None,
            run_id: str | None = None) -> RunResult:
    """Run ``spec``; with no ``backend`` one is made for this run and closed after it."""
    run_id = run_id or new_run_id()
    items = spec.plan.items
    # Every item of a batch or a sweep has its own folder.
    foldered = spec.batch or spec.plan.sweep is not None
    if not spec.preview:
        check_out_outside_cache(spec.out_dir, store.root)
    out = OutputFolder.open(spec.out_dir, batch=foldered, run_id=run_id,
                            items=[i.name for i in items], outputs=list(spec.graph.outputs))
    try:
        scratch = store.new_run_dir(run_id)
        try:
            own = backend is None
            used = backend or create_backend(spec.backend, BackendOptions(
                spec.jobs, scratch, spec.gpu_ids, hosts=spec.docker_hosts, memory_gb=spec.memory_gb,
                registry=spec.registry))
            try:
                engine = Engine(spec.graph, items, backend=used, store=store, out=out, run_id=run_id,
                                use_cache=spec.use_cache, emit=_emitter(spec), targets=spec.targets,
                                cancel=cancel, digests=digests)
                return _run(spec, engine, out)
            finally:
                if own:
                    used.close()
        finally:
            store.release_run_dir(run_id)
    finally:
        out.close()


def _emitter(spec: RunSpec) -> Callable[[RunEvent], None]:
    if not spec.batch:
        return spec.emit
    # A batch adds 'batch_progress' events: images done, failed, time left.
    return BatchProgress(spec.emit, items=[item.name for item in spec.plan.items],
                         nodes=len(spec.graph.needed_for(spec.targets) if spec.targets
                                   else spec.graph.order))


def _run(spec: RunSpec, engine: Engine, out: OutputFolder) -> RunResult:
    started = time.time()
    engine.announce(RunEvent("run_started", engine.run_id, detail={
        "workflow": spec.graph.workflow.name, "items": len(spec.plan.items),
        "nodes": len({j.node.id for j in engine.jobs}), "backend": engine.backend.capabilities.name,
        "jobs": spec.jobs, "out_dir": str(out.root), "targets": spec.targets}))
    status = "interrupted"
    try:
        engine.run()
        status = ("cancelled" if engine.cancelled
                  else "succeeded" if all(j.ok for j in engine.jobs) else "failed")
    except Exception:
        status = "error"
        raise
    finally:
        ended = _end(spec, engine, out, status, started)
    return ended


def _end(spec: RunSpec, engine: Engine, out: OutputFolder, status: str, started: float) -> RunResult:
    """Commit (or, cancelled, set aside) the run's results and record; say it ended."""
    _settle(engine)
    if status == "cancelled":
        return _set_aside(spec, engine, out, started)
    combined, pooled, cut_short = _batch_results(spec, engine, out, status)
    status = "interrupted" if cut_short else status
    record = _record(spec, engine, out, status, started)
    if combined:
        record["combined"] = {name: str(path.relative_to(out.root)) for name, path in combined.items()}
    if pooled is not None:
        record["pooled"] = pooled.record(out.root)
    record_path = out.commit(record_text(record))
    engine.announce(RunEvent("run_finished", engine.run_id, message=status,
                               detail=_counts(engine, record_path)))
    if cut_short:
        raise KeyboardInterrupt  # after the commit, as for an interruption during the run
    return RunResult(engine.run_id, status, out.root, record_path, record, engine.published,
                     combined, engine.jobs, batch=out.batch, sweep=spec.plan.sweep,
                     pooled=pooled.files if pooled is not None else {})


def _settle(engine: Engine) -> None:
    """Give every job an end state, also when a second interruption cut the engine's own short.

    A KeyboardInterrupt inside the engine's cleanup (a second Ctrl-C in Python) can leave
    jobs ``running`` or ``waiting``; a record only ever holds the documented end states.
    """
    for job in engine.jobs:
        if job.status == "running":
            job.status = "cancelled" if engine.cancelled else "interrupted"
        elif job.status == "waiting":
            job.status = "not_started"


def _batch_results(spec: RunSpec, engine: Engine, out: OutputFolder, status: str):  # type: ignore[no-untyped-def]
    """Combined tables of a batch or sweep, and a plain batch's pooled results."""
    graph, plan = spec.graph, spec.plan
    combined = (combine_sweep(graph, plan.sweep, out, engine.published) if plan.sweep
                else combine_tables(graph, plan.items, out, engine.published) if spec.batch else {})
    if not spec.batch or plan.sweep is not None or spec.targets or status not in ("succeeded", "failed"):
        return combined, None, False
    pooled, cut_short = pool_batch(graph, engine.jobs, out, backend=engine.backend,
                                   store=engine.store, run_id=engine.run_id,
                                   use_cache=spec.use_cache)
    return combined, pooled, cut_short


def _set_aside(spec: RunSpec, engine: Engine, out: OutputFolder, started: float) -> RunResult:
    """A cancelled run: the results folder is left alone; the record goes beside it."""
    record = _record(spec, engine, out, "cancelled", started)
    record_path = out.root / CANCELLED_RECORD
    temporary = out.root / f"{CANCELLED_RECORD}.{engine.run_id}.tmp"
    temporary.write_text(record_text(record), encoding="utf-8")
    temporary.replace(record_path)
    engine.announce(RunEvent("run_finished", engine.run_id, message="cancelled",
                               detail=_counts(engine, record_path)))
    return RunResult(engine.run_id, "cancelled", out.root, record_path, record, {}, {},
                     engine.jobs, batch=out.batch, sweep=spec.plan.sweep)


def _record(spec: RunSpec, engine: Engine, out: OutputFolder, status: str,
            started: float) -> dict[str, Any]:
    record = build_record(
        run_id=engine.run_id, workflow=workflow_identity(spec.graph.workflow),
        backend=engine.backend.capabilities.as_record(), jobs_setting=spec.jobs, started=started,
        finished=time.time(), status=status, jobs=engine.jobs,
        outputs=_relative_paths(engine.published, out.root) if status != "cancelled" else {},
        out_dir=out.root)
    record.update(spec.plan.record())
    record["targets"] = list(spec.targets)
    return record


def _counts(engine: Engine, record_path: Path) -> dict[str, object]:
    counts: dict[str, object] = {}
    for job in engine.jobs:
        counts[job.status] = int(counts.get(job.status, 0)) + 1  # type: ignore[call-overload]
    return {**counts, "record": str(record_path)}


def workflow_identity(workflow: Workflow) -> dict[str, object]:
    """Name, path and content hash of the workflow, as the record names it."""
    # The editor's layout and groups (backdrops with notes) do not change results, so they
    # are left out of the hash.
    content = workflow.model_dump(mode="json", by_alias=True, exclude={"layout", "groups"})
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return {"name": workflow.name, "path": str(workflow.source) if workflow.source else None,
            "sha256": digest}


def _relative_paths(files: dict[str, dict[str, list[Path]]],
                    out_dir: Path) -> dict[str, dict[str, list[str]]]:
    """Published results, relative to the results folder (the record travels with it)."""
    return {item: {name: [str(p.relative_to(out_dir)) for p in paths] for name, paths in outputs.items()}
            for item, outputs in files.items()}
