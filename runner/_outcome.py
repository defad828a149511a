"""How each item (image) of a run ended, in one line: for pooling, the record and the CLI."""

from __future__ import annotations

from lamella.runner.engine import Job

__all__ = ["item_failures"]


def item_failures(jobs: list[Job]) -> dict[str, str]:
    """Item name -> why its nodes did not all finish, for the items that did not.

    The reason is the item's first failed node and its error; with none failed (skipped
    after its input was damaged, interrupted, not started), its first unfinished node.
    """
    by_item: dict[str, list[Job]] = {}
    for job in jobs:
        by_item.setdefault(job.item.name, []).append(job)
    return {name: line for name, item_jobs in by_item.items() if (line := _why(item_jobs))}


def _why(item_jobs: list[Job]) -> str:
    failed = [job for job in item_jobs if job.status == "failed"]
    if failed:
        error = (failed[0].error or "no error message").splitlines()[0]
        return f"node '{failed[0].node.id}' failed: {error}"
    unfinished = [job for job in item_jobs if not job.ok]
    if unfinished:
        return f"node '{unfinished[0].node.id}' {unfinished[0].status.replace('_', ' ')}"
    return ""
