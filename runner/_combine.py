"""Join the table outputs of a batch into one table with an ``image`` column."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from lamella.core.graph import WorkflowGraph
from lamella.runner.engine import OutputFolder, RunItem

__all__ = ["combine_tables"]


def combine_tables(graph: WorkflowGraph, items: list[RunItem], out: OutputFolder,
                   published: dict[str, dict[str, list[Path]]]) -> dict[str, Path]:
    """Write ``OUT/<output>.csv`` for every table output; return output name -> path."""
    combined = {}
    for name in _table_outputs(graph):
        rows, header = _collect(name, items, published, out)
        if header:
            combined[name] = out.write_text(f"{name}.csv", _to_csv(header, rows))
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
    header: list[str] = []
    rows: list[dict[str, str]] = []
    for item in items:
        files = published.get(item.name, {}).get(name)
        if not files:
            continue  # the item failed; the run record says why
        image = ";".join(p.name for p in item.inputs.values())
        with out.staged(files[0]).open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            item_header = next(reader, [])
            if not header:
                header = ["image", *item_header]
            elif header[1:] != item_header:
                header = _merge(header, item_header)
            rows += [dict(zip(["image", *item_header], [image, *row], strict=False)) for row in reader]
    return [[str(r.get(c, "")) for c in header] for r in rows], header


def _merge(header: list[str], extra: list[str]) -> list[str]:
    return header + [c for c in extra if c not in header]


def _to_csv(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
