"""The content-addressed store of node outputs.

Layout under the cache folder::

    store/<k[:2]>/<key>/     one finished node run: entry.json, outputs/, log.txt, task.json
    tmp/<run id>/            node runs in progress (moved into store/ only on success)
    history/<id>.json        the key components of each node's latest run (for --explain)

A node's folder is renamed into ``store/`` in one step once the node has succeeded, so a
killed run never leaves a half-written entry; its leftovers stay in ``tmp/`` and are removed
by the next run (when their process is gone) or by ``lamella cache clear``.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamella.core.sdk import INPUTS_DIR

__all__ = ["CacheEntry", "CacheStore"]

ENTRY_FILE = "entry.json"


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
        return self.folder / "log.txt"


class CacheStore:
    """Look up, add and list finished node runs."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.store_dir = self.root / "store"
        self.tmp_dir = self.root / "tmp"
        self.history_dir = self.root / "history"
        for folder in (self.store_dir, self.tmp_dir, self.history_dir):
            folder.mkdir(parents=True, exist_ok=True)

    # ----- lookup and commit ------------------------------------------------------------
    def _entry_dir(self, key: str) -> Path:
        return self.store_dir / key[:2] / key

    def get(self, key: str) -> CacheEntry | None:
        """The entry for ``key``, or None if the store has none (or a damaged one)."""
        folder = self._entry_dir(key)
        try:
            meta = json.loads((folder / ENTRY_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return CacheEntry(key, folder, meta)

    def commit(self, key: str, task_dir: Path, meta: dict[str, Any]) -> CacheEntry:
        """Move a succeeded task folder into the store under ``key`` in one rename."""
        shutil.rmtree(task_dir / INPUTS_DIR, ignore_errors=True)  # links into other entries
        _write_json(task_dir / ENTRY_FILE, meta)
        target = self._entry_dir(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(task_dir, target)
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            # Another run stored the same key first; its content is the same by construction.
            shutil.rmtree(task_dir, ignore_errors=True)
        entry = self.get(key)
        assert entry is not None  # it was just renamed into place
        return entry

    # ----- run scratch space ------------------------------------------------------------
    def new_run_dir(self, run_id: str) -> Path:
        """A scratch folder for one run, marked with this process's id."""
        self.remove_abandoned_runs()
        folder = self.tmp_dir / run_id
        folder.mkdir(parents=True)
        (folder / "pid").write_text(str(os.getpid()), encoding="utf-8")
        return folder

    def remove_abandoned_runs(self) -> None:
        """Delete scratch folders of runs whose process no longer exists."""
        for folder in self.tmp_dir.iterdir():
            if not _process_alive(folder / "pid"):
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
        _write_json(self._history_file(identity), components)

    # ----- maintenance ------------------------------------------------------------------
    def entries(self) -> list[CacheEntry]:
        """All entries, oldest first."""
        found = []
        for meta_file in self.store_dir.glob(f"*/*/{ENTRY_FILE}"):
            entry = self.get(meta_file.parent.name)
            if entry is not None:
                found.append(entry)
        return sorted(found, key=lambda e: e.meta.get("created", 0))

    def size_bytes(self) -> int:
        """Bytes used by the store and scratch space."""
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file() and not p.is_symlink())

    def clear(self) -> int:
        """Remove every entry, the history and abandoned scratch folders; return bytes freed."""
        freed = self.size_bytes()
        for folder in (self.store_dir, self.history_dir):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
        self.remove_abandoned_runs()
        return freed - self.size_bytes()


def _write_json(path: Path, value: Any) -> None:
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(value, stream, indent=2, default=str)
    os.replace(tmp, path)


def _process_alive(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        # No pid yet: a run may be creating it right now; only old folders are abandoned.
        return time.time() - pid_file.parent.stat().st_mtime < 60
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
