"""The execution seam: a node run and its result as data, and the backend interface.

The engine describes each node run as a :class:`RunRequest` (module identity, resolved
parameters, inputs as content digests with a locator, the resources it needs) and gets a
:class:`NodeResult` back (outputs listing, the files as :class:`Artifact` objects, resolved
parameter values, warnings and metrics the module reported, where it ran). Nothing in
between assumes the task runs on this disk: how a backend lays out the task folder (links,
copies, a container mount, another host) is its own business. The engine does the rest
(ordering, cache, events, results), so a backend stays one small file.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lamella.core.manifest import Manifest

__all__ = [
    "Artifact",
    "Backend",
    "BackendCapabilities",
    "HostCapacity",
    "InputFile",
    "ModuleIdentity",
    "NodeProgress",
    "NodeResult",
    "Placement",
    "ResourceRequest",
    "RunRequest",
]


# ----- what a backend can do ----------------------------------------------------------------
@dataclass(frozen=True)
class HostCapacity:
    """One machine a backend runs tasks on, and what it offers at once.

    ``staged`` runs beyond ``slots`` may be placed on the host without running: being made
    ready to start (a remote Docker host: inputs shipped, container created) while its
    slots are busy, or having their outputs collected after their container ended. The
    backend starts no more than ``slots`` at once.
    """

    name: str
    slots: int
    memory_gb: float
    gpu_ids: tuple[str, ...] = ()
    threads_per_slot: int = 1
    staged: int = 0


@dataclass(frozen=True)
class BackendCapabilities:
    """What a backend can do, as data (the engine, the CLI and the record read it).

    ``shared_filesystem`` is true when tasks see this machine's files (inputs can be linked
    rather than shipped); ``kinds`` are the module kinds it can run (see the manifest's
    ``kind``).
    """

    name: str
    hosts: tuple[HostCapacity, ...]
    shared_filesystem: bool = True
    kinds: frozenset[str] = frozenset({"python"})

    @property
    def slots(self) -> int:
        """Tasks the backend can run at once, over all hosts."""
        return sum(host.slots for host in self.hosts)

    @property
    def threads_per_slot(self) -> int:
        """CPU threads one task gets on the first host."""
        return self.hosts[0].threads_per_slot if self.hosts else 1

    @property
    def gpu_ids(self) -> tuple[str, ...]:
        """Every GPU the backend can give tasks, as ``host:id`` when it has several hosts."""
        if len(self.hosts) == 1:
            return self.hosts[0].gpu_ids
        return tuple(f"{h.name}:{g}" for h in self.hosts for g in h.gpu_ids)

    def as_record(self) -> dict[str, Any]:
        """The capabilities as plain data for the run record."""
        return {"name": self.name, "shared_filesystem": self.shared_filesystem,
                "kinds": sorted(self.kinds),
                "hosts": [{"name": h.name, "slots": h.slots, "memory_gb": h.memory_gb,
                           "gpu_ids": list(h.gpu_ids), "threads_per_slot": h.threads_per_slot}
                          for h in self.hosts]}


# ----- a node run, as data ------------------------------------------------------------------
@dataclass(frozen=True)
class ModuleIdentity:
    """Which module runs: its manifest, the digest of its code and where that code is."""

    manifest: Manifest
    digest: str
    folder: Path

    @property
    def ref(self) -> str:
        """``id@version``."""
        return self.manifest.ref


@dataclass(frozen=True)
class InputFile:
    """One input file: its content digest, the name the module sees, and where to fetch it.

    ``locator`` is a path on the engine's machine (a stored result or the user's file); a
    backend without a shared filesystem ships the content, and may check it by ``digest``.
    """

    digest: str
    name: str
    locator: Path


@dataclass(frozen=True)
class ResourceRequest:
    """What one run needs; the backend starts it only where all of it is free."""

    slots: int = 1
    memory_gb: float = 2.0
    gpu: Literal["none", "optional", "required"] = "none"
    timeout_s: float | None = None

    @property
    def gpus(self) -> int:
        """GPUs to reserve: one if the module needs or can use one (optional takes a free one)."""
        return 1 if self.gpu == "required" else 0


@dataclass(frozen=True)
class RunRequest:
    """One node run to execute, described without reference to any folder layout.

    ``user_files`` names the input ports that receive the user's own files: a backend
    gives the module copies of those, never the originals.
    """

    job_id: str
    node: str
    item: str
    module: ModuleIdentity
    params: dict[str, Any]
    inputs: dict[str, list[InputFile]]
    resources: ResourceRequest = field(default_factory=ResourceRequest)
    user_files: frozenset[str] = frozenset()

    @property
    def manifest(self) -> Manifest:
        """The module's manifest."""
        return self.module.manifest


@dataclass(frozen=True)
class Placement:
    """Where a run was started: host, the GPU ids and threads granted, and its log.

    ``log`` is where the module's output is being written, when the engine can read it
    (a backend on this machine); the engine keeps it for a run cut short. ``image`` is the
    container image's digest (``image@sha256:...``) for a container backend, else empty.
    """

    host: str
    gpu_ids: tuple[str, ...] = ()
    threads: int = 1
    log: Path | None = None
    image: str = ""


# ----- what comes back ----------------------------------------------------------------------
@dataclass(frozen=True)
class NodeProgress:
    """Progress a running module reported."""

    job_id: str
    fraction: float
    message: str = ""


@dataclass(frozen=True)
class Artifact:
    """One output file: its name under ``outputs/``, SHA-256, and where the engine reads it.

    ``path`` stays readable until the engine calls :meth:`Backend.release` for the run.
    """

    name: str
    digest: str
    path: Path


@dataclass(frozen=True)
class NodeResult:
    """How a module run ended.

    ``exit_status`` is the module process's exit status when it died (negative: killed by
    that signal); ``error`` is a one-line reason when ``ok`` is false. ``outputs`` maps each
    output port to its file names, ``artifacts`` holds those files; ``resolved``,
    ``warnings`` and ``metrics`` are what the module reported besides files.
    ``changed_inputs`` lists (port, file name) of inputs the module wrote to: the run
    counts as failed. ``log`` is the module's log, readable until :meth:`Backend.release`.
    """

    job_id: str
    ok: bool
    error: str = ""
    exit_status: int | None = None
    outputs: dict[str, list[str]] = field(default_factory=dict)
    artifacts: dict[str, Artifact] = field(default_factory=dict)
    resolved: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    changed_inputs: list[tuple[str, str]] = field(default_factory=list)
    log: Path | None = None
    placement: Placement | None = None

    def output_files(self) -> dict[str, list[Artifact]]:
        """The artifacts per output port, in the order the module listed them."""
        return {port: [self.artifacts[name] for name in names] for port, names in self.outputs.items()}


class Backend(ABC):
    """Runs node runs; see the module docstring.

    The engine calls :meth:`refusal` once per run (a reason it can never run here),
    :meth:`prepare` with the modules still to run when it submits its first run,
    :meth:`can_start` before each :meth:`submit`, collects :meth:`poll` updates, may
    :meth:`cancel` a run, and calls :meth:`release` once it has taken a result's files.
    """

    capabilities: BackendCapabilities

    @abstractmethod
    def refusal(self, run: RunRequest) -> str | None:
        """Why ``run`` can never run on this backend (one line), or None if it can."""

    @abstractmethod
    def can_start(self, run: RunRequest) -> bool:
        """True if the resources ``run`` needs are free now."""

    @abstractmethod
    def submit(self, run: RunRequest) -> Placement:
        """Start ``run`` (only after :meth:`can_start` said yes); return where it runs."""

    @abstractmethod
    def poll(self, timeout: float) -> list[NodeProgress | NodeResult]:
        """Wait up to ``timeout`` seconds; return what happened since the last call."""

    @abstractmethod
    def cancel(self, job_id: str) -> None:
        """Stop a run; it sends no result afterwards and its resources are free again."""

    @abstractmethod
    def release(self, job_id: str) -> None:
        """The engine is done with a finished run's files: the backend may delete them."""

    @abstractmethod
    def close(self) -> None:
        """Stop workers and release resources; running tasks are abandoned."""

    def prepare(self, modules: list[ModuleIdentity]) -> None:  # noqa: B027 (optional hook)
        """A hint: these modules will run soon, in this order; a backend may load them ahead.

        Called once per run, when its first node is submitted. A backend that keeps no warm
        state ignores it; nothing may depend on it having happened.
        """

    def cancel_all(self, job_ids: list[str]) -> None:
        """Cancel several runs."""
        for job_id in job_ids:
            self.cancel(job_id)
