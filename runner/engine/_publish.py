"""Copy results into the output folder, one file at a time, never half-written.

Each file is copied to a hidden temporary name in the destination folder and renamed into
place, so a reader (or a killed run) never sees a partial file. Single runs write
``OUT/<output><ext>``; batches write ``OUT/<item>/<output><ext>`` plus, for every table
output, ``OUT/<output>.csv`` combining all items with an ``image`` column.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["OutputFolder", "atomic_copy", "atomic_write_text", "file_suffix"]


def file_suffix(path: Path) -> str:
    """Full suffix of a result file: '.ome.tif' for OME-TIFFs, else the last suffix."""
    name = path.name.lower()
    return ".ome.tif" if name.endswith(".ome.tif") else path.suffix


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temporary_beside(target: Path) -> tuple[int, str]:
    """A temporary file next to ``target``, with the permissions a plain open() would give."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are meant to be shared
    return handle, tmp


def atomic_copy(source: Path, target: Path) -> Path:
    """Copy ``source`` to ``target`` through a temporary file in the target's folder."""
    handle, tmp = _temporary_beside(target)
    os.close(handle)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_write_text(target: Path, text: str) -> Path:
    """Write text to ``target`` through a temporary file in the same folder."""
    handle, tmp = _temporary_beside(target)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


class OutputFolder:
    """The user's results folder for one run or batch."""

    def __init__(self, root: Path, *, batch: bool) -> None:
        self.root = Path(root)
        self.batch = batch

    def item_dir(self, item: str) -> Path:
        """Where one item's results go."""
        return self.root / item if self.batch else self.root

    def publish(self, item: str, output_name: str, files: list[Path]) -> list[Path]:
        """Copy one workflow output's files; names are ``<output><ext>``."""
        suffixes = [file_suffix(f) for f in files]
        distinct = len(set(suffixes)) == len(suffixes)
        targets = [
            self.item_dir(item) / (f"{output_name}{suffix}" if distinct else f"{output_name}-{f.name}")
            for f, suffix in zip(files, suffixes, strict=True)
        ]
        return [atomic_copy(f, t) for f, t in zip(files, targets, strict=True)]

    def publish_log(self, item: str, node: str, log: Path) -> Path | None:
        """Copy a node's log to ``logs/`` (``logs/<item>/`` in a batch)."""
        if not log.is_file():
            return None
        folder = self.root / "logs" / (item if self.batch else "")
        return atomic_copy(log, folder / f"{node}.log")
