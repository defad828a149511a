"""What the CLI prints after a run: failures with their log tails, results, explanations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lamella.runner import RunResult
from lamella.runner._files import path_within
from lamella.runner.cli._console import escape
from lamella.runner.cli._sweep import folders_line
from lamella.runner.engine import log_tail

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["print_explanations", "print_failed_items", "print_failures", "print_summary"]


def print_failures(console: Console, result: RunResult) -> None:
    """For each failed node: module, exit status or error, and the last lines of its log."""
    for job in result.failures:
        manifest = job.node.entry.manifest
        where = job.where(batch=result.batch)
        console.print(f"[bold red]✗ node '{escape(where)}' ({manifest.id} {manifest.version}) "
                      f"failed{_with_status(job.exit_status, job.error)}:[/] {escape(job.error)}")
        if job.log is not None:
            lines = log_tail(job.log)
            console.print(f"  log: {escape(str(job.log))}" + (" (last lines):" if lines else " (empty)"))
            for line in lines:
                console.print(f"  | {escape(line)}", highlight=False)
        skipped = [j.node.id for j in result.jobs
                   if j.item == job.item and j.skipped_because == job.node.id]
        if skipped:
            console.print(f"  skipped because it failed: {', '.join(skipped)}")


def _with_status(exit_status: int | None, error: str) -> str:
    """' with exit status N', unless there is none or the error already says how it ended."""
    if exit_status is None or "exit status" in error or "killed by" in error:
        return ""
    return f" with exit status {exit_status}"


def print_summary(console: Console, result: RunResult, *, seconds: float) -> None:
    """One status line, then where the results and the run record are."""
    counts = {s: sum(1 for j in result.jobs if j.status == s)
              for s in ("finished", "cached", "failed", "skipped")}
    words = (f"{counts['finished']} ran, {counts['cached']} reused from cache"
             + (f", {counts['failed']} failed, {counts['skipped']} skipped" if not result.ok else ""))
    if result.ok:
        console.print(f"[bold green]Run succeeded[/] ({words}; {seconds:.1f} s).")
    else:
        console.print(f"[bold red]Run failed[/] ({words}). Fix the cause and run the same command "
                      "again: finished nodes are reused from the cache.")
    _print_warnings(console, result)
    console.print(f"Results in {escape(str(result.out_dir))}/")
    for name, path in result.combined.items():
        whole = "all points" if result.sweep is not None else "all images"
        console.print(f"  {name:<12} {escape(path_within(path, result.out_dir))} ({whole})")
    _print_pooled(console, result)
    if not result.batch:
        for name, files in next(iter(result.outputs.values())).items():
            shown = ", ".join(path_within(f, result.out_dir) for f in files)
            console.print(f"  {name:<12} {escape(shown)}")
    elif result.sweep is not None:
        console.print(folders_line(result))
    else:
        done = sum(1 for outputs in result.outputs.values() if outputs)
        console.print(f"  per image    {_count(done, 'folder')} <image>/")
    console.print(f"  {'run record':<12} {escape(path_within(result.record_path, result.out_dir))}")


def _print_pooled(console: Console, result: RunResult) -> None:
    """A batch's pooled files, and the outputs that could not be pooled with why."""
    section = result.record.get("pooled") or {}
    images = _count(len(section.get("images", [])), "image")
    for name, files in result.pooled.items():
        shown = ", ".join(path_within(f, result.out_dir) for f in files)
        console.print(f"  {name:<12} {escape(shown)} (pooled: the objects of all {images})")
    for name, why in section.get("not_pooled", {}).items():
        console.print(f"  {name:<12} [yellow]not pooled:[/] {escape(why)}")


def print_failed_items(console: Console, result: RunResult) -> None:
    """A batch's images that did not finish, one line each with why; the others' results stand."""
    failed = result.failed_items
    if not result.batch or result.sweep is not None or not failed:
        return
    total = len(result.outputs)
    console.print(f"[bold red]{len(failed)} of {_count(total, 'image')} did not finish[/] (not "
                  "pooled; the other images' results are complete):")
    for item, why in failed.items():
        console.print(f"  {escape(item)}: {escape(why)}", highlight=False)


def _print_warnings(console: Console, result: RunResult) -> None:
    """Module warnings, one line each, naming the node (and image in a batch)."""
    for where, message in result.warnings:
        console.print(f"[bold yellow]! {escape(where)}:[/] {escape(message)}", highlight=False)


def print_explanations(console: Console, result: RunResult) -> None:
    """Why each node ran or was reused (``--explain``)."""
    for job in result.jobs:
        where = job.where(batch=result.batch)
        reason = job.reason or job.error or job.status
        console.print(f"  {escape(where)}: {escape(reason)}", highlight=False)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
