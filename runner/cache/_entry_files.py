"""File operations of the store: bringing files in, sealing them, swapping folders.

Everything here works on paths only; :mod:`lamella.runner.cache._store` decides what to do.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import functools
import os
import shutil
import time
from pathlib import Path

from lamella.core.cache_keys import file_digest
from lamella.core.errors import LamellaError
from lamella.core.sdk import OUTPUTS_DIR

__all__ = ["MISSING", "UNREADABLE", "CacheError", "abandoned", "all_shared", "bring", "exchange",
           "link_if_same", "rename_if_there", "seal", "size_and_mtime", "stamp", "touch", "unchanged"]

LOCK_FILE = "lock"
_READ_ONLY = 0o444
_YOUNG_S = 60  # a scratch folder this new may not have its lock yet
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # linux/fs.h: swap two paths in one step


class CacheError(LamellaError):
    """The cache folder cannot be used."""


def touch(path: Path) -> None:
    """Set ``path``'s modification time to now, creating it; a cache others own stays as it is."""
    try:
        os.utime(path)
    except FileNotFoundError:
        with contextlib.suppress(OSError):
            path.touch()
    except OSError:
        pass


def bring(source: Path, target: Path, *, digest: str | None = None) -> None:
    """Put ``source`` at ``target``: a hard link on the same filesystem, else a checked copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
        return
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
    shutil.copyfile(source, target)
    if digest is not None and file_digest(target) != digest:
        raise CacheError(f"{source.name}: the copy brought into the cache differs from what "
                         "the module wrote (a disk or network fault); run again")


def seal(outputs_dir: Path, written: dict[str, list[str]]) -> dict[str, list[int]]:
    """Make the listed output files read-only; return each one's size and mtime.

    Read-only stops a module that opens its (linked) input for writing, unless it runs as
    root; the size and mtime catch that case too, and any later damage.
    """
    sealed = {}
    for files in written.values():
        for name in files:
            path = outputs_dir / name
            os.chmod(path, _READ_ONLY)
            sealed[name] = list(size_and_mtime(path) or ())
    return sealed


def size_and_mtime(path: Path) -> tuple[int, int] | None:
    """``path``'s size and modification time in ns, or None if it cannot be read."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def unchanged(path: Path, recorded: object) -> bool:
    """True if ``path`` exists with the [size, mtime_ns] recorded when it was stored.

    Entries stored without them count as damaged: there is nothing to check them by.
    """
    now = size_and_mtime(path)
    return now is not None and isinstance(recorded, list) and list(now) == recorded


def exchange(first: Path, second: Path) -> bool:
    """Swap two existing folders in one step (Linux ``renameat2``); False where it cannot.

    A reader of ``second`` sees the old folder or the new one, never a missing one. False
    when ``second`` does not exist (or has just gone) or the system lacks the call; the
    caller then falls back to renames.
    """
    call = getattr(_libc(), "renameat2", None)
    if call is None:
        return False
    if call(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOENT, errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(second))


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def abandoned(folder: Path) -> bool:
    """True if no live run holds the folder's lock (or it is an old folder without one)."""
    try:
        handle = os.open(folder / LOCK_FILE, os.O_RDWR)
    except FileNotFoundError:
        try:
            return time.time() - folder.stat().st_mtime > _YOUNG_S
        except FileNotFoundError:
            return False  # another run removed it meanwhile
    except (IsADirectoryError, NotADirectoryError):
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(handle)
    return True


MISSING = (-1, -1)  # the entry folder does not exist
UNREADABLE = (0, 0)  # it exists without a readable entry.json


def stamp(meta_file: Path) -> tuple[int, int]:
    """Which file ``meta_file`` is (inode, mtime): entry.json is replaced whole, never edited."""
    try:
        info = meta_file.stat()
    except OSError:
        return UNREADABLE if meta_file.parent.exists() else MISSING
    return info.st_ino, info.st_mtime_ns


def rename_if_there(source: Path, target: Path) -> bool:
    """Rename ``source`` to ``target``; False if ``source`` is gone or ``target`` is taken."""
    try:
        os.rename(source, target)
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
            raise
        return False
    return True


def link_if_same(existing: Path, digest: str, target: Path) -> bool:
    """Replace ``target`` by a hard link to ``existing`` if its content has ``digest``."""
    temporary = target.with_name(f".{target.name}-{os.getpid()}-{time.monotonic_ns()}")
    try:
        if file_digest(existing) != digest:
            return False
        os.link(existing, temporary)
        os.replace(temporary, target)
    except OSError:  # gone meanwhile, another filesystem, too many links: keep the new file
        temporary.unlink(missing_ok=True)
        return False
    return True


def all_shared(old: Path, new: Path) -> bool:
    """True if every file under ``old/outputs`` is the same inode as its name in ``new``."""
    for path in (old / OUTPUTS_DIR).rglob("*"):
        if path.is_file():
            twin = new / OUTPUTS_DIR / path.relative_to(old / OUTPUTS_DIR)
            try:
                if not os.path.samefile(path, twin):
                    return False
            except OSError:
                return False
    return True
