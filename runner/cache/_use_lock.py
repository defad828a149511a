"""The cache's use lock: runs share it, ``lamella cache clear`` and ``prune`` need it alone.

A POSIX ``flock`` on one file in the cache folder. The kernel drops a lock when its
holder dies, so a killed run never blocks a later clear.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lamella.core.errors import LamellaError

__all__ = ["CacheInUse", "CacheUseLock"]


class CacheInUse(LamellaError):
    """The cache cannot be cleared or pruned: a run is using it."""


class CacheUseLock:
    """Shared by every run using the cache; exclusive while the cache is cleared."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._shared: int | None = None
        self._holders = 0

    def share(self) -> None:
        """Hold the lock shared (waits while a clear is under way); calls nest."""
        if self._shared is None:
            handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            fcntl.flock(handle, fcntl.LOCK_SH)
            self._shared = handle
        self._holders += 1

    def release(self) -> None:
        """Undo one :meth:`share`; the lock is dropped with the last."""
        self._holders = max(0, self._holders - 1)
        if self._holders == 0 and self._shared is not None:
            os.close(self._shared)
            self._shared = None

    @contextmanager
    def exclusive(self, action: str = "clear") -> Iterator[None]:
        """Hold the lock alone, or raise :class:`CacheInUse` at once if a run holds it."""
        handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                folder = self.path.parent
                raise CacheInUse(f"a run is using the cache {folder}; wait for it to finish, "
                                 f"then {action} again") from None
            yield
        finally:
            os.close(handle)
