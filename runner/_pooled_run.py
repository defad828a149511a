"""Run one workflow node's module once more, on inputs the runner made (a pooled table).

The run is an ordinary node run on the run's own backend: the node's module, version and
parameters, its result stored in the cache under the key a node with these inputs would
have. So a pooled plot is drawn by the very code that draws each image's plot, and a
re-run with the same images reuses it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from lamella.core.cache_keys import file_digest, node_key
from lamella.core.catalog import sdk_digest
from lamella.core.graph import ResolvedNode
from lamella.runner.backends import (
    Backend,
    InputFile,
    ModuleIdentity,
    NodeResult,
    ResourceRequest,
    RunRequest,
)
from lamella.runner.cache import CacheStore
from lamella.runner.engine import log_tail, node_failure

__all__ = ["NodeRerun", "rerun_node"]

_POLL_S = 0.2


@dataclass
class NodeRerun:
    """How the run went: output files per port (in the cache) or a one-line error."""

    outputs: dict[str, list[Path]] = field(default_factory=dict)
    error: str = ""
    cached: bool = False


def rerun_node(node: ResolvedNode, inputs: dict[str, list[Path]], *, backend: Backend,
               store: CacheStore, run_id: str, workflow: str, use_cache: bool) -> NodeRerun:
    """Run ``node``'s module on ``inputs`` (port -> files); see the module docstring."""
    digests = {port: [file_digest(path) for path in paths] for port, paths in inputs.items()}
    entry = node.entry
    key, components = node_key(module_id=entry.manifest.id, version=entry.manifest.version,
                               module_digest=entry.digest, params=node.params, inputs=digests,
                               sdk_digest=sdk_digest())
    stored = store.get(key) if use_cache else None
    if stored is not None:
        return NodeRerun(stored.outputs, cached=True)
    request = _request(node, inputs, digests, job_id=f"{run_id}/pooled/{node.id}")
    result = _run(backend, request)
    try:
        if not result.ok:
            last = log_tail(result.log, lines=1)
            error = node_failure(f"{node.id} (pooled)", request, result.error)
            return NodeRerun(error=error + (f" (log: {last[0].strip()})" if last else ""))
        committed = store.put(key, result.artifacts, {
            "key": key, "components": components, "outputs": result.outputs,
            "output_digests": {p: [a.digest for a in f] for p, f in result.output_files().items()},
            "resolved": result.resolved, "warnings": result.warnings, "metrics": result.metrics,
            "run_id": run_id, "node": f"{node.id} (pooled)", "workflow": workflow,
            "created": time.time()}, log=result.log, replace=not use_cache)
        return NodeRerun(committed.outputs)
    finally:
        backend.release(request.job_id)


def _request(node: ResolvedNode, inputs: dict[str, list[Path]], digests: dict[str, list[str]], *,
             job_id: str) -> RunRequest:
    entry = node.entry
    files = {port: [InputFile(d, p.name, p) for p, d in zip(paths, digests[port], strict=True)]
             for port, paths in inputs.items()}
    needs = entry.manifest.resources
    # The inputs are the runner's own files: given as copies, like the user's.
    return RunRequest(job_id, node.id, "pooled", ModuleIdentity(entry.manifest, entry.digest, entry.folder),
                      dict(node.params), files,
                      ResourceRequest(memory_gb=needs.memory_gb, gpu=needs.gpu, timeout_s=needs.timeout),
                      frozenset(inputs))


def _run(backend: Backend, request: RunRequest) -> NodeResult:
    """Start ``request`` once the backend can, and wait for its end."""
    refusal = backend.refusal(request)
    if refusal is not None:
        return NodeResult(request.job_id, False, error=refusal)
    while not backend.can_start(request):
        backend.poll(_POLL_S)  # the run's own nodes have all ended; nothing else is waited for
    backend.submit(request)
    while True:
        for update in backend.poll(_POLL_S):
            if isinstance(update, NodeResult) and update.job_id == request.job_id:
                return update
