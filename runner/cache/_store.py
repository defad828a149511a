"""The content-addressed store of node outputs.

Layout under the cache folder::

    store/<k[:2]>/<key>/     one finished node run: entry.json, outputs/, log.txt, and
                             ``used``, touched each time the entry is reused
    digests/<d[:2]>/<d>      a symlink to a stored file with content digest d
    tmp/<run id>/            scratch of runs in progress (task folders of the local backend)
    tmp/put-*/               an entry being assembled (renamed into store/ once whole)
    tmp/replaced-<key>-*/    an entry --no-cache replaced while other runs may read it
    history/<id>.json        the key components of each node's latest run (for --explain)
    lock                     shared by running runs, taken alone by ``clear``
    commit.lock              held by a put while it checks what is in place and renames

An entry is assembled from a succeeded run's artifacts (hard links where they share the
cache's filesystem, checked copies otherwise) and renamed into ``store/`` in one step, so
a killed run never leaves a half-written entry. Stored output files are made read-only and
their size and modification time are kept in ``entry.json``: an entry whose files no longer
match (truncated, overwritten, missing) is damaged, discarded, and made again by the next
run that needs it. Checking costs one ``stat`` per file, so a cache hit stays cheap
(``lamella cache verify`` re-hashes every file, for damage that kept size and mtime).

Several runs may share one cache, ``--no-cache`` runs too. A replacing run never takes
files from under another: modules get hard links to stored files (see
:func:`lamella.core.sdk.prepare_task_folder`); a new entry with the same content holds
the existing entry's very files (same inodes, size and mtime), so other runs' readers see
no change; a new entry with other content takes the old one's place in one exchange, and
the old one is kept in ``tmp/replaced-*`` until no run uses the cache, where
:meth:`CacheStore.sound_entry` finds it for runs that read it.

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
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lamella.core.sdk import OUTPUTS_DIR
from lamella.runner._files import atomic_write_json
from lamella.runner.cache._entry import ENTRY_FILE, FILES_KEY, LOG_NAME, USED_FILE, CacheEntry
from lamella.runner.cache._entry_files import (
    LOCK_FILE,
    MISSING,
    CacheError,
    abandoned,
    bring,
    rename_if_there,
    seal,
    stamp,
    touch,
)
from lamella.runner.cache._replace import KEPT_PREFIX, Replacing
from lamella.runner.cache._use_lock import CacheInUse, CacheUseLock

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from lamella.runner.backends import Artifact

__all__ = ["CacheEntry", "CacheError", "CacheInUse", "CacheStore"]

COMMIT_LOCK = "commit.lock"  # held while a put checks and renames (see CacheStore._committing)


class CacheStore(Replacing):
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
            touch(entry.folder / USED_FILE)
        return entry

    def _load(self, key: str) -> CacheEntry | None:
        """:meth:`get` without noting the use (listing the cache is no use of it)."""
        folder = self._entry_dir(key)
        entry, judged = self._read(key, folder)
        if entry is None and judged != MISSING:
            self._discard(folder, only=judged)
        return entry

    def _read(self, key: str, folder: Path) -> tuple[CacheEntry | None, tuple[int, int]]:
        """The entry in ``folder`` if sound, with the stamp of the entry.json it was judged by."""
        judged = stamp(folder / ENTRY_FILE)
        if judged == MISSING:
            return None, judged
        try:
            entry = CacheEntry(key, folder, json.loads((folder / ENTRY_FILE).read_text("utf-8")))
            if not entry.damaged_files():
                return entry, judged
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
        return None, judged

    def sound_entry(self, key: str, digests: Mapping[str, list[str]]) -> CacheEntry | None:
        """A sound entry for ``key`` with these output digests, or None.

        The one in the store, or one another run replaced (``--no-cache``) while this
        run may still read it: such entries are kept in ``tmp/`` until no run is on.
        """
        current = self._load(key)
        if current is not None and current.output_digests == dict(digests):
            return current
        for folder in sorted(self.tmp_dir.glob(f"{KEPT_PREFIX}{key}-*")):
            kept, _ = self._read(key, folder)
            if kept is not None and kept.output_digests == dict(digests):
                return kept
        return None

    def discard(self, entry: CacheEntry) -> None:
        """Remove a damaged entry, so the next run that needs it makes it again."""
        self._discard(entry.folder)

    def put(self, key: str, artifacts: Mapping[str, Artifact], meta: dict[str, Any], *,
            log: Path | None = None, replace: bool = False) -> CacheEntry:
        """Store a succeeded run's files under ``key``; the entry appears in one rename.

        ``artifacts`` (file name under ``outputs/`` -> artifact) are hard-linked when they
        are on the cache's filesystem and copied otherwise, the copy checked against the
        artifact's digest. With ``replace`` (``--no-cache``) the new entry takes the
        place of an existing one (see :meth:`_replace`), unless a run still on made that
        one with other content (see :meth:`_live_other`); otherwise an existing entry wins
        (another run stored the same result first).
        """
        staging = self.tmp_dir / f"put-{key[:16]}-{os.getpid()}-{time.monotonic_ns()}"
        try:
            for artifact in artifacts.values():
                bring(artifact.path, staging / OUTPUTS_DIR / artifact.name, digest=artifact.digest)
            (staging / OUTPUTS_DIR).mkdir(parents=True, exist_ok=True)
            if log is not None and log.is_file():
                bring(log, staging / LOG_NAME)
            sealed = seal(staging / OUTPUTS_DIR, meta["outputs"])
            with self._committing():
                entry = (self._replace(key, staging, meta, sealed) if replace
                         else self._move_in(key, staging, meta, sealed))
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # left only when the key was stored already
        self._index(entry)
        return entry

    @contextlib.contextmanager
    def _committing(self) -> Iterator[None]:
        """Hold the cache's commit lock: what a put finds in place stays so until it is done.

        Without it two runs storing the same key at once could each see no entry (or
        another run's) and then swap out what the other has just stored and is publishing.
        Only the renames and the checks before them run under it.
        """
        handle = os.open(self.root / COMMIT_LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)

    def _move_in(self, key: str, staging: Path, meta: dict[str, Any],
                 sealed: dict[str, list[int]]) -> CacheEntry:
        atomic_write_json(staging / ENTRY_FILE, {**meta, FILES_KEY: sealed})
        target = self._entry_dir(key)
        target.parent.mkdir(parents=True, exist_ok=True)
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
        if entry is None or not _holds(entry, target, digest):
            link.unlink(missing_ok=True)  # its entry was discarded, or replaced by other content
            return None
        return target

    def _discard(self, folder: Path, *, only: tuple[int, int] | None = None) -> bool:
        """Take an entry out of the store in one rename, then delete it; True if it did.

        With ``only`` (the stamp of the entry.json it was judged damaged by), an entry
        another run put in its place meanwhile is put back instead.
        """
        trash = self.tmp_dir / f"discarded-{folder.name}-{os.getpid()}-{time.monotonic_ns()}"
        if not rename_if_there(folder, trash):
            return False
        if only is not None and stamp(trash / ENTRY_FILE) != only and rename_if_there(trash, folder):
            return False
        shutil.rmtree(trash, ignore_errors=True)
        return True

    def remove_damaged(self, folder: Path, judged: tuple[int, int]) -> bool:
        """Remove the entry in ``folder`` if it is still the one judged damaged; True if removed.

        ``judged`` is the :func:`stamp` of the entry.json it was judged by: an entry another
        run put in its place meanwhile stays.
        """
        return self._discard(folder, only=judged)

    def entry_folders(self) -> list[Path]:
        """Every entry folder of the store, sound or not."""
        return sorted(path for path in self.store_dir.glob("*/*") if path.is_dir())

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
        # Locked under another name, then renamed: a run starting at the same moment must
        # never find a ``lock`` nobody holds yet (it would take the folder for abandoned).
        starting = folder / f".{LOCK_FILE}-{os.getpid()}"
        lock = starting.open("w")
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write(f"{os.uname().nodename} {os.getpid()}\n")
        lock.flush()
        os.rename(starting, folder / LOCK_FILE)
        self._locks[run_id] = lock
        return folder

    def release_run_dir(self, run_id: str) -> None:
        """Delete a run's scratch folder and drop its lock."""
        shutil.rmtree(self.tmp_dir / run_id, ignore_errors=True)
        lock = self._locks.pop(run_id, None)
        if lock is not None:
            lock.close()
        self._leave()

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        """Use the cache as a run does, without a scratch folder (``clear`` and ``prune`` refuse)."""
        self._use.share()
        try:
            yield
        finally:
            self._leave()

    def _leave(self) -> None:
        """Drop one use of the cache; the last user out removes the replaced entries kept."""
        self._use.release()
        if any(self.tmp_dir.glob(f"{KEPT_PREFIX}*")):
            with contextlib.suppress(CacheInUse), self._use.exclusive():
                self.remove_abandoned_runs(alone=True)

    def remove_abandoned_runs(self, *, alone: bool = False) -> None:
        """Delete scratch folders no live run holds (see the module docstring).

        ``alone`` (the caller holds the cache alone) also deletes the replaced entries
        kept for runs that were reading them.
        """
        for folder in list(self.tmp_dir.iterdir()):
            if folder.name.startswith(KEPT_PREFIX):
                if alone:
                    shutil.rmtree(folder, ignore_errors=True)
            elif abandoned(folder):
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
            self.remove_abandoned_runs(alone=True)
            return freed - self.size_bytes()


def _holds(entry: CacheEntry, path: Path, digest: str) -> bool:
    """True if ``path`` is one of ``entry``'s files, recorded with content ``digest``."""
    return any(path == file.resolve() and recorded == digest
               for files, digests in zip(entry.outputs.values(), entry.output_digests.values(),
                                         strict=True)
               for file, recorded in zip(files, digests, strict=True))
