"""Matching runs to hosts: slots, memory and GPU ids, reserved per run and given back.

Every backend that has hosts of its own (local processes, Docker hosts) uses the same
accounting, so "the engine matches resources, not a single slot count" holds everywhere.
A run's memory request is the manifest's typical need; a host takes runs while the sum
of their requests fits its memory, so eight 4 GiB runs never start at once on a 24 GiB
machine, while a run asking for more than a whole host has is refused outright.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lamella.core.manifest._params import format_duration
from lamella.runner.backends._requirements import unmet_requirement
from lamella.runner.backends.base import (
    Backend,
    BackendCapabilities,
    HostCapacity,
    Placement,
    ResourceRequest,
    RunRequest,
)

__all__ = ["PooledBackend", "ResourcePool", "kind_refusal", "timeout_error"]


def timeout_error(limit_s: float) -> str:
    """How every backend says a run went past its time limit (the engine adds the node)."""
    return f"exceeded its {format_duration(limit_s)} timeout and was stopped"


@dataclass
class _HostUse:
    capacity: HostCapacity
    slots: int = 0
    memory_gb: float = 0.0
    gpus: set[str] = field(default_factory=set)
    retired: bool = False  # the host stopped answering: it takes nothing more

    def free_gpus(self) -> list[str]:
        return [g for g in self.capacity.gpu_ids if g not in self.gpus]

    def starts_now(self, request: ResourceRequest) -> bool:
        """Whether ``request`` would have a slot of its own, without being staged."""
        return self.slots + request.slots <= self.capacity.slots

    def fits(self, request: ResourceRequest) -> bool:
        cap = self.capacity
        # A run that wants a GPU is never staged: it would wait for one another run holds,
        # or (gpu 'optional') run on the CPU beside GPUs that are about to be free.
        staged = cap.staged if request.gpu == "none" or not cap.gpu_ids else 0
        return (not self.retired and self.slots + request.slots <= cap.slots + staged
                # The first run on an idle host always fits: a host is never left idle for
                # a run that would fit it alone.
                and (self.slots == 0 or self.memory_gb + request.memory_gb <= cap.memory_gb)
                and len(self.free_gpus()) >= request.gpus)


class ResourcePool:
    """Free and reserved resources of a backend's hosts."""

    def __init__(self, hosts: tuple[HostCapacity, ...]) -> None:
        self._hosts = [_HostUse(h) for h in hosts]
        self._placed: dict[str, tuple[_HostUse, ResourceRequest, Placement]] = {}

    def retire(self, host: str) -> None:
        """Give ``host`` nothing more (it stopped answering)."""
        for use in self._hosts:
            if use.capacity.name == host:
                use.retired = True

    def refusal(self, request: ResourceRequest, backend: str) -> str | None:
        """Why no host could ever take ``request``, or None."""
        hosts = [h for h in self._hosts if not h.retired]
        if not hosts:
            return f"every host of backend '{backend}' stopped answering"
        if request.gpus and not any(h.capacity.gpu_ids for h in hosts):
            return (f"needs a GPU, and backend '{backend}' has none (give GPUs with --gpus, e.g. "
                    "--gpus all, or run on a backend with GPUs)")
        if not any(h.capacity.slots >= request.slots for h in hosts):
            return f"needs {request.slots} slots, more than any host of backend '{backend}' has"
        return None

    def can_place(self, request: ResourceRequest) -> bool:
        """True if some host has everything ``request`` needs free now."""
        return any(h.fits(request) for h in self._hosts)

    def place(self, job_id: str, request: ResourceRequest, prefer: str | None = None) -> Placement:
        """Reserve what ``request`` needs on host ``prefer`` if it has it free, else the first that has.

        A host where the run starts at once goes before one where it would be staged
        (:class:`HostCapacity`), whichever is preferred.
        """
        fitting = [h for h in self._hosts if h.fits(request)]
        fitting = [h for h in fitting if h.starts_now(request)] or fitting
        host = next((h for h in fitting if h.capacity.name == prefer), fitting[0])
        free = host.free_gpus()
        wanted = request.gpus or (1 if request.gpu == "optional" and free else 0)
        gpus = tuple(free[:wanted])
        host.slots += request.slots
        host.memory_gb += request.memory_gb
        host.gpus.update(gpus)
        placement = Placement(host.capacity.name, gpus, host.capacity.threads_per_slot * request.slots)
        self._placed[job_id] = (host, request, placement)
        return placement

    def free(self, job_id: str) -> None:
        """Give back what ``job_id`` reserved (nothing if it holds nothing)."""
        placed = self._placed.pop(job_id, None)
        if placed is None:
            return
        host, request, placement = placed
        host.slots -= request.slots
        host.memory_gb -= request.memory_gb
        host.gpus.difference_update(placement.gpu_ids)

    def placement(self, job_id: str) -> Placement | None:
        """Where ``job_id`` was placed, while it holds its reservation."""
        placed = self._placed.get(job_id)
        return placed[2] if placed else None

    @property
    def busy(self) -> int:
        """Runs holding reservations."""
        return len(self._placed)


def kind_refusal(run: RunRequest, capabilities: BackendCapabilities) -> str | None:
    """Why a backend cannot run the kind of module ``run`` has (see the manifest's ``kind``)."""
    kind = run.manifest.kind
    if kind in capabilities.kinds:
        return None
    return (f"module {run.manifest.ref} is a {kind} module and backend '{capabilities.name}' "
            "runs only Python module folders; run it on a container backend (--backend docker)")


class PooledBackend(Backend):
    """A backend whose hosts' resources a :class:`ResourcePool` accounts for."""

    _pool: ResourcePool

    def refusal(self, run: RunRequest) -> str | None:
        """Why ``run`` cannot run here (module kind, a missing package, resources), or None."""
        return (kind_refusal(run, self.capabilities) or unmet_requirement(run.module.folder, run.manifest)
                or self._pool.refusal(run.resources, self.capabilities.name))

    def can_start(self, run: RunRequest) -> bool:
        """True if a slot, the memory and any GPU the run needs are free now."""
        return self._pool.can_place(run.resources)
