"""``--set`` and ``--sweep`` on the command line, and the comparison printed after a sweep.

``--set NODE.PARAM=VALUE`` reads VALUE as the workflow file would (YAML, the same loader):
``li`` is text, ``true`` a boolean, ``25`` a number, ``8 nm`` a length. ``--sweep
NODE.PARAM=V1,V2,...`` reads the values as a YAML flow list, with or without the brackets:
``otsu,li`` is ``[otsu, li]``; quote a value that holds a comma (``'a,b',c``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lamella.core.errors import LamellaError
from lamella.core.workflow import parse_value
from lamella.runner import RunResult
from lamella.runner._sweep import value_text
from lamella.runner._sweep_tables import Comparison, compare_points
from lamella.runner.cli._console import escape

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["folders_line", "parse_sets", "parse_sweeps", "print_comparison"]

_ROWS_SHOWN = 30  # one screen


def parse_sets(values: list[str]) -> dict[str, Any]:
    """``--set`` options -> ``{'node.param': value}``."""
    sets: dict[str, Any] = {}
    for text in values:
        key, raw = _split("--set", text, "segment.method=li")
        if key in sets:
            raise LamellaError(f"--set {key}: given twice; give each parameter once")
        sets[key] = _parse("--set", key, raw)
    return sets


def parse_sweeps(values: list[str]) -> dict[str, list[Any]]:
    """``--sweep`` options -> ``{'node.param': [values]}``, in the order given."""
    grid: dict[str, list[Any]] = {}
    for text in values:
        key, listed = _split("--sweep", text, "segment.method=otsu,li")
        if key in grid:
            raise LamellaError(f"--sweep {key}: given twice; list all its values in one --sweep, "
                               f"e.g. --sweep {key}=A,B")
        flow = listed.strip()
        parsed = _parse("--sweep", key, flow if flow.startswith("[") else f"[{flow}]")
        if not isinstance(parsed, list) or not parsed:
            raise LamellaError(f"--sweep {key}: give values separated by commas, e.g. "
                               f"--sweep {key}=A,B")
        grid[key] = parsed
    return grid


def _split(option: str, text: str, example: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise LamellaError(f"{option} '{text}': write NODE.PARAM=VALUE, e.g. {option} {example}")
    return key.strip(), value


def _parse(option: str, key: str, text: str) -> Any:
    try:
        return parse_value(text)
    except ValueError as exc:
        raise LamellaError(f"{option} {key}: {exc}") from None


# ----- after the run -----------------------------------------------------------------------
def folders_line(result: RunResult) -> str:
    """The summary's line for the point folders (``per point  2 folders segment.method=<value>/``)."""
    assert result.sweep is not None
    pattern = ",".join(f"{key}=<value>" for key in result.sweep.grid) + "/"
    count = len(result.sweep.points)
    images = "<image>/" if result.sweep.batch else ""
    return f"  per point    {count} folder{'' if count == 1 else 's'} {escape(pattern + images)}"


def print_comparison(console: Console, result: RunResult) -> None:
    """Per point: count, mean and D50 of the ECD column, and the point's folder."""
    assert result.sweep is not None
    found = compare_points(result.sweep, result.combined, result.outputs)
    from rich.padding import Padding
    from rich.table import Table

    sizes = found.column is not None
    title = (f"{found.output}, {found.column}" if sizes else
             "no size table: no table output has an ecd_* column")
    console.print(f"Sweep of {len(found.points)} point{'' if len(found.points) == 1 else 's'} "
                  f"({escape(title)}):")
    table = Table(*result.sweep.grid, *(("count", "mean", "D50") if sizes else ()), "results",
                  box=None, pad_edge=False, padding=(0, 2, 0, 0))
    for column in table.columns[len(result.sweep.grid):-1]:
        column.justify = "right"
    for row in _rows(found, sizes)[:_ROWS_SHOWN]:
        table.add_row(*map(escape, row))
    console.print(Padding(table, (0, 0, 0, 2), expand=False))
    if len(found.points) > _ROWS_SHOWN:
        console.print(f"... and {len(found.points) - _ROWS_SHOWN} more points (run-record.json "
                      "lists them all)")


def _rows(found: Comparison, sizes: bool) -> list[list[str]]:
    rows = []
    for entry in found.points:
        cells = [value_text(v) for v in entry.point.values.values()]
        if sizes:
            cells += (["no result", "", ""] if entry.count is None else
                      [str(entry.count), _number(entry.mean), _number(entry.d50)])
        rows.append([*cells, f"{entry.point.folder}/"])
    return rows


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"
