"""Run events: the one stream of progress that the CLI, the editor and the server follow."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["EVENT_KINDS", "EventKind", "RunEvent"]

EventKind = Literal[
    "run_started",
    "node_queued",
    "node_started",
    "node_progress",
    "node_cached",
    "node_finished",
    "node_failed",
    "node_skipped",
    "node_cancelled",  # the run was cancelled while the node ran (Session handles)
    "batch_progress",  # a batch: images done of total, failed, seconds left (eta_s)
    "run_finished",
    "error",  # the command stopped outside a node: bad input, internal error, interruption
]
EVENT_KINDS: tuple[str, ...] = EventKind.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RunEvent:
    """Something that happened in a run.

    ``item`` names the batch item (the input image's name) the node ran for; ``detail``
    holds kind-specific facts (exit status and log tail for failures, duration and cache key
    for finished nodes, counts for ``run_finished``).
    """

    kind: EventKind
    run_id: str
    node: str | None = None
    item: str | None = None
    module: str | None = None
    progress: float | None = None
    message: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for JSON."""
        return {k: v for k, v in asdict(self).items() if v not in (None, "", {})}

    def to_json(self) -> str:
        """One line of JSON (``--json-events``)."""
        return json.dumps(self.to_dict(), default=str)
