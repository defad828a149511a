"""What each command does, given the parsed command line."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from lamella.core.catalog import Catalog
from lamella.core.errors import InputFileError, LamellaError, ModuleNotFound, RunFailed
from lamella.core.events import RunEvent
from lamella.runner import Analysis
from lamella.runner._arguments import ArgumentError
from lamella.runner.cli._cache import cache_clear, cache_ls, cache_prune, cache_verify
from lamella.runner.cli._console import err_console, escape, out_console
from lamella.runner.cli._display import Display, JsonEvents, PlainLines, ProgressBars, Silent
from lamella.runner.cli._hints import full_references
from lamella.runner.cli._report import (
    print_explanations,
    print_failed_items,
    print_failures,
    print_summary,
)
from lamella.runner.cli._sweep import parse_sets, parse_sweeps, print_comparison

if TYPE_CHECKING:
    from rich.console import Console

    from lamella.core.workflow import Workflow

__all__ = ["COMMANDS"]

def run(args: argparse.Namespace) -> None:
    """Run a workflow on its inputs (or on a batch of files) on the chosen backend."""
    with _options_named():
        analysis = Analysis.load(args.workflow, modules=args.modules)
        graph = analysis.validate()
        sink = _sink(args, graph.order)
        started = time.monotonic()
        try:
            result = analysis.run(inputs=_parse_inputs(args.input), batch=args.batch,
                                  params=parse_sets(args.set), sweep=parse_sweeps(args.sweep),
                                  out=args.out,
                                  jobs=args.jobs, use_cache=not args.no_cache,
                                  cache_dir=args.cache_dir, on_event=sink, backend=args.backend,
                                  targets=args.until or None, gpus=args.gpus,
                                  timeout=args.timeout, docker_hosts=args.docker_host or None,
                                  memory_limit=args.memory_limit, registry=args.registry)
        finally:
            sink.close()
    if args.explain:
        _report_console(args).print("Why each node ran or was reused:")
        print_explanations(_report_console(args), result)
    if not result.ok:
        print_failures(err_console(), result)
        print_failed_items(err_console(), result)
    if not args.quiet or not result.ok:
        print_summary(_report_console(args), result, seconds=time.monotonic() - started)
    if result.sweep is not None and not args.quiet:
        print_comparison(_report_console(args), result)
    if not result.ok:
        raise RunFailed(f"{len(result.failures)} node(s) failed; see above")


# The API's argument names and the options that set them.
_OPTIONS = {"inputs": "--input", "batch": "--batch", "params": "--set", "sweep": "--sweep",
            "out": "--out", "jobs": "--jobs", "backend": "--backend", "targets": "--until",
            "gpus": "--gpus", "timeout": "--timeout", "docker_hosts": "--docker-host",
            "memory_limit": "--memory-limit", "registry": "--registry",
            "cache_dir": "--cache-dir", "modules": "--modules"}


@contextmanager
def _options_named() -> Iterator[None]:
    """Word the API's argument errors with the command line's options."""
    try:
        yield
    except ArgumentError as exc:
        raise LamellaError(exc.as_option(_OPTIONS.get(exc.argument, exc.argument))) from None


def _report_console(args: argparse.Namespace) -> Console:
    """Where the run's report goes: stderr when stdout carries JSON events."""
    return err_console() if args.json_events else out_console()


def _parse_inputs(values: list[str]) -> dict[str, str]:
    inputs: dict[str, str] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise LamellaError(f"--input '{value}': write NAME=PATH, e.g. --input image=my.tif")
        if name in inputs:
            raise LamellaError(f"--input {name}: given twice ({inputs[name]} and {path}); give "
                               "each input once, or use --batch for many files")
        inputs[name] = path
    return inputs


def _sink(args: argparse.Namespace, order: list[str]) -> Display:
    if args.json_events:
        return JsonEvents()
    if args.quiet:
        return Silent()
    if out_console().is_terminal:
        return _LazyBars(order)
    return PlainLines(out_console())


class _LazyBars:
    """Progress bars, sized once the run says how many items it has."""

    def __init__(self, order: list[str]) -> None:
        self.order = order
        self.bars: ProgressBars | None = None

    def __call__(self, event: RunEvent) -> None:
        if self.bars is None and event.kind == "run_started":
            self.bars = ProgressBars(out_console(), self.order, int(event.detail["items"]))
        if self.bars is not None:
            self.bars(event)

    def close(self) -> None:
        if self.bars is not None:
            self.bars.close()


def validate(args: argparse.Namespace) -> None:
    """Check a workflow (modules, ports, types, parameters, cycles) without running it."""
    with _options_named():
        graph = Analysis.load(args.workflow, modules=args.modules).validate()
    _check_default_inputs(graph.workflow)
    nodes = "1 node" if len(graph.order) == 1 else f"{len(graph.order)} nodes"
    # One line per chain of steps; a step feeding several starts a line per further branch.
    chains = "".join(f"\n  {escape(' -> '.join(chain))}" for chain in graph.branches())
    out_console().print(f"{escape(str(args.workflow))}: valid ({nodes}){chains}")


def _check_default_inputs(workflow: Workflow) -> None:
    """A default input file that is missing would fail the first run that relies on it."""
    for name, spec in workflow.inputs.items():
        if spec.default is not None and not _is_file(workflow.resolve_path(spec.default)):
            raise InputFileError(f"input '{name}': its default {workflow.resolve_path(spec.default)} "
                                 "is not a file; fix 'default' in the workflow, or remove it and "
                                 f"pass --input {name}=PATH when running")


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long, a link loop: not a file the run could read either
        return False


def modules_list(args: argparse.Namespace) -> None:
    """List every module found, and folders whose manifest is broken."""
    catalog = Catalog.discover(args.modules)
    from rich.table import Table

    table = Table("module", "version", "category", "name", "from", box=None, pad_edge=False)
    for entry in sorted(catalog.entries, key=lambda e: (e.manifest.category, e.manifest.id)):
        m = entry.manifest
        table.add_row(m.id, m.version, m.category, m.name, entry.origin)
    out_console().print(table)
    for folder, error in catalog.broken.items():
        err_console().print(f"[red]broken module folder {escape(str(folder))}:[/] {escape(str(error))}")
    for folder, used in catalog.shadowed.items():
        m = used.manifest
        err_console().print(f"[yellow]not used:[/] {escape(str(folder))} ({m.id} {m.version} is "
                            f"taken from {escape(str(used.folder))}, found first)")


def modules_show(args: argparse.Namespace) -> None:
    """Show a module's description, ports and parameters."""
    catalog = Catalog.discover(args.modules)
    try:
        entry = catalog.resolve(args.module)
    except ModuleNotFound:
        if not (meant := full_references(catalog, args.module)):
            raise
        raise ModuleNotFound(f"'{args.module}' is not a module reference; did you mean "
                             f"{' or '.join(meant)}? (write owner/name@version)") from None
    m = entry.manifest
    out_console().print(f"[bold]{m.name}[/] ({m.id} {m.version}, {m.category})\n{escape(m.description)}")
    out_console().print(f"folder: {escape(str(entry.folder))}")
    for title, ports in (("inputs", m.inputs), ("outputs", m.outputs)):
        out_console().print(f"\n[bold]{title}[/]")
        for name, port in ports.items():
            optional = " (optional)" if getattr(port, "required", True) is False else ""
            out_console().print(f"  {name:<14} {port.type:<14}{optional} {escape(port.description)}")
    if m.parameters:
        out_console().print("\n[bold]parameters[/]")
    for name, spec in m.parameters.items():
        out_console().print(f"  {name:<14} {spec.type:<9} {escape(spec.summary())}\n"
                          f"      {escape(spec.description)}")


def editor(args: argparse.Namespace) -> None:
    """Open the editor window (a launcher: the editor package builds on the runner, not the reverse)."""
    import importlib

    try:
        app = importlib.import_module("lamella.editor.app")
    except ImportError as exc:
        raise LamellaError(f"the editor needs Qt and NodeGraphQt ({exc.name} is missing): "
                           "pip install 'lamella[editor]'") from None
    status = app.main(args.workflow, module_dirs=args.modules)
    if status:
        raise SystemExit(status)


def _lazy(name: str) -> Callable[[argparse.Namespace], None]:
    """A command of ``_images``, imported when it runs (it needs the Docker SDK)."""
    def command(args: argparse.Namespace) -> None:
        from lamella.runner.cli import _images

        getattr(_images, name)(args)
    return command


COMMANDS: dict[tuple[str, str | None], Callable[[argparse.Namespace], None]] = {
    ("run", None): run,
    ("editor", None): editor,
    ("validate", None): validate,
    ("modules", "list"): modules_list,
    ("modules", "show"): modules_show,
    ("modules", "build"): _lazy("module_build"),
    ("images", "base"): _lazy("images_base"),
    ("images", "runtime"): _lazy("images_runtime"),
    ("images", "build"): _lazy("module_build"),
    ("images", "list"): _lazy("images_list"),
    ("images", "export"): _lazy("images_export"),
    ("images", "import"): _lazy("images_import"),
    ("cache", "ls"): cache_ls,
    ("cache", "clear"): cache_clear,
    ("cache", "prune"): cache_prune,
    ("cache", "verify"): cache_verify,
}
# `lamella module ...` is the same command as `lamella modules ...`.
COMMANDS.update({("module", action): command for (group, action), command in list(COMMANDS.items())
                 if group == "modules"})
