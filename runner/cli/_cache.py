"""``lamella cache ls | clear | prune | verify``: what the cache holds, keeping it bounded and sound."""

from __future__ import annotations

import argparse
import time

from lamella.core.errors import LamellaError
from lamella.runner.cache import CacheEntry, CacheStore, default_cache_dir, prune, verify
from lamella.runner.cli._console import escape, out_console

__all__ = ["cache_clear", "cache_ls", "cache_prune", "cache_verify", "format_size"]

_WHY = {"unused": "not used for {days} days", "size": "least recently used, over {size}"}


def cache_ls(args: argparse.Namespace) -> None:
    """List cached node results with their size and last use, and the space they take."""
    store = _store(args)
    entries = sorted(store.entries(), key=CacheEntry.last_used)  # least recently used first
    rows = [("key", "workflow/node", "module", "size", "last used")]
    for entry in entries:
        key, workflow, node, module = _describe(entry)
        rows.append((key, f"{workflow}/{node}", module, format_size(entry.size_bytes()),
                     _when(entry.last_used())))
    if entries:
        # Plain columns, never wrapped: one entry per line, also in a narrow or piped terminal.
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            line = "  ".join(cell.rjust(w) if i == 3 else cell.ljust(w)
                             for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
            out_console().print(escape(line.rstrip()), highlight=False)
    out_console().print(f"{len(entries)} entries, {format_size(store.size_bytes())} in "
                        f"{escape(str(store.root))}")


def cache_clear(args: argparse.Namespace) -> None:
    """Delete every cached node result."""
    store = _store(args)
    count = len(store.entries())
    freed = store.clear()
    out_console().print(f"Removed {count} entries ({format_size(freed)}) from {escape(str(store.root))}")


def cache_prune(args: argparse.Namespace) -> None:
    """Remove entries not used for --older-than days, then the least recently used over --max-size."""
    if args.older_than is None and args.max_size is None:
        raise LamellaError("cache prune: give --older-than DAYS, --max-size SIZE or both, e.g. "
                           "--older-than 30 --max-size 2GB")
    store = _store(args)
    pruned = prune(store, older_than_days=args.older_than, max_bytes=args.max_size)
    words = {"days": f"{args.older_than:g}" if args.older_than is not None else "",
             "size": format_size(args.max_size or 0)}
    for removed in pruned.removed:
        workflow, node, module = _describe(removed.entry)[1:]
        out_console().print(f"  removed {removed.entry.key[:12]}  {escape(workflow)}/{escape(node)} "
                            f"({escape(module)}), {format_size(removed.size)}, last used "
                            f"{_when(removed.last_used)}: {_WHY[removed.why].format(**words)}")
    out_console().print(f"Removed {len(pruned.removed)} entries ({format_size(pruned.freed)}); "
                        f"{pruned.entries_left} entries, {format_size(pruned.size_left)} left in "
                        f"{escape(str(store.root))}")


def cache_verify(args: argparse.Namespace) -> None:
    """Re-hash every cached file; remove the results with a file not as recorded."""
    store = _store(args)
    verified = verify(store)
    for damaged in verified.removed:
        workflow, node, module = _describe(CacheEntry(damaged.key, store.root, damaged.meta))[1:]
        what = f"  {escape(workflow)}/{escape(node)} ({escape(module)})" if damaged.meta else ""
        out_console().print(f"  removed {damaged.key[:12]}{what}: {escape(damaged.problem)}")
    out_console().print(f"Checked {verified.checked} entries ({verified.files} files, "
                        f"{format_size(verified.bytes_read)} read): {len(verified.removed)} "
                        f"damaged and removed, {verified.sound} sound, in {escape(str(store.root))}")


def format_size(count: int) -> str:
    """``'512 B'``, ``'3.4 KB'``, ``'1.2 GB'`` (1 KB = 1024 bytes)."""
    value = float(count)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def _store(args: argparse.Namespace) -> CacheStore:
    return CacheStore(args.cache_dir or default_cache_dir())


def _describe(entry: CacheEntry) -> tuple[str, str, str, str]:
    """Key (short), workflow, node and module of an entry."""
    meta = entry.meta
    components = meta.get("components") or {}
    return (entry.key[:12], str(meta.get("workflow", "")), str(meta.get("node", "")),
            f"{components.get('module', '?')} {components.get('version', '')}".strip())


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))
