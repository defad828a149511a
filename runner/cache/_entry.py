"""One finished node run in the store: its folder, entry.json, and the checks on its files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamella.core.sdk import OUTPUTS_DIR
from lamella.runner.cache._entry_files import unchanged

__all__ = ["ENTRY_FILE", "FILES_KEY", "LOG_NAME", "USED_FILE", "CacheEntry"]

ENTRY_FILE = "entry.json"
LOG_NAME = "log.txt"
USED_FILE = "used"  # its modification time is the entry's last reuse
FILES_KEY = "files"  # entry.json: output file -> [size, mtime_ns] when stored


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
                if not unchanged(path, recorded.get(path.relative_to(out).as_posix()))]
