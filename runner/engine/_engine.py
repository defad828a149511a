"""The engine: runs a validated graph for one or many items on a backend.

It decides what can run (upstream done), what need not run (cache hit), describes the
rest to the backend as run requests (module, parameters, inputs by digest, resources),
starts each when the backend has its resources free, stores the artifacts that come back,
publishes workflow outputs and emits one event for every change of a node's state. A
failed node skips only its dependants; independent branches and other items go on.

A run may stop at target nodes (only they and what they read run) and may be cancelled
from another thread through a ``threading.Event``: running nodes are stopped and end as
``cancelled``.

Modules must not write to their inputs. A backend reports an input a module changed; the
engine fails that node and checks the stored result it read, which is discarded (and
made again) if it was damaged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from lamella.core.cache_keys import changed_components, node_key
from lamella.core.catalog import sdk_digest
from lamella.core.events import EventKind, RunEvent
from lamella.core.graph import WorkflowGraph
from lamella.runner.backends import Backend, ModuleIdentity, NodeProgress, NodeResult, RunRequest
from lamella.runner.cache import CacheEntry, CacheStore
from lamella.runner.engine._items import RunItem
from lamella.runner.engine._jobs import Job
from lamella.runner.engine._points import node_for
from lamella.runner.engine._publish import OutputFolder
from lamella.runner.engine._requests import FileDigests, failure_message, module_identity, run_request

__all__ = ["Engine", "EventSink", "log_tail"]

EventSink = Callable[[RunEvent], None]
_POLL_S = 0.2  # also how soon a cancel from another thread is seen


class Engine:
    """Run ``graph`` for each of ``items``; see the module docstring."""

    def __init__(self, graph: WorkflowGraph, items: list[RunItem], *, backend: Backend,
                 store: CacheStore, out: OutputFolder, run_id: str, use_cache: bool,
                 emit: EventSink, targets: list[str] | None = None,
                 cancel: threading.Event | None = None, digests: FileDigests | None = None) -> None:
        self.graph, self.items, self.backend, self.store = graph, items, backend, store
        self.out, self.run_id, self.use_cache, self._emit_sink = out, run_id, use_cache, emit
        order = {node_id: i for i, node_id in enumerate(graph.order)}
        needed = graph.needed_for(targets) if targets else set(graph.order)
        self.jobs = [Job(item, node_for(graph.nodes[n], item), order[n])
                     for item in items for n in graph.order if n in needed]
        self._by_id = {job.id: job for job in self.jobs}
        self._running: dict[str, Job] = {}  # backend job id -> job
        self._requests: dict[str, tuple[RunRequest, str | None]] = {}  # job id -> request, refusal
        self._cancel = cancel or threading.Event()
        self.cancelled = False
        self._digests = digests or FileDigests()
        # The job that ran for each cache key: items doing the same work (a sweep's shared
        # upstream steps, identical images) run it once and reuse its result.
        self._makers: dict[str, Job] = {}
        self._prepared = False
        # Result files copied to the output folder: item -> output name -> paths.
        self.published: dict[str, dict[str, list[Path]]] = {item.name: {} for item in items}

    # ----- main loop --------------------------------------------------------------------
    def run(self) -> list[Job]:
        """Run every job to an end state; return the jobs.

        The backend stays open (the caller owns it); nodes still running when the run
        ends early (interrupted, cancelled) are stopped.
        """
        try:
            for job in self.jobs:
                self._emit("node_queued", job)
            while not all(job.done for job in self.jobs):
                if self._cancel.is_set():
                    self.cancelled = True
                    break
                self._start_ready_jobs()
                if not any(job.status == "running" for job in self.jobs):
                    # With nothing running, one pass settles every ready job; if jobs are
                    # still waiting now, their inputs can never arrive.
                    self._skip_unreachable()
                    continue
                for update in self.backend.poll(_POLL_S):
                    self._handle(update)
        finally:
            self._end_unfinished()
            self._order_published()
        return self.jobs

    def _end_unfinished(self) -> None:
        """After an interruption or a cancel: nodes cut short keep their log so far."""
        for backend_id, job in list(self._running.items()):
            self.backend.cancel(backend_id)
            job.status = "cancelled" if self.cancelled else "interrupted"
            job.finished = time.time()
            if job.log is not None:
                job.log = self.out.publish_log(job.item.name, job.node.id, job.log) or job.log
            self.backend.release(backend_id)
            if self.cancelled:
                self._emit("node_cancelled", job, message="cancelled")
        self._running.clear()
        for job in self.jobs:
            if not job.done:
                job.status = "not_started"

    def _order_published(self) -> None:
        # Outputs are published as nodes finish; list them in the workflow's declared order.
        declared = list(self.graph.outputs)
        for item, files in self.published.items():
            self.published[item] = {n: files[n] for n in declared if n in files}

    def _start_ready_jobs(self) -> None:
        for job in self.jobs:  # already in (item, topological) priority order
            if job.status != "waiting" or not self._upstream_ok(job):
                continue
            self._prepare_key(job)
            if self._being_made(job):
                continue  # another item is making this very result: reuse it once made
            entry = self._made_here(job) or (self.store.get(job.key) if self.use_cache else None)
            if entry is not None:
                self._reuse(job, entry)
                continue
            request, refusal = self._request(job)
            if refusal is not None:
                self._fail(job, f"node '{job.where(batch=self.out.batch)}': {refusal}", None)
            elif self.backend.can_start(request) and self._inputs_sound(job):
                self._submit(job, request)

    def _request(self, job: Job) -> tuple[RunRequest, str | None]:
        """The job's run request and why the backend could never run it, made once per job."""
        if job.id not in self._requests:
            request = run_request(job, backend_id=f"{self.run_id}/{job.id}",
                                  user_ports=self._user_file_ports(job))
            self._requests[job.id] = request, self.backend.refusal(request)
        return self._requests[job.id]

    def _being_made(self, job: Job) -> bool:
        maker = self._makers.get(job.key)
        return maker is not None and maker.status == "running"

    def _made_here(self, job: Job) -> CacheEntry | None:
        """The result another item of this run made with the same key (also with --no-cache)."""
        maker = self._makers.get(job.key)
        return maker.entry if maker is not None and maker.status == "finished" else None

    def _skip_unreachable(self) -> None:
        for job in self.jobs:
            if not job.done and not self._upstream_ok(job):
                job.status = "skipped"
                self._emit("node_skipped", job, message="skipped: an upstream node did not finish")

    def _upstream_ok(self, job: Job) -> bool:
        return all(self._job_for(job, n).ok for n in self.graph.upstream(job.node.id))

    def _user_file_ports(self, job: Job) -> set[str]:
        """Input ports wired to workflow inputs: they receive the user's own files."""
        return {port for port, wire in job.node.wires.items() if wire.is_workflow_input}

    def _sources(self, job: Job) -> dict[str, Job]:
        """Input port -> the job whose stored result feeds it (workflow inputs left out)."""
        return {port: self._job_for(job, wire.node or "") for port, wire in job.node.wires.items()
                if not wire.is_workflow_input}

    def _job_for(self, job: Job, node_id: str) -> Job:
        """The job of ``node_id`` for the same item as ``job``."""
        return self._by_id[f"{job.item.name}/{node_id}"]

    def _has_job(self, job: Job, node_id: str) -> bool:
        """False for a node this run leaves out (it is past the run's targets)."""
        return f"{job.item.name}/{node_id}" in self._by_id

    # ----- cache ------------------------------------------------------------------------
    def _prepare_key(self, job: Job) -> None:
        if job.key:
            return
        for port, wire in job.node.wires.items():
            if wire.is_workflow_input:
                path = job.item.inputs[wire.port]
                job.input_files[port], job.input_digests[port] = [path], [self._digests.of(path)]
            else:
                source = self._job_for(job, wire.node or "")
                job.input_files[port] = source.outputs[wire.port]
                job.input_digests[port] = source.output_digests[wire.port]
        entry = job.node.entry
        job.key, job.components = node_key(
            module_id=entry.manifest.id, version=entry.manifest.version,
            module_digest=entry.digest, params=job.node.params, inputs=job.input_digests,
            sdk_digest=sdk_digest())

    def _history_id(self, job: Job) -> str:
        return f"{self.graph.workflow.name}/{job.item.name}/{job.node.id}"

    def _why_run(self, job: Job) -> str:
        if not self.use_cache:
            return "ran: --no-cache given, the cache was not consulted"
        previous = self.store.previous_components(self._history_id(job))
        if previous is None:
            return "ran: no earlier run of this node is in the cache"
        reasons = changed_components(previous, job.components)
        if not reasons:
            return "ran: its earlier result is no longer in the cache (cleared, or found damaged)"
        return "ran: " + "; ".join(reasons)

    def _reuse(self, job: Job, entry: CacheEntry) -> None:
        job.status, job.outputs, job.output_digests = "cached", entry.outputs, entry.output_digests
        job.entry = entry
        job.log = entry.log
        job.take_notes(entry.meta)
        made_by = entry.meta.get("run_id")
        job.reason = ("reused: same module, parameters and inputs as "
                      + ("an item earlier in this run" if made_by == self.run_id else f"run {made_by}"))
        self.store.remember_components(self._history_id(job), job.components)
        self._publish(job)
        self._emit("node_cached", job, detail={"key": job.key, "reason": job.reason,
                                               **job.notes_detail()})

    # ----- running ----------------------------------------------------------------------
    def _submit(self, job: Job, request: RunRequest) -> None:
        if not self._running and not self._prepared:
            self._prepare_backend()
        job.reason = self._why_run(job)
        placement = self.backend.submit(request)
        job.placement, job.log = placement, placement.log
        job.status, job.started = "running", time.time()
        self._running[request.job_id] = job
        self._makers[job.key] = job
        self._emit("node_started", job, detail={
            "reason": job.reason, "backend": self.backend.capabilities.name,
            "host": placement.host, "gpu_ids": list(placement.gpu_ids),
            **({"image": placement.image} if placement.image else {})})

    def _prepare_backend(self) -> None:
        """Tell the backend which modules are still to run, once something must run at all.

        A run whose every node comes from the cache never gets here, so it starts no worker.
        """
        self._prepared = True
        modules: dict[Path, ModuleIdentity] = {}
        for job in self.jobs:
            if job.status == "waiting":
                modules.setdefault(job.node.entry.folder, module_identity(job))
        self.backend.prepare(list(modules.values()))

    def _handle(self, update: NodeProgress | NodeResult) -> None:
        job = self._running.get(update.job_id)
        if job is None:
            return  # a run this engine stopped
        if isinstance(update, NodeProgress):
            self._emit("node_progress", job, progress=update.fraction, message=update.message)
            return
        del self._running[update.job_id]
        job.log = update.log or job.log
        # Where it ended, which is not where it started if its host was lost and it ran again.
        job.placement = update.placement or job.placement
        try:
            if update.changed_inputs:
                self._fail_for_writing_inputs(job, update)
            elif update.ok:
                self._finish(job, update)
            else:
                self._fail(job, failure_message(job, self._requests[job.id][0], update.error,
                                                batch=self.out.batch), update.exit_status)
        finally:
            self.backend.release(update.job_id)

    def _finish(self, job: Job, result: NodeResult) -> None:
        job.finished = time.time()
        digests = {port: [a.digest for a in files] for port, files in result.output_files().items()}
        entry = self.store.put(job.key, result.artifacts, {
            "key": job.key, "components": job.components, "outputs": result.outputs,
            "output_digests": digests, "resolved": result.resolved, "warnings": result.warnings,
            "metrics": result.metrics, "run_id": self.run_id, "node": job.node.id,
            "workflow": self.graph.workflow.name, "created": job.finished,
            "host": result.placement.host if result.placement else None,
            "image": (result.placement.image or None) if result.placement else None,
        }, log=result.log, replace=not self.use_cache)
        job.status, job.outputs, job.output_digests = "finished", entry.outputs, entry.output_digests
        job.exit_status = 0
        job.entry, job.log = entry, entry.log
        job.take_notes(entry.meta)
        self.store.remember_components(self._history_id(job), job.components)
        self._publish(job)
        self._emit("node_finished", job, detail={"duration_s": round(job.finished - (job.started or 0), 3),
                                                 "key": job.key, "reason": job.reason,
                                                 **job.notes_detail()})

    def _fail(self, job: Job, error: str, exit_status: int | None) -> None:
        job.status, job.error, job.exit_status = "failed", error, exit_status
        job.finished = time.time()
        tail = log_tail(job.log)
        log = self.out.publish_log(job.item.name, job.node.id, job.log) if job.log else None
        job.log = log or job.log
        self._emit("node_failed", job, message=error,
                   detail={"exit_status": exit_status, "log": str(job.log), "log_tail": tail})
        for node_id in sorted(self.graph.downstream(job.node.id), key=self.graph.order.index):
            if not self._has_job(job, node_id):
                continue
            dependant = self._job_for(job, node_id)
            if not dependant.done:
                dependant.status, dependant.skipped_because = "skipped", job.node.id
                self._emit("node_skipped", dependant, message=f"skipped because '{job.node.id}' failed")

    # ----- inputs a module wrote to ------------------------------------------------------
    def _fail_for_writing_inputs(self, job: Job, result: NodeResult) -> None:
        port, name = result.changed_inputs[0]
        manifest = job.node.entry.manifest
        self._fail(job, f"node '{job.where(batch=self.out.batch)}' ({manifest.id} "
                        f"{manifest.version}) wrote to its input '{port}' ({name}); modules "
                        "must not write to their inputs (write new files to outputs/)",
                   result.exit_status)
        for source in self._sources(job).values():
            self._inputs_sound_from(source, damaged_by=job)

    def _inputs_sound(self, job: Job) -> bool:
        """False if a stored result it reads was changed meanwhile (the job waits or is skipped)."""
        return all(self._inputs_sound_from(source) for source in self._sources(job).values())

    def _inputs_sound_from(self, source: Job, damaged_by: Job | None = None) -> bool:
        """Check ``source``'s stored result; if damaged, discard it and skip its readers.

        A result can look changed only because another run on the same cache replaced it
        (``--no-cache``): the store is asked again for a sound entry of the same key and
        content (the new one, or the replaced one the store keeps while runs are on),
        and that one is read instead. Only when there is none was the result damaged.
        """
        if source.entry is None or not source.entry.damaged_files():
            return True
        fresh = self.store.sound_entry(source.key, source.output_digests)
        if fresh is not None:
            return self._read_instead(source, fresh)
        source.entry = None  # the store removed the damaged entry: the next run makes it again
        culprit = f"'{damaged_by.node.id}' wrote to it" if damaged_by else "a module wrote to it"
        for reader in self._readers(source):
            reader.status, reader.skipped_because = "skipped", damaged_by.node.id if damaged_by else ""
            self._emit("node_skipped", reader, message=f"skipped: the result of "
                       f"'{source.node.id}' it reads was changed ({culprit})")
        return False

    def _read_instead(self, source: Job, fresh: CacheEntry) -> bool:
        """Let ``source``'s readers read ``fresh`` (same content); True if nothing else changes.

        When its files are elsewhere (a replaced entry kept in tmp/), readers not yet
        started are described again from the new paths: False, so none starts with the
        old description.
        """
        moved = fresh.outputs != source.outputs
        source.entry, source.outputs = fresh, fresh.outputs
        if moved:
            for reader in self._readers(source):
                reader.key = ""  # the key stays the same: the content is the same
                self._requests.pop(reader.id, None)
        return not moved

    def _readers(self, source: Job) -> list[Job]:
        """Jobs of ``source``'s item, not started yet, that read its result."""
        return [reader for reader in self.jobs
                if reader.status == "waiting" and reader.item == source.item
                and source.node.id in self.graph.upstream(reader.node.id)]

    # ----- outputs and events -----------------------------------------------------------
    def _publish(self, job: Job) -> None:
        if job.log is not None:  # the run record points at the copy beside the results
            job.log = self.out.publish_log(job.item.name, job.node.id, job.log) or job.log
        for name, wire in self.graph.outputs.items():
            if wire.node == job.node.id:
                files = self.out.publish(job.item.name, name, job.outputs[wire.port])
                self.published[job.item.name][name] = files

    def announce(self, event: RunEvent) -> None:
        """Send a run-level event (run started, finished) down the same stream."""
        self._emit_sink(event)

    def _emit(self, kind: EventKind, job: Job, **fields) -> None:  # type: ignore[no-untyped-def]
        manifest = job.node.entry.manifest
        item = job.item.name if self.out.batch else None
        self._emit_sink(RunEvent(kind, self.run_id, node=job.node.id, item=item,
                                 module=manifest.ref, **fields))


def log_tail(log: Path | None, lines: int = 12) -> list[str]:
    """The last ``lines`` lines of a log file (reads only its end)."""
    if log is None or not log.is_file():
        return []
    with log.open("rb") as handle:
        handle.seek(0, 2)
        handle.seek(max(0, handle.tell() - 16384))
        text = handle.read().decode("utf-8", "replace")
    return text.splitlines()[-lines:]
