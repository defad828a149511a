"""What a run gives back to Python callers: status, output files, tables, the run record."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lamella.core.errors import LamellaError
from lamella.runner.engine import Job

__all__ = ["RunResult"]


@dataclass
class RunResult:
    """The outcome of :meth:`lamella.runner.Analysis.run`.

    ``outputs`` maps item name -> output name -> files in the output folder; for a single
    run there is one item, named after the workflow. ``combined`` holds the batch tables
    that join all items (with an ``image`` column).
    """

    run_id: str
    status: str
    out_dir: Path
    record_path: Path
    record: dict[str, Any]
    outputs: dict[str, dict[str, list[Path]]]
    combined: dict[str, Path] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list, repr=False)
    batch: bool = False

    @property
    def ok(self) -> bool:
        """True if every node finished or was reused."""
        return self.status == "succeeded"

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """(node, or image/node in a batch; message) of every warning a module gave."""
        return [(job.where(batch=self.batch), message) for job in self.jobs
                for message in job.warnings]

    @property
    def failures(self) -> list[Job]:
        """Jobs that failed (not those skipped because of them)."""
        return [job for job in self.jobs if job.status == "failed"]

    def path(self, output: str, item: str | None = None) -> Path:
        """The main file of a workflow output (``item`` selects a batch item)."""
        files = self._item_outputs(item).get(output)
        if not files:
            known = ", ".join(self._item_outputs(item)) or "none"
            raise LamellaError(f"no output '{output}' in this run (outputs written: {known})")
        return files[0]

    def table(self, output: str, item: str | None = None) -> Any:
        """A table output as a pandas DataFrame (the combined table for a batch)."""
        import pandas as pd  # notebooks want DataFrames; the runner itself does not need pandas

        if item is None and output in self.combined:
            return pd.read_csv(self.combined[output])
        return pd.read_csv(self.path(output, item))

    def _item_outputs(self, item: str | None) -> dict[str, list[Path]]:
        if item is None:
            if len(self.outputs) != 1:
                raise LamellaError(f"this batch has {len(self.outputs)} items; pass item=NAME")
            return next(iter(self.outputs.values()))
        if item not in self.outputs:
            raise LamellaError(f"no item '{item}' in this run (items: {', '.join(self.outputs)})")
        return self.outputs[item]
