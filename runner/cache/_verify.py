"""Re-hash every stored file against the SHA-256 recorded with it; remove damaged entries.

A cache hit checks each file's size and modification time only (one ``stat``, as
Nextflow's default also trusts), so a file changed with both restored (a disk fault, a
tool that keeps timestamps, a restore from a backup) passes unnoticed. :func:`verify`
reads every file instead.

It uses the cache as a run does (the shared lock: runs go on meanwhile, ``clear`` and
``prune`` refuse). Removing is safe beside runs: an entry is taken out of the store in one
rename and deleted only if it is still the entry judged damaged; one another run put in
its place meanwhile (``--no-cache``) is put back. A run that was about to read a removed
entry finds it gone, as after any damage, and reports it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lamella.core.cache_keys import file_digest
from lamella.core.sdk import OUTPUTS_DIR
from lamella.runner.cache._entry import ENTRY_FILE, FILES_KEY, CacheEntry
from lamella.runner.cache._entry_files import MISSING, stamp, unchanged
from lamella.runner.cache._store import CacheStore

__all__ = ["DamagedEntry", "Verified", "verify"]


@dataclass(frozen=True)
class DamagedEntry:
    """An entry :func:`verify` removed, and why."""

    key: str
    meta: dict[str, Any]
    problem: str  # e.g. "table.csv differs from its recorded SHA-256"


@dataclass
class Verified:
    """What :func:`verify` read and removed."""

    checked: int = 0
    files: int = 0
    bytes_read: int = 0
    removed: list[DamagedEntry] = field(default_factory=list)

    @property
    def sound(self) -> int:
        """Entries checked and kept."""
        return self.checked - len(self.removed)


def verify(store: CacheStore) -> Verified:
    """Re-hash every entry's output files; remove each entry with a file not as recorded."""
    found = Verified()
    with store.shared():
        for folder in store.entry_folders():
            judged = stamp(folder / ENTRY_FILE)
            if judged == MISSING:
                continue  # removed or replaced meanwhile
            found.checked += 1
            meta, problem = _check(folder, found)
            if problem and store.remove_damaged(folder, judged):
                found.removed.append(DamagedEntry(folder.name, meta, problem))
    return found


def _check(folder: Path, found: Verified) -> tuple[dict[str, Any], str]:
    """The entry's meta and its first problem ('' if none), counting what was read."""
    try:
        meta = json.loads((folder / ENTRY_FILE).read_text(encoding="utf-8"))
        entry = CacheEntry(folder.name, folder, meta)
        pairs = [(path, digest) for port, files in entry.outputs.items()
                 for path, digest in zip(files, entry.output_digests[port], strict=True)]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}, "entry.json cannot be read"
    recorded = meta.get(FILES_KEY)
    if not isinstance(recorded, dict):
        return meta, "entry.json records no file sizes (stored by an older version)"
    for path, digest in pairs:
        problem = _file_problem(path, digest, recorded.get(path.relative_to(folder / OUTPUTS_DIR)
                                                           .as_posix()), found)
        if problem:
            return meta, problem
    return meta, ""


def _file_problem(path: Path, digest: str, recorded: object, found: Verified) -> str:
    if not path.is_file():
        return f"{path.name} is missing"
    if not unchanged(path, recorded):
        return f"{path.name} changed in size or modification time"
    found.files += 1
    found.bytes_read += path.stat().st_size
    if file_digest(path) != digest:
        return f"{path.name} differs from its recorded SHA-256"
    return ""
