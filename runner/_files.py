"""Files written so that no reader ever sees half of one, and a lock for a folder.

Each file goes to a hidden temporary name and is renamed into place: a rename within one
filesystem is atomic, so a killed run leaves either the old file or the new one, never a
partial one. The temporary file sits beside its target, or in a scratch folder of the
caller's (on the same filesystem) that is removed when its owner is gone, so a killed run's
temporary files never linger.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = ["FolderBusy", "FolderLock", "atomic_write_json", "atomic_write_text", "close_all",
           "folder_chain", "move_in_below", "path_within", "remove_below", "sync_folder"]


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


def atomic_write_text(target: Path, text: str, *, scratch: Path | None = None,
                      durable: bool = False) -> Path:
    """Write text to ``target`` through a temporary file (in ``scratch`` if given).

    ``durable`` also flushes the file and its folder to the disk, so the file survives a
    power cut once this returns (a kill needs no flush: the kernel has the data).
    """
    handle, tmp = _temporary_for(target, scratch)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        sync_folder(target.parent)
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


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (renames, removals) to the disk, where the system allows it."""
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some filesystems cannot flush a folder; there is nothing more to do
    finally:
        os.close(handle)


def folder_chain(root: Path, parts: tuple[str, ...], *, create: bool = False) -> list[int]:
    """Descriptors of ``root`` and of each folder ``root/parts[0]/...``, reached without links.

    Every part must be a real folder: a symbolic link, even to a folder, is refused with
    ``NotADirectoryError`` (or ``OSError`` ELOOP), so nothing is ever written or removed
    through a link. Missing parts are made with ``create``, else ``FileNotFoundError``. The
    caller closes the descriptors (:func:`close_all`).
    """
    chain = [os.open(root, os.O_RDONLY | os.O_DIRECTORY)]
    try:
        for part in parts:
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o777, dir_fd=chain[-1])
            chain.append(os.open(part, _FOLDER_NO_LINK, dir_fd=chain[-1]))
    except BaseException:
        close_all(chain)
        raise
    return chain


def close_all(handles: list[int]) -> None:
    """Close every descriptor of a :func:`folder_chain`."""
    for handle in handles:
        os.close(handle)


def move_in_below(source: Path, root: Path, relative: str) -> None:
    """Rename ``source`` to ``root/relative``, making its folders, never through a link.

    A missing ``source`` is taken as moved already (a step done again after a kill).
    """
    if not os.path.lexists(source):
        return
    parts = PurePosixPath(relative).parts
    chain = folder_chain(root, parts[:-1], create=True)
    try:
        os.replace(source, parts[-1], dst_dir_fd=chain[-1])
    finally:
        close_all(chain)


def remove_below(root: Path, relative: str) -> None:
    """Remove the file ``root/relative`` and the folders it leaves empty; never through a link.

    A folder on the way that is missing, a file or a link means the file is not there:
    nothing is removed. Folders are never removed with their contents.
    """
    parts = PurePosixPath(relative).parts
    try:
        chain = folder_chain(root, parts[:-1])
    except OSError:
        return
    try:
        with contextlib.suppress(FileNotFoundError):
            if not stat.S_ISDIR(os.stat(parts[-1], dir_fd=chain[-1], follow_symlinks=False).st_mode):
                os.unlink(parts[-1], dir_fd=chain[-1])
        for depth in range(len(parts) - 1, 0, -1):
            try:
                os.rmdir(parts[depth - 1], dir_fd=chain[depth - 1])
            except OSError:
                break  # not empty: it holds other files
    finally:
        close_all(chain)


_FOLDER_NO_LINK = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


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
            # Never through a link: a lock file planted as one would be created elsewhere.
            handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
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
