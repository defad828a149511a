"""Copy results into the output folder, one file at a time, never half-written.

Each file is copied to a hidden temporary name in the destination folder and renamed into
place, so a reader (or a killed run) never sees a partial file. Single runs write
``OUT/<output><ext>``; batches write ``OUT/<item>/<output><ext>`` plus, for every table
output, ``OUT/<output>.csv`` combining all items with an ``image`` column.
"""

from __future__ import annotations

from pathlib import Path

from lamella.runner._files import atomic_copy

__all__ = ["OutputFolder", "file_suffix"]


def file_suffix(path: Path) -> str:
    """Full suffix of a result file: '.ome.tif' for OME-TIFFs, else the last suffix."""
    name = path.name.lower()
    return ".ome.tif" if name.endswith(".ome.tif") else path.suffix


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
