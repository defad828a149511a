"""Join the table outputs of a batch into one table with an ``image`` column."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from lamella.core.graph import WorkflowGraph
from lamella.runner.engine import OutputFolder, RunItem

__all__ = ["combine_tables", "image_label", "read_tables", "to_csv"]


def combine_tables(graph: WorkflowGraph, items: list[RunItem], out: OutputFolder,
                   published: dict[str, dict[str, list[Path]]]) -> dict[str, Path]:
    """Write ``OUT/<output>.csv`` for every table output; return output name -> path."""
    combined = {}
    for name in _table_outputs(graph):
        rows, header = _collect(name, items, published, out)
        if header:
            combined[name] = out.write_text(f"{name}.csv", to_csv(header, rows))
    return combined


def _table_outputs(graph: WorkflowGraph) -> list[str]:
    names = []
    for name, wire in graph.outputs.items():
        manifest = graph.nodes[wire.node or ""].entry.manifest
        if manifest.outputs[wire.port].type == "table":
            names.append(name)
    return names


def _collect(name: str, items: list[RunItem], published: dict[str, dict[str, list[Path]]],
             out: OutputFolder) -> tuple[list[list[str]], list[str]]:
    tables = [(image_label(item), out.staged(files[0])) for item in items
              if (files := published.get(item.name, {}).get(name))]  # failed items have none
    header, rows = read_tables(tables)
    return rows, header


def image_label(item: RunItem) -> str:
    """What the ``image`` column says for an item: its input file names."""
    return ";".join(p.name for p in item.inputs.values())


def read_tables(tables: list[tuple[str, Path]]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of CSV tables joined, each row led by its table's image label.

    Tables with different columns are joined on the union of their columns (cells a table
    lacks are empty). With no table, the header is empty.
    """
    header: list[str] = []
    rows: list[dict[str, str]] = []
    for image, path in tables:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            item_header = next(reader, [])
            if not header:
                header = ["image", *item_header]
            elif header[1:] != item_header:
                header = _merge(header, item_header)
            rows += [dict(zip(["image", *item_header], [image, *row], strict=False)) for row in reader]
    return header, [[str(r.get(c, "")) for c in header] for r in rows]


def _merge(header: list[str], extra: list[str]) -> list[str]:
    return header + [c for c in extra if c not in header]


def to_csv(header: list[str], rows: list[list[str]]) -> str:
    """CSV text of a header and rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
