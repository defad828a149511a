"""The execution backend interface: every backend runs node tasks the same way.

A backend receives prepared task folders (see the runtime contract in
``lamella.core.sdk``) and reports, for each, progress and one final result. The engine does
everything else (ordering, cache, events, outputs), so a backend stays small.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from lamella.core.manifest import Manifest

__all__ = ["Backend", "BackendCapabilities", "NodeProgress", "NodeResult", "NodeRun"]


@dataclass(frozen=True)
class BackendCapabilities:
    """What a backend can do, as data (the engine and the CLI read it)."""

    name: str
    slots: int
    threads_per_slot: int = 1
    gpu: bool = False
    remote: bool = False


@dataclass(frozen=True)
class NodeRun:
    """One module run to execute: the module and its prepared task folder."""

    job_id: str
    node: str
    item: str
    manifest: Manifest
    module_dir: Path
    task_dir: Path
    log_path: Path


@dataclass(frozen=True)
class NodeProgress:
    """Progress a running module reported."""

    job_id: str
    fraction: float
    message: str = ""


@dataclass(frozen=True)
class NodeResult:
    """How a module run ended.

    ``exit_status`` is the worker process's exit status when the process died (negative:
    killed by that signal); ``error`` is a one-line reason when ``ok`` is false.
    ``output_digests`` maps each output file (relative to ``outputs/``) to its SHA-256 when
    the backend computed them.
    """

    job_id: str
    ok: bool
    error: str = ""
    exit_status: int | None = None
    output_digests: dict[str, str] = field(default_factory=dict)


class Backend(ABC):
    """Runs node tasks; see the module docstring."""

    capabilities: BackendCapabilities

    @abstractmethod
    def submit(self, run: NodeRun) -> None:
        """Start running ``run`` (only called when :attr:`free_slots` > 0)."""

    @abstractmethod
    def poll(self, timeout: float) -> list[NodeProgress | NodeResult]:
        """Wait up to ``timeout`` seconds; return what happened since the last call."""

    @property
    @abstractmethod
    def free_slots(self) -> int:
        """How many more runs can start now."""

    @abstractmethod
    def close(self) -> None:
        """Stop workers and release resources; running tasks are abandoned."""
