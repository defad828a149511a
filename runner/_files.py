"""Files written so that no reader ever sees half of one, and a lock for a folder.

Each file goes to a hidden temporary name and is renamed into place: a rename within one
filesystem is atomic, so a killed run leaves either the old file or the new one, never a
partial one. The temporary file sits beside its target, or in a scratch folder of the
caller's (on the same filesystem) that is removed when its owner is gone, so a killed run's
temporary files never linger.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["FolderBusy", "FolderLock", "atomic_write_json", "atomic_write_text", "path_within"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temporary_for(target: Path, scratch: Path | None) -> tuple[int, str]:
    """A temporary file for ``target``, with the permissions a plain open() would give."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=scratch or target.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are meant to be shared
    return handle, tmp


def atomic_write_text(target: Path, text: str, *, scratch: Path | None = None) -> Path:
    """Write text to ``target`` through a temporary file (in ``scratch`` if given)."""
    handle, tmp = _temporary_for(target, scratch)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_write_json(target: Path, value: Any, *, scratch: Path | None = None) -> Path:
    """Write ``value`` as indented JSON, atomically."""
    return atomic_write_text(target, json.dumps(value, indent=2, default=str), scratch=scratch)


def path_within(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it lies inside it, else as it is."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


class FolderBusy(Exception):
    """Another process holds the lock."""


class FolderLock:
    """An exclusive ``flock`` on a lock file, removed again when released.

    The kernel drops the lock when its holder dies, so a killed process never blocks the
    next one; the file it leaves is simply locked anew.
    """

    def __init__(self, path: Path, handle: int) -> None:
        self.path, self._handle = path, handle

    @classmethod
    def take(cls, path: Path) -> FolderLock:
        """Lock ``path`` (created if missing) at once; :class:`FolderBusy` if it is held."""
        while True:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(handle)
                raise FolderBusy(str(path)) from None
            except BaseException:
                os.close(handle)
                raise
            if _same_file(handle, path):
                return cls(path, handle)
            # Its holder removed the file as we opened it: lock the file now there.
            os.close(handle)

    def release(self) -> None:
        """Remove the lock file, then drop the lock (in that order: see :meth:`take`)."""
        if _same_file(self._handle, self.path):
            self.path.unlink(missing_ok=True)
        os.close(self._handle)


def _same_file(handle: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(handle)
    return (on_disk.st_ino, on_disk.st_dev) == (held.st_ino, held.st_dev)
