"""The ``lamella`` command line: run, validate, modules, cache."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lamella.core.catalog import Catalog
from lamella.core.errors import LamellaError, RunFailed
from lamella.runner import Analysis
from lamella.runner.cache import CacheStore, default_cache_dir
from lamella.runner.cli._display import JsonEvents, PlainLines, ProgressBars, Silent
from lamella.runner.cli._report import print_explanations, print_failures, print_summary

__all__ = ["app"]

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Microscopy image-analysis workflows: run, check and manage them.")
modules_app = typer.Typer(no_args_is_help=True, help="List and inspect the modules Lamella can run.")
cache_app = typer.Typer(no_args_is_help=True, help="Inspect or empty the cache of node results.")
app.add_typer(modules_app, name="modules")
app.add_typer(cache_app, name="cache")

out_console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

ModulesOption = Annotated[list[Path], typer.Option(
    "--modules", help="Extra folder of modules (repeatable); searched before LAMELLA_MODULE_PATH.")]
CacheOption = Annotated[Path | None, typer.Option(
    "--cache-dir", help="Cache folder (default: $LAMELLA_CACHE_DIR or ~/.cache/lamella).")]


def _parse_inputs(values: list[str]) -> dict[str, str]:
    inputs = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise LamellaError(f"--input '{value}': write NAME=PATH, e.g. --input image=my.tif")
        inputs[name] = path
    return inputs


InputOption = Annotated[list[str], typer.Option(
    "--input", "-i", help="Set a workflow input: NAME=PATH (repeatable).")]
OutOption = Annotated[Path | None, typer.Option(
    "--out", "-o", help="Results folder (default: results/<workflow name>).")]
JobsOption = Annotated[int | None, typer.Option(
    "--jobs", "-j", min=1, help="Modules run in parallel (default: CPU cores).")]
BatchOption = Annotated[str | None, typer.Option(
    "--batch", help="Run once per file matching GLOB (or NAME=GLOB); quote it.")]
NoCacheOption = Annotated[bool, typer.Option(
    "--no-cache", help="Re-run every node; results still refresh the cache.")]
ExplainOption = Annotated[bool, typer.Option("--explain", help="Say why each node ran or was reused.")]
QuietOption = Annotated[bool, typer.Option(
    "--quiet", "-q", help="Print only errors (and the summary when a node failed).")]
JsonOption = Annotated[bool, typer.Option(
    "--json-events", help="Print one JSON event per line on stdout (for programs).")]


@app.command()
def run(
    workflow: Annotated[Path, typer.Argument(help="Workflow YAML file.")],
    input: InputOption = [],  # noqa: B006
    out: OutOption = None,
    jobs: JobsOption = None,
    batch: BatchOption = None,
    no_cache: NoCacheOption = False,
    explain: ExplainOption = False,
    quiet: QuietOption = False,
    json_events: JsonOption = False,
    modules: ModulesOption = [],  # noqa: B006
    cache_dir: CacheOption = None,
) -> None:
    """Run a workflow on its inputs (or on a batch of files) with the local backend."""
    analysis = Analysis.load(workflow, modules=modules)
    graph = analysis.validate()
    items = 1 if batch is None else None
    sink = _sink(quiet, json_events, graph.order, items)
    report = err_console if json_events else out_console
    started = time.monotonic()
    try:
        result = analysis.run(inputs=_parse_inputs(input), batch=batch, out=out, jobs=jobs,
                              use_cache=not no_cache, cache_dir=cache_dir, on_event=sink)
    finally:
        sink.close()
    if explain:
        report.print("Why each node ran or was reused:")
        print_explanations(report, result)
    print_failures(err_console, result)
    if not quiet or not result.ok:
        print_summary(report, result, seconds=time.monotonic() - started)
    if not result.ok:
        raise RunFailed(f"{len(result.failures)} node(s) failed; see above")


def _sink(quiet: bool, json_events: bool, order: list[str], items: int | None):  # type: ignore[no-untyped-def]
    if json_events:
        return JsonEvents()
    if quiet:
        return Silent()
    if out_console.is_terminal:
        return _LazyBars(order, items)
    return PlainLines(out_console)


class _LazyBars:
    """Progress bars sized once the run says how many items it has."""

    def __init__(self, order: list[str], items: int | None) -> None:
        self.order, self.items = order, items
        self.bars: ProgressBars | None = None

    def __call__(self, event) -> None:  # type: ignore[no-untyped-def]
        if self.bars is None and event.kind == "run_started":
            self.bars = ProgressBars(out_console, self.order, self.items or event.detail["items"])
        if self.bars is not None:
            self.bars(event)

    def close(self) -> None:
        if self.bars is not None:
            self.bars.close()


@app.command()
def validate(
    workflow: Annotated[Path, typer.Argument(help="Workflow YAML file.")],
    modules: ModulesOption = [],  # noqa: B006
) -> None:
    """Check a workflow (modules, ports, types, parameters, cycles) without running it."""
    graph = Analysis.load(workflow, modules=modules).validate()
    out_console.print(f"{escape(str(workflow))}: valid ({len(graph.order)} nodes: "
                      f"{' -> '.join(graph.order)})")


@modules_app.command("list")
def modules_list(modules: ModulesOption = []) -> None:  # noqa: B006
    """List every module found, and folders whose manifest is broken."""
    catalog = Catalog.discover(modules)
    table = Table("module", "version", "category", "name", "from", box=None, pad_edge=False)
    for entry in sorted(catalog.entries, key=lambda e: (e.manifest.category, e.manifest.id)):
        m = entry.manifest
        table.add_row(m.id, m.version, m.category, m.name, entry.origin)
    out_console.print(table)
    for folder, error in catalog.broken.items():
        err_console.print(f"[red]broken module folder {escape(str(folder))}:[/] {escape(str(error))}")


@modules_app.command("show")
def modules_show(
    module: Annotated[str, typer.Argument(help="Module id, optionally with @version.")],
    modules: ModulesOption = [],  # noqa: B006
) -> None:
    """Show a module's description, ports and parameters."""
    entry = Catalog.discover(modules).resolve(module)
    m = entry.manifest
    out_console.print(f"[bold]{m.name}[/] ({m.id} {m.version}, {m.category})\n{escape(m.description)}")
    out_console.print(f"folder: {escape(str(entry.folder))}")
    for title, ports in (("inputs", m.inputs), ("outputs", m.outputs)):
        out_console.print(f"\n[bold]{title}[/]")
        for name, port in ports.items():
            optional = " (optional)" if getattr(port, "required", True) is False else ""
            out_console.print(f"  {name:<14} {port.type:<14}{optional} {escape(port.description)}")
    if m.parameters:
        out_console.print("\n[bold]parameters[/]")
    for name, spec in m.parameters.items():
        default = "required" if spec.required else f"default {spec.default!r}"
        extra = _param_extra(spec)
        out_console.print(f"  {name:<14} {spec.type:<9} {default}{extra}\n      {escape(spec.description)}")


def _param_extra(spec) -> str:  # type: ignore[no-untyped-def]
    if spec.type == "enum":
        return f"; one of {', '.join(map(str, spec.choices))}"
    bounds = [f"min {spec.min:g}" if getattr(spec, "min", None) is not None else "",
              f"max {spec.max:g}" if getattr(spec, "max", None) is not None else ""]
    text = ", ".join(b for b in bounds if b)
    return f"; {text}" if text else ""


@cache_app.command("ls")
def cache_ls(cache_dir: CacheOption = None) -> None:
    """List cached node results and the space they use."""
    store = CacheStore(cache_dir or default_cache_dir())
    entries = store.entries()
    table = Table("key", "workflow", "node", "module", "created", box=None, pad_edge=False)
    for entry in entries:
        meta = entry.meta
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(meta.get("created", 0)))
        table.add_row(entry.key[:12], str(meta.get("workflow", "")), str(meta.get("node", "")),
                      f"{meta['components']['module']} {meta['components']['version']}", created)
    if entries:
        out_console.print(table)
    out_console.print(f"{len(entries)} entries, {_size(store.size_bytes())} in {escape(str(store.root))}")


@cache_app.command("clear")
def cache_clear(cache_dir: CacheOption = None) -> None:
    """Delete every cached node result."""
    store = CacheStore(cache_dir or default_cache_dir())
    count = len(store.entries())
    freed = store.clear()
    out_console.print(f"Removed {count} entries ({_size(freed)}) from {escape(str(store.root))}")


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def print_error(message: str) -> None:
    """One error, in red, on stderr."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)

