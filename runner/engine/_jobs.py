"""A job is one node of the graph for one run item, with everything known about its run.

Statuses: ``waiting``, ``running``, then one end state: ``finished`` (ran), ``cached``
(reused), ``failed``, ``skipped`` (an upstream node did not finish), ``interrupted`` (cut
short by Ctrl-C or SIGTERM), ``cancelled`` (cut short by a cancel of the run) or
``not_started`` (the run ended before its turn came).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lamella.core.graph import ResolvedNode
from lamella.runner.backends import Placement
from lamella.runner.cache import CacheEntry
from lamella.runner.engine._items import RunItem

__all__ = ["DONE", "Job", "JobStatus"]

JobStatus = Literal["waiting", "running", "cached", "finished", "failed", "skipped", "interrupted",
                    "cancelled", "not_started"]
DONE = frozenset({"cached", "finished", "failed", "skipped", "interrupted", "cancelled",
                  "not_started"})


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
    # Where the backend ran it: host, GPU ids granted.
    placement: Placement | None = None
    # What the module reported besides files: values chosen for 'auto' parameters,
    # warnings, numbers about its run.
    resolved: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

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
        self.metrics = dict(meta.get("metrics") or {})

    def notes_detail(self) -> dict[str, Any]:
        """Event detail for the notes (nothing when there are none)."""
        notes = (("resolved", self.resolved), ("warnings", self.warnings), ("metrics", self.metrics))
        return {k: v for k, v in notes if v}
