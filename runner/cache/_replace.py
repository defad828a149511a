"""How ``--no-cache`` puts a new entry in the place of an existing one, beside other runs.

Other runs on the same cache may be reading the existing entry (a node about to start, a
result being published). So: a new entry with the same content holds the existing
entry's very files; one with other content takes the old one's place in one exchange,
the old one kept in ``tmp/replaced-*`` while runs are on; and an entry a run still on
made with other content is not replaced at all. All of it runs under the commit lock
(:meth:`CacheStore._committing`), so what a put finds in place stays so until it is done.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
from pathlib import Path
from typing import IO, Any

from lamella.core.sdk import OUTPUTS_DIR
from lamella.runner._files import atomic_write_json
from lamella.runner.cache._entry import ENTRY_FILE, FILES_KEY, CacheEntry
from lamella.runner.cache._entry_files import (
    abandoned,
    all_shared,
    exchange,
    link_if_same,
    rename_if_there,
)

__all__ = ["KEPT_PREFIX", "Replacing"]

KEPT_PREFIX = "replaced-"  # tmp/replaced-<key>-...: an entry replaced while runs may read it


class Replacing:
    """The replacing half of :class:`lamella.runner.cache.CacheStore`."""

    tmp_dir: Path
    _locks: dict[str, IO[str]]

    # A mixin: CacheStore defines these two; they are declared here so the type checker
    # sees what this half uses. Called on a bare Replacing they fail loudly.
    def _entry_dir(self, key: str) -> Path:
        raise NotImplementedError("defined by CacheStore")

    def _load(self, key: str) -> CacheEntry | None:
        raise NotImplementedError("defined by CacheStore")

    def _replace(self, key: str, staging: Path, meta: dict[str, Any],
                 sealed: dict[str, list[int]]) -> CacheEntry:
        """Put ``staging`` in the place of ``key``'s entry, in one step where the system can.

        The entry it replaces is kept in ``tmp/`` (removed once no run uses the cache) if
        some of its files differ: a run that read it keeps finding them through
        :meth:`sound_entry`. Its files the new entry shares need no keeping. An entry a
        live run made with other content is not replaced (see :meth:`_live_other`).
        """
        live = self._live_other(key, meta)
        if live is not None:
            return live
        sealed = self._share_unchanged(key, staging, meta, sealed)
        atomic_write_json(staging / ENTRY_FILE, {**meta, FILES_KEY: sealed})
        target = self._entry_dir(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        kept = self.tmp_dir / f"{KEPT_PREFIX}{key}-{os.getpid()}-{time.monotonic_ns()}"
        if exchange(staging, target):
            old: Path | None = staging  # now holds the replaced entry
        else:  # no exchange: move the old entry aside, then the new one in
            old = kept if rename_if_there(target, kept) else None
            try:
                os.rename(staging, target)
            except OSError as exc:  # another run put its entry here meanwhile: as new as ours
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
        if old is not None and all_shared(old, target):
            shutil.rmtree(old, ignore_errors=True)
        elif old == staging:
            os.rename(staging, kept)
        return CacheEntry(key, target, json.loads((target / ENTRY_FILE).read_text("utf-8")))

    def _live_other(self, key: str, meta: dict[str, Any]) -> CacheEntry | None:
        """The stored entry, if another run that is still on made it with other content.

        That run is reading and publishing those very files (a module that gives other
        bytes each time: random seeds, timestamps); swapping them now could hand it a
        mix of two results. This run uses that entry instead: an equally valid result of
        the same step and inputs, so its own results stay of one piece.
        """
        current = self._load(key)
        maker = str(current.meta.get("run_id") or "") if current is not None else ""
        if (current is None or current.output_digests == meta["output_digests"] or not maker
                or maker in self._locks or "/" in maker):
            return None
        scratch = self.tmp_dir / maker
        return current if scratch.is_dir() and not abandoned(scratch) else None

    def _share_unchanged(self, key: str, staging: Path, meta: dict[str, Any],
                         sealed: dict[str, list[int]]) -> dict[str, list[int]]:
        """Give the new entry the existing entry's files where their content is the same.

        Other runs on this cache may be reading the existing entry (a node about to
        start, a result being published). When the new run made the same files, the new
        entry holds the very same inodes, with the same size and mtime, so for those
        readers nothing changes; only entry.json and the log are new. Each existing file
        is re-hashed first: ``--no-cache`` also repairs a file damaged with its size and
        mtime kept. Returns the recorded [size, mtime] of the new entry's files.
        """
        current = self._load(key)
        if current is None or current.meta.get("outputs") != meta["outputs"]:
            return sealed
        recorded = current.meta[FILES_KEY]
        shared = dict(sealed)
        new_digests = dict(meta["output_digests"])
        for port, files in current.outputs.items():
            for path, digest in zip(files, new_digests.get(port, []), strict=False):
                name = path.relative_to(current.folder / OUTPUTS_DIR).as_posix()
                if link_if_same(path, digest, staging / OUTPUTS_DIR / name):
                    shared[name] = recorded[name]
        return shared
