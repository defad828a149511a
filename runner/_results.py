"""What a run gives back to Python callers: status, output files, tables, the run record."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lamella.core.errors import LamellaError
from lamella.runner._arguments import ArgumentError
from lamella.runner._outcome import item_failures
from lamella.runner._sweep import Sweep
from lamella.runner._sweep_tables import compare_points, point_table_text
from lamella.runner.engine import Job

__all__ = ["RunResult"]


@dataclass
class RunResult:
    """The outcome of :meth:`lamella.runner.Analysis.run`.

    ``outputs`` maps item name -> output name -> files in the output folder; for a single
    run there is one item, named after the workflow. ``combined`` holds the batch tables
    that join all items (with an ``image`` column). ``batch`` is true when each item has its
    own folder (a batch of images, a sweep); ``sweep`` describes a sweep's points, whose
    combined tables have a column per swept parameter.
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
    sweep: Sweep | None = None
    # A batch's pooled results (all images' objects as one population): output -> files.
    pooled: dict[str, list[Path]] = field(default_factory=dict)

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
    def failed_items(self) -> dict[str, str]:
        """Items (a batch's images) whose nodes did not all finish -> why, in one line."""
        return item_failures(self.jobs)

    @property
    def failures(self) -> list[Job]:
        """Jobs that failed (not those skipped because of them)."""
        return [job for job in self.jobs if job.status == "failed"]

    def path(self, output: str, item: str | None = None, *,
             point: Mapping[str, Any] | None = None) -> Path:
        """The main file of a workflow output.

        ``item`` selects a batch item, ``point`` a sweep point such as
        ``{'segment.method': 'li'}``; in a batch sweep give both.
        """
        item = self._item_name(item, point)
        files = self._item_outputs(item).get(output)
        if not files:
            known = ", ".join(self._item_outputs(item)) or "none"
            raise LamellaError(f"no output '{output}' in this run (outputs written: {known})")
        return files[0]

    def table(self, output: str, item: str | None = None, *,
              point: Mapping[str, Any] | None = None) -> Any:
        """A table output as a pandas DataFrame (the combined table for a batch or sweep).

        In a sweep, ``point`` gives that point's rows of the combined table (with the swept
        columns); ``point`` and ``item`` together one image's own table at that point.
        """
        import pandas as pd  # notebooks want DataFrames; the runner itself does not need pandas

        if item is None and point is None and output in self.combined:
            return pd.read_csv(self.combined[output])
        if item is None and point is not None and self.sweep is not None:
            return pd.read_csv(io.StringIO(self._point_table(output, point)))
        return pd.read_csv(self.path(output, item, point=point))

    def pooled_table(self, output: str) -> Any:
        """A batch's pooled summary (``OUT/<output>-pooled.csv``) as a pandas DataFrame."""
        import pandas as pd

        files = [f for f in self.pooled.get(output, []) if f.suffix == ".csv"]
        if not files:
            known = ", ".join(n for n, fs in self.pooled.items() if any(f.suffix == ".csv" for f in fs))
            raise LamellaError(f"no pooled table '{output}' in this run (pooled tables: "
                               f"{known or 'none'}; see record['pooled'] for why)")
        return pd.read_csv(files[0])

    def comparison(self) -> Any:
        """Per sweep point: object count, mean and D50 of the ECD column (a DataFrame).

        The column is the first ``ecd_*`` column of the first table output that has one;
        without one, only the points and their folders are listed.
        """
        import pandas as pd

        if self.sweep is None:
            raise LamellaError("this run is not a sweep; run with sweep={'node.param': [...]}")
        found = compare_points(self.sweep, self.combined, self.outputs)
        sizes = ({} if found.column is None else
                 {p.point.folder: {"count": p.count, f"mean_{found.column}": p.mean,
                                   f"d50_{found.column}": p.d50} for p in found.points})
        return pd.DataFrame([{**p.point.values, **sizes.get(p.point.folder, {}),
                              "folder": p.point.folder} for p in found.points])

    def _point_table(self, output: str, point: Mapping[str, Any]) -> str:
        assert self.sweep is not None
        chosen = self.sweep.find(point)
        if output not in self.combined:
            tables = ", ".join(self.combined) or "none"
            raise LamellaError(f"no table output '{output}' in this run (tables: {tables})")
        text = point_table_text(self.sweep, chosen, output, self.outputs)
        if not text:
            raise LamellaError(f"no '{output}' table at {chosen.folder}: its run did not finish "
                               "(see result.failures)")
        return text

    def _item_name(self, item: str | None, point: Mapping[str, Any] | None) -> str | None:
        """The run item a ``point`` (and, in a batch sweep, ``item``) names."""
        if point is None:
            return item
        if self.sweep is None:
            raise ArgumentError("point", "this run is not a sweep; leave point out")
        folder = self.sweep.find(point).folder
        if not self.sweep.batch:
            if item is not None:
                raise ArgumentError("item", "this sweep is not a batch; give point only",
                                    value=item)
            return folder
        if item is None:
            raise LamellaError(f"{folder} has one result per image; pass item=NAME too "
                               f"(images: {', '.join(self._images())})")
        return f"{folder}/{item}"

    def _images(self) -> list[str]:
        assert self.sweep is not None
        first = self.sweep.points[0]
        return [name.removeprefix(f"{first.folder}/") for name in first.members]

    def _item_outputs(self, item: str | None) -> dict[str, list[Path]]:
        if item is None:
            if self.sweep is not None and len(self.outputs) != 1:
                raise LamellaError(f"this sweep has {len(self.sweep.points)} points; pass point=, "
                                   f"e.g. point={self.sweep.points[0].values!r}")
            if len(self.outputs) != 1:
                raise LamellaError(f"this batch has {len(self.outputs)} items; pass item=NAME")
            return next(iter(self.outputs.values()))
        if item not in self.outputs:
            raise LamellaError(f"no item '{item}' in this run (items: {', '.join(self.outputs)})")
        return self.outputs[item]
