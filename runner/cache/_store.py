"""The content-addressed store of node outputs.

Layout under the cache folder::

    store/<k[:2]>/<key>/     one finished node run: entry.json, outputs/, log.txt, and
                             ``used``, touched each time the entry is reused
    digests/<d[:2]>/<d>      a symlink to a stored file with content digest d
    tmp/<run id>/            scratch of runs in progress (task folders of the local backend)
    tmp/put-*/               an entry being assembled (renamed into store/ once whole)
    history/<id>.json        the key components of each node's latest run (for --explain)
    lock                     shared by running runs, taken alone by ``clear``

An entry is assembled from a succeeded run's artifacts (hard links where they share the
cache's filesystem, checked copies otherwise) and renamed into ``store/`` in one step, so
a killed run never leaves a half-written entry. Stored output files are made read-only and
their size and modification time are kept in ``entry.json``: an entry whose files no longer
match (truncated, overwritten, missing) is damaged, discarded, and made again by the next
run that needs it. Checking costs one ``stat`` per file, so a cache hit stays cheap.

Every run holds a shared lock on ``lock`` for its life; ``clear`` and ``prune`` take it
exclusively, so they never delete results a running run still needs. A run holds an exclusive lock on
``tmp/<run id>/lock`` while it lives; a scratch folder whose lock can be taken belongs to a
run that is gone (killed, crashed, or on another host of a shared cache) and is removed by
the next run or by ``lamella cache clear``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lamella.core.cache_keys import file_digest
from lamella.core.errors import LamellaError
from lamella.core.sdk import OUTPUTS_DIR
from lamella.runner._files import atomic_write_json
from lamella.runner.cache._use_lock import CacheInUse, CacheUseLock

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lamella.runner.backends import Artifact

__all__ = ["CacheEntry", "CacheError", "CacheInUse", "CacheStore"]

ENTRY_FILE = "entry.json"
LOG_NAME = "log.txt"
LOCK_FILE = "lock"
USED_FILE = "used"  # its modification time is the entry's last reuse
FILES_KEY = "files"  # entry.json: output file -> [size, mtime_ns] when stored
_READ_ONLY = 0o444
_YOUNG_S = 60  # a scratch folder this new may not have its lock yet


@dataclass(frozen=True)
class CacheEntry:
    """A finished node run in the store."""

    key: str
    folder: Path
    meta: dict[str, Any]

    @property
    def outputs(self) -> dict[str, list[Path]]:
        """Output files per port, as absolute paths."""
        out = self.folder / "outputs"
        return {port: [out / f for f in files] for port, files in self.meta["outputs"].items()}

    @property
    def output_digests(self) -> dict[str, list[str]]:
        """SHA-256 of each output file, per port, in the order of :attr:`outputs`."""
        return {port: list(d) for port, d in self.meta["output_digests"].items()}

    @property
    def log(self) -> Path:
        """The module's log of the run that made this entry."""
        return self.folder / LOG_NAME

    def last_used(self) -> float:
        """When the entry was last reused, or made (seconds since the epoch)."""
        try:
            return (self.folder / USED_FILE).stat().st_mtime
        except OSError:
            return float(self.meta.get("created") or 0)

    def size_bytes(self) -> int:
        """Bytes of the entry's files."""
        return sum(p.stat().st_size for p in self.folder.rglob("*")
                   if p.is_file() and not p.is_symlink())

    def damaged_files(self) -> list[Path]:
        """Output files missing, or changed in size or modification time since stored."""
        recorded = self.meta.get(FILES_KEY) or {}
        out = self.folder / OUTPUTS_DIR
        return [path for files in self.outputs.values() for path in files
                if not _unchanged(path, recorded.get(path.relative_to(out).as_posix()))]


class CacheError(LamellaError):
    """The cache folder cannot be used."""


class CacheStore:
    """Look up, add and list finished node runs."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.store_dir = self.root / "store"
        self.tmp_dir = self.root / "tmp"
        self.history_dir = self.root / "history"
        self.digest_dir = self.root / "digests"
        self._locks: dict[str, IO[str]] = {}
        try:
            for folder in (self.store_dir, self.tmp_dir, self.history_dir, self.digest_dir):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(f"cache folder {self.root}: cannot be used ({exc.strerror}); give "
                             "another cache folder, or set LAMELLA_CACHE_DIR") from None
        self._use = CacheUseLock(self.root / LOCK_FILE)

    # ----- lookup and commit ------------------------------------------------------------
    def _entry_dir(self, key: str) -> Path:
        return self.store_dir / key[:2] / key

    def get(self, key: str) -> CacheEntry | None:
        """The entry for ``key``, noted as used now; None if the store has none or a damaged one.

        A damaged entry (unreadable, or a listed file missing or changed since it was
        stored) is removed, so the node runs again and stores a sound one.
        """
        entry = self._load(key)
        if entry is not None:
            _touch(entry.folder / USED_FILE)
        return entry

    def _load(self, key: str) -> CacheEntry | None:
        """:meth:`get` without noting the use (listing the cache is no use of it)."""
        folder = self._entry_dir(key)
        if not folder.exists():
            return None
        try:
            meta = json.loads((folder / ENTRY_FILE).read_text(encoding="utf-8"))
            entry = CacheEntry(key, folder, meta)
            sound = not entry.damaged_files()
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            sound = False
        if not sound:
            self._discard(folder)
            return None
        return entry

    def discard(self, entry: CacheEntry) -> None:
        """Remove a damaged entry, so the next run that needs it makes it again."""
        self._discard(entry.folder)

    def put(self, key: str, artifacts: Mapping[str, Artifact], meta: dict[str, Any], *,
            log: Path | None = None, replace: bool = False) -> CacheEntry:
        """Store a succeeded run's files under ``key``; the entry appears in one rename.

        ``artifacts`` (file name under ``outputs/`` -> artifact) are hard-linked when they
        are on the cache's filesystem and copied otherwise, the copy checked against the
        artifact's digest. With ``replace`` (``--no-cache``) an existing entry is swapped
        for the new one; otherwise an existing entry wins (another run stored the same
        result first).
        """
        staging = self.tmp_dir / f"put-{key[:16]}-{os.getpid()}-{time.monotonic_ns()}"
        try:
            for artifact in artifacts.values():
                _bring(artifact.path, staging / OUTPUTS_DIR / artifact.name, digest=artifact.digest)
            (staging / OUTPUTS_DIR).mkdir(parents=True, exist_ok=True)
            if log is not None and log.is_file():
                _bring(log, staging / LOG_NAME)
            sealed = _seal(staging / OUTPUTS_DIR, meta["outputs"])
            atomic_write_json(staging / ENTRY_FILE, {**meta, FILES_KEY: sealed})
            entry = self._move_in(key, staging, replace=replace)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # left only when the key was stored already
        self._index(entry)
        return entry

    def _move_in(self, key: str, staging: Path, *, replace: bool) -> CacheEntry:
        target = self._entry_dir(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if replace and target.exists():
            self._discard(target)
        try:
            os.rename(staging, target)
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
        return CacheEntry(key, target, json.loads((target / ENTRY_FILE).read_text("utf-8")))

    # ----- artifacts by digest ----------------------------------------------------------
    def _index(self, entry: CacheEntry) -> None:
        """Point ``digests/<d[:2]>/<digest>`` at each stored file (a relative symlink)."""
        for files, digests in zip(entry.outputs.values(), entry.output_digests.values(), strict=True):
            for path, digest in zip(files, digests, strict=True):
                link = self.digest_dir / digest[:2] / digest
                if link.is_symlink() and link.exists():
                    continue
                link.parent.mkdir(parents=True, exist_ok=True)
                temporary = link.with_name(f".{digest}-{os.getpid()}-{time.monotonic_ns()}")
                os.symlink(os.path.relpath(path, link.parent), temporary)
                os.replace(temporary, link)

    def artifact(self, digest: str) -> Path | None:
        """A stored, sound file with content ``digest``, or None if the store has none."""
        link = self.digest_dir / digest[:2] / digest
        try:
            target = (link.parent / os.readlink(link)).resolve()
        except OSError:
            return None
        key = target.relative_to(self.store_dir.resolve()).parts[1] if target.is_relative_to(
            self.store_dir.resolve()) else None
        entry = self._load(key) if key else None
        if entry is None or not any(target == p.resolve() for f in entry.outputs.values() for p in f):
            link.unlink(missing_ok=True)  # its entry was discarded or replaced
            return None
        return target

    def _discard(self, folder: Path) -> None:
        """Take an entry out of the store in one rename, then delete it."""
        trash = self.tmp_dir / f"discarded-{folder.name}-{os.getpid()}-{time.monotonic_ns()}"
        try:
            os.rename(folder, trash)
        except FileNotFoundError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    # ----- run scratch space ------------------------------------------------------------
    def new_run_dir(self, run_id: str) -> Path:
        """A scratch folder for one run, locked until :meth:`release_run_dir`.

        From here to :meth:`release_run_dir` the run also holds the cache's shared lock,
        so :meth:`clear` waits for no one and refuses while the run is on.
        """
        self._use.share()
        self.remove_abandoned_runs()
        folder = self.tmp_dir / run_id
        folder.mkdir(parents=True)
        lock = (folder / LOCK_FILE).open("w")
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write(f"{os.uname().nodename} {os.getpid()}\n")
        lock.flush()
        self._locks[run_id] = lock
        return folder

    def release_run_dir(self, run_id: str) -> None:
        """Delete a run's scratch folder and drop its lock."""
        shutil.rmtree(self.tmp_dir / run_id, ignore_errors=True)
        lock = self._locks.pop(run_id, None)
        if lock is not None:
            lock.close()
        self._use.release()

    def remove_abandoned_runs(self) -> None:
        """Delete scratch folders no live run holds (see the module docstring)."""
        for folder in list(self.tmp_dir.iterdir()):
            if _abandoned(folder):
                shutil.rmtree(folder, ignore_errors=True)

    # ----- explain history --------------------------------------------------------------
    def _history_file(self, identity: str) -> Path:
        return self.history_dir / (hashlib.sha1(identity.encode()).hexdigest() + ".json")

    def previous_components(self, identity: str) -> dict[str, Any] | None:
        """Key components of the last run of a node (``identity`` = workflow/item/node)."""
        try:
            return json.loads(self._history_file(identity).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def remember_components(self, identity: str, components: dict[str, Any]) -> None:
        """Record a node's key components for the next ``--explain``."""
        # The temporary file goes to a live run's scratch folder, removed even if it is killed.
        scratch = self.tmp_dir / next(iter(self._locks)) if self._locks else None
        atomic_write_json(self._history_file(identity), components, scratch=scratch)

    # ----- maintenance ------------------------------------------------------------------
    def entries(self) -> list[CacheEntry]:
        """All entries, oldest first."""
        found = []
        for meta_file in self.store_dir.glob(f"*/*/{ENTRY_FILE}"):
            entry = self._load(meta_file.parent.name)
            if entry is not None:
                found.append(entry)
        return sorted(found, key=lambda e: e.meta.get("created", 0))

    def size_bytes(self) -> int:
        """Bytes used by the store and scratch space."""
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file() and not p.is_symlink())

    def exclusive(self, action: str) -> AbstractContextManager[None]:
        """Hold the cache alone for ``action`` (e.g. 'prune'); raises :class:`CacheInUse`."""
        return self._use.exclusive(action)

    def clear(self) -> int:
        """Remove every entry, the history and abandoned scratch folders; return bytes freed.

        Raises :class:`CacheInUse` while a run is using the cache.
        """
        with self._use.exclusive():
            freed = self.size_bytes()
            for folder in (self.store_dir, self.history_dir, self.digest_dir):
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True, exist_ok=True)
            self.remove_abandoned_runs()
            return freed - self.size_bytes()


def _touch(path: Path) -> None:
    """Set ``path``'s modification time to now, creating it; a cache others own stays as it is."""
    try:
        os.utime(path)
    except FileNotFoundError:
        with contextlib.suppress(OSError):
            path.touch()
    except OSError:
        pass


def _bring(source: Path, target: Path, *, digest: str | None = None) -> None:
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


def _seal(outputs_dir: Path, written: dict[str, list[str]]) -> dict[str, list[int]]:
    """Make the listed output files read-only; return each one's size and mtime.

    Read-only stops a module that opens its (linked) input for writing, unless it runs as
    root; the size and mtime catch that case too, and any later damage.
    """
    sealed = {}
    for files in written.values():
        for name in files:
            path = outputs_dir / name
            os.chmod(path, _READ_ONLY)
            sealed[name] = list(_size_and_mtime(path) or ())
    return sealed


def _size_and_mtime(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def _unchanged(path: Path, recorded: object) -> bool:
    """True if ``path`` exists with the [size, mtime_ns] recorded when it was stored.

    Entries stored without them count as damaged: there is nothing to check them by.
    """
    now = _size_and_mtime(path)
    return now is not None and isinstance(recorded, list) and list(now) == recorded


def _abandoned(folder: Path) -> bool:
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
