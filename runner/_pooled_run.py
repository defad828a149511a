"""Run one workflow node's module once more, on inputs the runner made (a pooled table).

The run is an ordinary node run: the node's module, version and parameters in a worker
process of the local backend, its result stored in the cache under the key a node with
these inputs would have. So a pooled plot is drawn by the very code that draws each
image's plot, and a re-run with the same images reuses it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from lamella.core.cache_keys import file_digest, node_key
from lamella.core.catalog import sdk_digest
from lamella.core.graph import ResolvedNode
from lamella.core.sdk import LOG_FILE, TaskResources, prepare_task_folder
from lamella.runner.backends import LocalBackend, NodeResult, NodeRun
from lamella.runner.cache import CacheStore
from lamella.runner.engine import log_tail, result_meta

__all__ = ["NodeRerun", "rerun_node"]

_POLL_S = 0.5


@dataclass
class NodeRerun:
    """How the run went: output files per port (in the cache) or a one-line error."""

    outputs: dict[str, list[Path]] = field(default_factory=dict)
    error: str = ""
    cached: bool = False


def rerun_node(node: ResolvedNode, inputs: dict[str, list[Path]], *, store: CacheStore,
               scratch: Path, run_id: str, workflow: str, use_cache: bool) -> NodeRerun:
    """Run ``node``'s module on ``inputs`` (port -> files) in ``scratch``; see the module docstring.

    ``scratch`` is a folder of the cache's scratch space the caller holds
    (:meth:`CacheStore.new_run_dir`), so the finished task folder is moved into the store
    in one rename.
    """
    digests = {port: [file_digest(path) for path in paths] for port, paths in inputs.items()}
    entry = node.entry
    key, components = node_key(module_id=entry.manifest.id, version=entry.manifest.version,
                               module_digest=entry.digest, params=node.params, inputs=digests,
                               sdk_digest=sdk_digest())
    stored = store.get(key) if use_cache else None
    if stored is not None:
        return NodeRerun(stored.outputs, cached=True)
    task_dir = scratch / f"pooled-{node.id}"
    result = _run(node, inputs, task_dir)
    if not result.ok:
        last = log_tail(task_dir / LOG_FILE, lines=1)
        return NodeRerun(error=result.error + (f" (log: {last[0].strip()})" if last else ""))
    committed = store.commit(key, task_dir, {
        "key": key, "components": components, **result_meta(task_dir, result), "run_id": run_id,
        "node": f"{node.id} (pooled)", "workflow": workflow, "created": time.time()},
        replace=not use_cache)
    return NodeRerun(committed.outputs)


def _run(node: ResolvedNode, inputs: dict[str, list[Path]], task_dir: Path) -> NodeResult:
    """Run the module in one worker process and wait for its end."""
    manifest = node.entry.manifest
    backend = LocalBackend(1)
    try:
        granted = TaskResources(threads=backend.capabilities.threads_per_slot,
                                memory_gb=manifest.resources.memory_gb)
        # Copies, not links: the inputs are the runner's own files, outside the cache.
        prepare_task_folder(task_dir, node=node.id, manifest=manifest, inputs=inputs,
                            params=node.params, resources=granted, copied=set(inputs))
        log = task_dir / LOG_FILE
        log.touch()
        job_id = f"pooled/{node.id}"
        backend.submit(NodeRun(job_id, node.id, "pooled", manifest, node.entry.folder, task_dir, log))
        while True:
            for update in backend.poll(_POLL_S):
                if isinstance(update, NodeResult) and update.job_id == job_id:
                    return update
    finally:
        backend.close()
