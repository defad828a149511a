"""A sweep's tables: every point's rows in one table, and the size comparison of the points.

The combined table ``OUT/<output>.csv`` has one column per swept parameter (``node.param``,
the value as YAML writes it), then ``image`` in a batch, then the table's own columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lamella.core.graph import WorkflowGraph
from lamella.runner._sweep import Sweep, SweepPoint
from lamella.runner.engine import OutputFolder

__all__ = ["Comparison", "PointSizes", "combine_sweep", "compare_points", "point_table_text",
           "table_outputs"]

Published = dict[str, dict[str, list[Path]]]  # item -> output name -> files
_SIZE_PREFIX = "ecd_"


def table_outputs(graph: WorkflowGraph) -> list[str]:
    """The workflow outputs that are tables, in declared order."""
    return [name for name, wire in graph.outputs.items()
            if graph.nodes[wire.node or ""].entry.manifest.outputs[wire.port].type == "table"]


def combine_sweep(graph: WorkflowGraph, sweep: Sweep, out: OutputFolder,
                  published: Published) -> dict[str, Path]:
    """Write ``OUT/<output>.csv`` for every table output; return output name -> path."""
    combined = {}
    for name in table_outputs(graph):
        header, rows = _join(_parts(sweep, sweep.points, name, published, out.staged))
        if header:
            combined[name] = out.write_text(f"{name}.csv", _to_csv(header, rows))
    return combined


def point_table_text(sweep: Sweep, point: SweepPoint, output: str, published: Published) -> str:
    """CSV text of one point's rows, laid out as in the combined table."""
    header, rows = _join(_parts(sweep, [point], output, published))
    return _to_csv(header, rows)


def _parts(sweep: Sweep, points: list[SweepPoint], output: str, published: Published,
           where: Callable[[Path], Path] = lambda path: path) -> list[tuple[dict[str, str], Path]]:
    """(label cells, table file) of each item of ``points`` that has the output."""
    parts = []
    for point in points:
        for item, image in point.members.items():
            files = published.get(item, {}).get(output)
            if files:  # a failed item has none; the run record says why
                labels = {**point.labels(), **({"image": image} if sweep.batch else {})}
                parts.append((labels, where(files[0])))
    return parts


def _join(parts: list[tuple[dict[str, str], Path]]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the tables, each row led by its label cells (union of columns)."""
    header: list[str] = []
    rows: list[dict[str, str]] = []
    for labels, path in parts:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            columns = [*labels, *next(reader, [])]
            header += [c for c in columns if c not in header]
            rows += [{**dict(zip(columns[len(labels):], row, strict=False)), **labels}
                     for row in reader]
    return header, [[r.get(c, "") for c in header] for r in rows]


def _to_csv(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


# ----- the comparison shown after a sweep -----------------------------------------------------
@dataclass(frozen=True)
class PointSizes:
    """Count, mean and median (D50) of the size column at one point (None: no result)."""

    point: SweepPoint
    count: int | None
    mean: float | None
    d50: float | None


@dataclass(frozen=True)
class Comparison:
    """The size column of the first table output that has one, at every point.

    ``output`` and ``column`` are None when no table output has an ``ecd_*`` column.
    """

    output: str | None
    column: str | None
    points: list[PointSizes]


def compare_points(sweep: Sweep, combined: dict[str, Path], published: Published) -> Comparison:
    """Compare the points by the ECD column of the first table that has one."""
    for output, path in combined.items():
        column = _size_column(path)
        if column is not None:
            return Comparison(output, column, [_sizes(sweep, point, output, column, published)
                                               for point in sweep.points])
    return Comparison(None, None, [PointSizes(point, None, None, None) for point in sweep.points])


def _size_column(path: Path) -> str | None:
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    return next((c for c in header if c.startswith(_SIZE_PREFIX)), None)


def _sizes(sweep: Sweep, point: SweepPoint, output: str, column: str,
           published: Published) -> PointSizes:
    parts = _parts(sweep, [point], output, published)
    if not parts:
        return PointSizes(point, None, None, None)
    header, rows = _join(parts)
    where = header.index(column) if column in header else None
    values = [float(row[where]) for row in rows if where is not None and _is_number(row[where])]
    if not values:
        return PointSizes(point, 0, None, None)
    # The summary table's statistics, so the comparison shows the numbers summary.csv holds;
    # imported here because numpy is not needed until a sweep is compared (CLI start-up).
    from lamella.core.sdk.stats import distribution

    found = distribution(values)
    return PointSizes(point, len(values), found["mean"], found["d50"])


def _is_number(text: str) -> bool:
    try:
        return float(text) == float(text)  # NaN is no size
    except ValueError:
        return False
