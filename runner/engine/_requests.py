"""From a job to the data a backend runs: the run request, and digests of the user's files.

Also the engine's wording of a run that went past its time limit.
"""

from __future__ import annotations

import os
from pathlib import Path

from lamella.core.cache_keys import file_digest
from lamella.runner.backends import InputFile, ModuleIdentity, ResourceRequest, RunRequest
from lamella.runner.backends._resources import timeout_error
from lamella.runner.engine._jobs import Job

__all__ = ["FileDigests", "failure_message", "module_identity", "node_failure", "run_request"]


def run_request(job: Job, *, backend_id: str, user_ports: set[str]) -> RunRequest:
    """The backend's description of ``job``: module, parameters, inputs by digest, resources."""
    entry = job.node.entry
    inputs = {port: [InputFile(digest, path.name, path)
                     for path, digest in zip(files, job.input_digests[port], strict=True)]
              for port, files in job.input_files.items()}
    needs = entry.manifest.resources
    resources = ResourceRequest(memory_gb=needs.memory_gb, gpu=needs.gpu, timeout_s=needs.timeout)
    return RunRequest(backend_id, job.node.id, job.item.name, module_identity(job),
                      dict(job.node.params), inputs, resources, frozenset(user_ports))


def module_identity(job: Job) -> ModuleIdentity:
    """The module ``job`` runs: manifest, code digest, folder."""
    entry = job.node.entry
    return ModuleIdentity(entry.manifest, entry.digest, entry.folder)


def failure_message(job: Job, request: RunRequest, error: str, *, batch: bool) -> str:
    """The node's failure in one line: a run past its time limit names node, module and limit."""
    return node_failure(job.where(batch=batch), request, error)


def node_failure(where: str, request: RunRequest, error: str) -> str:
    """A backend's ``error`` for the node run ``request`` at ``where``, worded for the user."""
    limit = request.resources.timeout_s
    if limit is None or error != timeout_error(limit):
        return error
    manifest = request.manifest
    return (f"node '{where}' ({manifest.id} {manifest.version}) {error}; give it "
            "more time with --timeout (timeout= in Python)")


class FileDigests:
    """SHA-256 of input files, remembered while a file keeps its size, mtime and inode.

    One run hashes each user file once; a session keeps one of these across runs, so a
    preview re-run does not hash the image again.
    """

    def __init__(self) -> None:
        self._known: dict[Path, tuple[tuple[int, int, int], str]] = {}

    def of(self, path: Path) -> str:
        """The digest of ``path``'s content."""
        info = os.stat(path)
        state = (info.st_size, info.st_mtime_ns, info.st_ino)
        known = self._known.get(path)
        if known is not None and known[0] == state:
            return known[1]
        digest = file_digest(path)
        self._known[path] = (state, digest)
        return digest
