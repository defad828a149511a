"""A job is one node of the graph for one run item, with everything known about its run.

Statuses: ``waiting``, ``running``, then one end state: ``finished`` (ran), ``cached``
(reused), ``failed``, ``skipped`` (an upstream node did not finish), ``interrupted`` (cut
short by Ctrl-C or SIGTERM) or ``not_started`` (the run ended before its turn came).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lamella.core.graph import ResolvedNode
from lamella.runner.cache import CacheEntry
from lamella.runner.engine._items import RunItem

__all__ = ["DONE", "FileState", "Job", "JobStatus", "file_state"]

JobStatus = Literal["waiting", "running", "cached", "finished", "failed", "skipped", "interrupted",
                    "not_started"]
DONE = frozenset({"cached", "finished", "failed", "skipped", "interrupted", "not_started"})

FileState = tuple[int, int, int]  # size, mtime_ns, inode


def file_state(path: Path) -> FileState | None:
    """What tells a file was written to: size, mtime and inode (None if it is gone)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns, info.st_ino


@dataclass
class Job:
    """One node run (or cache reuse) for one item."""

    item: RunItem
    node: ResolvedNode
    order: int
    status: JobStatus = "waiting"
    key: str = ""
    components: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    input_files: dict[str, list[Path]] = field(default_factory=dict)
    input_digests: dict[str, list[str]] = field(default_factory=dict)
    outputs: dict[str, list[Path]] = field(default_factory=dict)
    output_digests: dict[str, list[str]] = field(default_factory=dict)
    entry: CacheEntry | None = None  # the store entry holding ``outputs``
    started: float | None = None
    finished: float | None = None
    error: str = ""
    skipped_because: str = ""
    exit_status: int | None = None
    log: Path | None = None
    task_dir: Path | None = None
    # What the module reported besides files: values chosen for 'auto' parameters, warnings.
    resolved: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Input files as the module sees them (in its task folder), per port, with their
    # state just before it ran.
    task_inputs: dict[str, list[Path]] = field(default_factory=dict)
    input_states: dict[Path, FileState | None] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """``item/node``: unique within a run."""
        return f"{self.item.name}/{self.node.id}"

    def where(self, *, batch: bool) -> str:
        """How messages name the job: ``node``, or ``item/node`` in a batch."""
        return self.id if batch else self.node.id

    @property
    def ok(self) -> bool:
        """True once the job has usable outputs."""
        return self.status in ("cached", "finished")

    @property
    def done(self) -> bool:
        """True once the job will not change any more."""
        return self.status in DONE

    @property
    def duration(self) -> float | None:
        """Seconds the module ran (None if it did not run)."""
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started

    def take_notes(self, meta: dict[str, Any]) -> None:
        """Take the resolved parameters and warnings stored with the job's result."""
        self.resolved = dict(meta.get("resolved") or {})
        self.warnings = list(meta.get("warnings") or [])

    def notes_detail(self) -> dict[str, Any]:
        """Event detail for the notes (nothing when there are none)."""
        return {k: v for k, v in (("resolved", self.resolved), ("warnings", self.warnings)) if v}

    # ----- inputs the module must leave alone -------------------------------------------
    def watch_inputs(self, relative: dict[str, list[str]]) -> None:
        """Note the state of each input file in the task folder, before the module runs."""
        assert self.task_dir is not None
        self.task_inputs = {port: [self.task_dir / p for p in paths] for port, paths in relative.items()}
        self.input_states = {path: file_state(path) for paths in self.task_inputs.values()
                             for path in paths}

    def changed_inputs(self) -> list[tuple[str, Path]]:
        """(port, file) of each input that is not as it was before the module ran."""
        return [(port, path) for port, paths in self.task_inputs.items() for path in paths
                if file_state(path) != self.input_states.get(path)]

    def in_user_terms(self, message: str) -> str:
        """``message`` naming the user's files, not the task folder's copies of them."""
        for port, paths in self.task_inputs.items():
            for path, original in zip(paths, self.input_files.get(port, []), strict=False):
                # The longer first: the plain path may be part of the resolved one.
                for shown in sorted({str(path.resolve()), str(path)}, key=len, reverse=True):
                    message = message.replace(shown, str(original))
        return message
