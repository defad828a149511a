"""Keep the cache bounded: drop entries not used for a while, then the least recently used.

An entry's last use is its last reuse by a run (the ``used`` file it holds, touched on
every cache hit), or its making when it was never reused. Pruning holds the cache alone,
like ``clear``: while a run uses the cache it refuses and removes nothing.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace

from lamella.runner.cache._entry import CacheEntry
from lamella.runner.cache._store import CacheStore

__all__ = ["Pruned", "RemovedEntry", "parse_size", "prune"]

_DAY_S = 86400.0
_SIZE = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[kmgt]?i?b?)\s*$", re.IGNORECASE)
_FACTORS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


@dataclass(frozen=True)
class RemovedEntry:
    """One entry pruned, with its size, last use and why it went."""

    entry: CacheEntry
    size: int
    last_used: float
    why: str  # "unused" (older than the limit) or "size" (least recently used, over the size)


@dataclass
class Pruned:
    """What :func:`prune` removed, and the cache's size after it."""

    removed: list[RemovedEntry] = field(default_factory=list)
    size_left: int = 0
    entries_left: int = 0

    @property
    def freed(self) -> int:
        """Bytes of the entries removed."""
        return sum(r.size for r in self.removed)


def parse_size(text: str) -> int:
    """Bytes in a size such as ``500MB``, ``2GB``, ``1.5 G``, ``800k`` or ``1024``.

    Units count in 1024s (1 KB = 1024 bytes), as ``lamella cache ls`` prints sizes;
    ``KiB``, ``MiB``... are read the same. Raises ValueError for anything else.

    Examples
    --------
    >>> parse_size("500MB"), parse_size("2 GB"), parse_size("1024")
    (524288000, 2147483648, 1024)
    """
    match = _SIZE.match(text)
    if match is None or match["unit"].lower() in ("i", "ib"):
        raise ValueError(f"'{text}' is not a size; write e.g. 500MB or 2GB")
    factor = _FACTORS[match["unit"].lower().rstrip("b").rstrip("i")]
    return int(float(match["number"]) * factor)


def prune(store: CacheStore, *, older_than_days: float | None = None,
          max_bytes: int | None = None, now: float | None = None) -> Pruned:
    """Remove entries unused for ``older_than_days``, then the least recently used over ``max_bytes``.

    The size counted is the whole cache folder's (entries, scratch space and history), as
    ``lamella cache ls`` shows it.

    Raises :class:`lamella.runner.cache.CacheInUse` while a run is using the cache.
    """
    now = time.time() if now is None else now
    pruned = Pruned()
    with store.exclusive("prune"):
        store.remove_abandoned_runs(alone=True)
        kept = sorted((RemovedEntry(e, e.size_bytes(), e.last_used(), "") for e in store.entries()),
                      key=lambda found: found.last_used)  # least recently used first
        if older_than_days is not None:
            limit = now - older_than_days * _DAY_S
            for found in [f for f in kept if f.last_used < limit]:
                _remove(store, found, "unused", pruned)
            kept = [f for f in kept if f.last_used >= limit]
        over = store.size_bytes() - max_bytes if max_bytes is not None else 0
        while over > 0 and kept:
            found = kept.pop(0)
            _remove(store, found, "size", pruned)
            over -= found.size
        pruned.size_left, pruned.entries_left = store.size_bytes(), len(kept)
    return pruned


def _remove(store: CacheStore, found: RemovedEntry, why: str, pruned: Pruned) -> None:
    store.discard(found.entry)
    pruned.removed.append(replace(found, why=why))
