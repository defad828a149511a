"""Outputs kept on the remote Docker host that made them, for the next node there to read in place.

A remote node's outputs are written into its task's volume. They are fetched back to this
machine as before, and at once: the engine checks them, hashes them, stores them in the
cache and writes the run record from the local copies, and a host that dies later then
holds no output the workflow still needs (its nodes run again elsewhere and read the
local copies). What changes is the way back: the volume is kept, and a node placed on
the same host mounts it read-only and links its inputs there, instead of this machine
shipping the same files into the host's store again (an upload and a check there per
node, most of a remote node's extra time).

A kept volume is found by the digest this machine computed from the fetched copy, which
is the volume's own content: the container that wrote it has ended and no other mounts
it writable. Only the newest few volumes per host are kept (a reader comes soon after its
producer: a batch's items run a few at a time); an older one is removed once no task
reads it, and a node needing its files later gets them shipped from this machine.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass

__all__ = ["KEPT_PER_HOST", "InPlace", "ResidentOutputs"]

KEPT_PER_HOST = 48


@dataclass(frozen=True)
class InPlace:
    """Where an output kept on the host is: its task's volume and its path inside it."""

    volume: str
    path: str  # relative to the volume's root, e.g. ``outputs/mask.ome.tif``


class ResidentOutputs:
    """The outputs one remote host keeps in task volumes, by content digest.

    Called from the engine's thread (:meth:`keep`, :meth:`done`) and from the threads that
    start remote tasks (:meth:`use`), hence the lock.
    """

    def __init__(self, keep: int = KEPT_PER_HOST) -> None:
        self._limit = keep
        self._kept: OrderedDict[str, dict[str, str]] = OrderedDict()  # volume -> digest -> path
        self._readers: Counter[str] = Counter()  # volume -> tasks that mount it, not yet removed
        self._dropped: set[str] = set()  # no longer offered, removed when its last reader goes
        self._lock = threading.Lock()

    def keep(self, volume: str, files: dict[str, str]) -> list[str]:
        """Offer ``files`` (digest -> path in ``volume``); the volumes to remove now."""
        with self._lock:
            self._kept[volume] = dict(files)
            removable = []
            while len(self._kept) > self._limit:
                oldest, _ = self._kept.popitem(last=False)
                removable += self._drop(oldest)
            return removable

    def is_kept(self, volume: str) -> bool:
        """True while ``volume`` is offered, or dropped but still read: it must stay."""
        with self._lock:
            return volume in self._kept or volume in self._dropped

    def holds(self, digests: list[str]) -> int:
        """How many of ``digests`` this host holds in place."""
        with self._lock:
            return sum(1 for digest in digests if self._find(digest) is not None)

    def use(self, digests: list[str]) -> dict[str, InPlace]:
        """Where each of ``digests`` it holds is, each volume counted as read until :meth:`done`."""
        with self._lock:
            found = {d: place for d in digests if (place := self._find(d)) is not None}
            self._readers.update({place.volume for place in found.values()})
            return found

    def done(self, volumes: tuple[str, ...]) -> list[str]:
        """A task that read ``volumes`` is removed; those now safe to remove."""
        with self._lock:
            self._readers.subtract(volumes)
            removable = [v for v in volumes if v in self._dropped and self._readers[v] <= 0]
            self._dropped.difference_update(removable)
            return removable

    def every(self) -> list[str]:
        """Every volume kept or waiting for removal (when the backend closes)."""
        with self._lock:
            volumes = [*self._kept, *self._dropped]
            self._kept.clear()
            self._dropped.clear()
            return volumes

    def _find(self, digest: str) -> InPlace | None:
        for volume, files in reversed(self._kept.items()):  # the newest: the last to be dropped
            if digest in files:
                return InPlace(volume, files[digest])
        return None

    def _drop(self, volume: str) -> list[str]:
        if self._readers[volume] > 0:
            self._dropped.add(volume)
            return []
        return [volume]
