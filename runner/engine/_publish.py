"""The results folder: a run's results, logs and record, replaced as a whole when it ends.

While a run is on, results are copied into a hidden staging folder inside the results folder
(``.lamella-staging-<run id>/``: the same filesystem, so moving a file out of it is a
rename) as nodes finish. When the run ends (succeeded, failed or interrupted) one short
commit step replaces the previous run's results with this run's: files the previous record
lists that this run does not replace are removed, the staged files are renamed into place,
and the new record is renamed in last. Before its first change the step writes what it will
do to a journal (``.lamella-commit.json``); a run killed during the step leaves the journal,
and the next run into the folder (or :func:`complete_commit`) finishes the step before
anything else. The results folder therefore always holds exactly the newest ended run's
results; a run killed before its commit step (SIGKILL, power cut) leaves the earlier results
and record as they were, and the next run into the folder removes its staging folder.

Nothing is written or removed through a symbolic link inside the results folder: a link
where the run puts a folder (``logs``, an item's folder) is refused before the run starts,
and earlier results behind a link are left alone.

A run holds an exclusive lock on ``.lamella-lock`` for its life, so two runs never write into
one folder at once. Files nobody listed in a record are never touched; a folder holding
files but no record is refused, as it is not a results folder.

Single runs publish ``<output><ext>``; batches ``<item>/<output><ext>`` plus, for every table
output, ``<output>.csv`` combining all items, and pooled results over all items
(``<output>-pooled.csv``, ``<output>-pooled.png``/``.svg``; see ``lamella.runner._pooled``).
Logs go to ``logs/`` (``logs/<item>/``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from lamella.runner._arguments import ArgumentError
from lamella.runner._files import FolderBusy, FolderLock, atomic_write_text, sync_folder
from lamella.runner._files import move_in_below as _move_in
from lamella.runner._files import remove_below as _remove_result
from lamella.runner.engine._record import RECORD_FILE

__all__ = ["JOURNAL_FILE", "LOCK_FILE", "LOGS_DIR", "POOLED_SUFFIXES", "STAGING_PREFIX", "OutputFolder",
           "complete_commit", "file_suffix", "reserved_names"]

LOGS_DIR = "logs"
LOCK_FILE = ".lamella-lock"
JOURNAL_FILE = ".lamella-commit.json"
STAGING_PREFIX = ".lamella-staging-"
_NAMES_SHOWN = 3
POOLED_SUFFIXES = ("-pooled.csv", "-pooled.png", "-pooled.svg")  # after an output's name


def file_suffix(path: Path) -> str:
    """Full suffix of a result file: '.ome.tif' for OME-TIFFs, else the last suffix."""
    name = path.name.lower()
    return ".ome.tif" if name.endswith(".ome.tif") else path.suffix


def reserved_names(outputs: list[str]) -> set[str]:
    """Names a batch's results folder uses itself, so no item folder may take them."""
    pooled = {f"{name}{suffix}" for name in outputs for suffix in POOLED_SUFFIXES}
    return {LOGS_DIR, RECORD_FILE, *(f"{name}.csv" for name in outputs), *pooled}


class OutputFolder:
    """The user's results folder for one run or batch; see the module docstring.

    Make one with :meth:`open`; paths it returns are where files will be once the run has
    ended (:meth:`staged` says where one is until then).
    """

    def __init__(self, root: Path, *, batch: bool, run_id: str = "",
                 items: list[str] | None = None, outputs: list[str] | None = None) -> None:
        self.root = Path(root)
        self.batch = batch
        self.staging = self.root / f"{STAGING_PREFIX}{run_id}"
        self._folders = _item_folders(items or [], reserved_names(outputs or []))
        self._staged: dict[str, Path] = {}  # relative path -> staged file, in publishing order
        self._lock: FolderLock | None = None

    @classmethod
    def open(cls, root: Path, *, batch: bool, run_id: str, items: list[str],
             outputs: list[str]) -> OutputFolder:
        """Create or reuse the results folder, lock it and make this run's staging folder.

        Raises :class:`ArgumentError` (argument ``out``) if the folder cannot be written,
        another run is writing to it, or it holds files no run wrote.
        """
        folder = cls(root, batch=batch, run_id=run_id, items=items, outputs=outputs)
        _make_folder(folder.root)
        folder._lock = _lock(folder.root)
        try:
            _finish_commit(folder.root)
            _refuse_foreign_files(folder.root)
            _refuse_links(folder.root, folder._own_folders())
            _remove_stale_staging(folder.root)
            _make_staging(folder.staging)
        except BaseException:
            folder.close()
            raise
        return folder

    def _own_folders(self) -> list[str]:
        """The folders this run puts files in (besides the results folder itself)."""
        items = sorted(set(self._folders.values())) if self.batch else []
        return [LOGS_DIR, *items, *(f"{LOGS_DIR}/{item}" for item in items)]

    # ----- publishing, into the staging folder ------------------------------------------
    def item_dir(self, item: str) -> Path:
        """Where one item's results go."""
        return self.root / self._folders.get(item, item) if self.batch else self.root

    def publish(self, item: str, output_name: str, files: list[Path]) -> list[Path]:
        """Copy one workflow output's files; names are ``<output><ext>``."""
        suffixes = [file_suffix(f) for f in files]
        distinct = len(set(suffixes)) == len(suffixes)
        targets = [
            self.item_dir(item) / (f"{output_name}{suffix}" if distinct else f"{output_name}-{f.name}")
            for f, suffix in zip(files, suffixes, strict=True)
        ]
        return [self._copy(f, t) for f, t in zip(files, targets, strict=True)]

    def publish_log(self, item: str, node: str, log: Path) -> Path | None:
        """Copy a node's log to ``logs/`` (``logs/<item>/`` in a batch)."""
        if not log.is_file():
            return None
        folder = self.root / LOGS_DIR / (self._folders.get(item, item) if self.batch else "")
        return self._copy(log, folder / f"{node}.log")

    def write_text(self, name: str, text: str) -> Path:
        """Write a file the run makes itself (a combined table) at the folder's top."""
        target = self.root / name
        staged = self._staging_path(target)
        staged.write_text(text, encoding="utf-8")
        self._staged[self._relative(target)] = staged
        return target

    def add_file(self, name: str, source: Path) -> Path:
        """Copy a file the run makes itself (a pooled plot) to the folder's top."""
        return self._copy(source, self.root / name)

    def staged(self, path: Path) -> Path:
        """Where a published file is until the run has ended."""
        return self._staged.get(self._relative(path), path)

    def _copy(self, source: Path, target: Path) -> Path:
        staged = self._staging_path(target)
        shutil.copyfile(source, staged)
        # Listed only once whole: a copy cut short stays behind in the staging folder,
        # which is removed, never published.
        self._staged[self._relative(target)] = staged
        return target

    def _staging_path(self, target: Path) -> Path:
        staged = self.staging / self._relative(target)
        staged.parent.mkdir(parents=True, exist_ok=True)
        return staged

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    # ----- the end of the run -----------------------------------------------------------
    def commit(self, record_text: str) -> Path:
        """Replace the previous run's results with this run's; the record goes last.

        The journal of the step is written before its first change, so a kill at any
        point of it is completed by the next run into the folder.
        """
        (self.staging / RECORD_FILE).write_text(record_text, encoding="utf-8")
        moves = list(self._staged)
        _refuse_links(self.root, {str(PurePosixPath(m).parent) for m in moves} - {"."})
        plan = {"staging": self.staging.name, "move": moves,
                "remove": sorted(_listed_in_record(self.root) - set(moves))}
        with _signals_held():
            _step("journal")
            atomic_write_text(self.root / JOURNAL_FILE, json.dumps(plan, indent=1),
                              scratch=self.staging, durable=True)
            _apply(self.root, plan)
        return self.root / RECORD_FILE

    def close(self) -> None:
        """Remove the staging folder (empty after a commit) and let other runs in."""
        shutil.rmtree(self.staging, ignore_errors=True)
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def complete_commit(root: Path) -> None:
    """Finish a commit step a killed run left half done in ``root``, if any.

    Every run into the folder does this first; call it before reading a results folder
    another process may have written. A folder a live run holds is left to that run.
    """
    try:
        lock = FolderLock.take(Path(root) / LOCK_FILE)
    except (FolderBusy, FileNotFoundError):
        return
    try:
        _finish_commit(Path(root))
    finally:
        lock.release()


# ----- opening the folder -------------------------------------------------------------------
def _make_folder(root: Path) -> None:
    try:
        root.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ArgumentError("out", "is a file, not a folder; give a folder path",
                            value=root) from None
    except OSError as exc:
        raise ArgumentError("out", f"cannot create the results folder ({exc.strerror}); give "
                            "another folder", value=root) from None


def _lock(root: Path) -> FolderLock:
    try:
        return FolderLock.take(root / LOCK_FILE)
    except FolderBusy:
        raise ArgumentError("out", "another run is writing its results to this folder; wait "
                            "for it to end, or give another folder", value=root) from None
    except OSError as exc:
        raise ArgumentError("out", f"cannot write in this folder ({exc.strerror}); give a "
                            "folder you can write to", value=root) from None


def _refuse_foreign_files(root: Path) -> None:
    """A folder with files but no record is the user's own folder, not a results folder."""
    if (root / RECORD_FILE).exists():
        return
    visible = sorted(name for name in os.listdir(root) if not name.startswith("."))
    if visible:
        names = ", ".join(visible[:_NAMES_SHOWN]) + (", ..." if len(visible) > _NAMES_SHOWN else "")
        raise ArgumentError("out", f"the folder holds files no Lamella run wrote ({names}); give "
                            "an empty or new folder, or one an earlier run wrote", value=root)


def _refuse_links(root: Path, folders: Iterable[str]) -> None:
    """Each folder the run puts files in must be a real folder, or not exist yet."""
    for folder in sorted(set(folders)):
        parts = PurePosixPath(folder).parts
        for depth in range(1, len(parts) + 1):
            relative = "/".join(parts[:depth])
            try:
                mode = os.lstat(root / relative).st_mode
            except FileNotFoundError:
                break
            if stat.S_ISLNK(mode):
                raise ArgumentError("out", f"{relative!r} in it is a symbolic link, and results are "
                                    "never written through links; remove the link, or give another "
                                    "folder", value=root)
            if not stat.S_ISDIR(mode):
                raise ArgumentError("out", f"{relative!r} in it is a file where the run puts a "
                                    "folder; remove it, or give another folder", value=root)


def _remove_stale_staging(root: Path) -> None:
    """Staging folders of runs that were killed (this run holds the lock: none is live)."""
    for entry in root.iterdir():
        if entry.name.startswith(STAGING_PREFIX) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)


def _make_staging(staging: Path) -> None:
    try:
        staging.mkdir()
    except OSError as exc:
        raise ArgumentError("out", f"cannot write in this folder ({exc.strerror}); give a "
                            "folder you can write to", value=staging.parent) from None


def _item_folders(items: list[str], reserved: set[str]) -> dict[str, str]:
    """Batch item -> folder name: its own name, unless the results folder uses that name.

    Reserved names are compared case-blind, as the folder may be on a case-insensitive
    filesystem; hidden names are avoided too, as hidden entries are not results.
    """
    blocked = {name.casefold() for name in reserved}
    taken = blocked | {item.casefold() for item in items}
    folders = {}
    for item in items:
        name = item
        if name.casefold() in blocked or name.startswith("."):
            base, number = item.lstrip(".") or "item", 2
            while f"{base}-{number}".casefold() in taken:
                number += 1
            name = f"{base}-{number}"
        taken.add(name.casefold())
        folders[item] = name
    return folders


# ----- committing ---------------------------------------------------------------------------
def _listed_in_record(root: Path) -> set[str]:
    """Files (relative to ``root``) the record in ``root`` lists: results, tables and logs."""
    try:
        record = json.loads((root / RECORD_FILE).read_text(encoding="utf-8"))
        items = record["items"].values()
        listed = [p for item in items for paths in item["outputs"].values() for p in paths]
        listed += [node.get("log") for item in items for node in item["nodes"].values()]
        listed += list(record.get("combined", {}).values())
        listed += [p for paths in record.get("pooled", {}).get("files", {}).values() for p in paths]
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        return set()
    return {p for p in listed if isinstance(p, str) and _is_result_path(root, p)}


def _is_result_path(root: Path, relative: str) -> bool:
    """True for a plain path below ``root``, not the record, the lock or a staging folder.

    Purely by name: whether a link is on the way is found out when the file is removed.
    """
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts or path.parts[0].startswith("."):
        return False
    return str(path) != RECORD_FILE


# Fault injection for tests: called with each step's name before the step is taken.
_step_hook: Callable[[str], None] | None = None


def _step(name: str) -> None:
    if _step_hook is not None:
        _step_hook(name)


def _apply(root: Path, plan: dict) -> None:  # type: ignore[type-arg]
    """Take every step of a commit ``plan``; steps already taken are passed over."""
    staging = root / plan["staging"]
    for relative in plan["remove"]:
        _step(f"remove {relative}")
        _remove_result(root, relative)
    for relative in plan["move"]:
        _step(f"move {relative}")
        _move_in(staging / relative, root, relative)
    _step("record")
    if os.path.lexists(staging / RECORD_FILE):
        os.replace(staging / RECORD_FILE, root / RECORD_FILE)
    for folder in sorted({str(PurePosixPath(m).parent) for m in plan["move"]} - {"."}):
        sync_folder(root / folder)
    _step("journal removal")
    (root / JOURNAL_FILE).unlink()
    sync_folder(root)


def _finish_commit(root: Path) -> None:
    """Complete the commit step of a run killed during it (its journal is still there)."""
    journal = root / JOURNAL_FILE
    if not os.path.lexists(journal):
        return
    plan = _read_plan(root, journal)
    with _signals_held():
        _apply(root, plan)


def _read_plan(root: Path, journal: Path) -> dict:  # type: ignore[type-arg]
    damaged = ArgumentError("out", f"its commit journal {JOURNAL_FILE} is damaged; remove it and "
                            f"check the results against {RECORD_FILE}, or give another folder",
                            value=root)
    try:
        handle = os.open(journal, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(handle, encoding="utf-8") as stream:
            plan = json.load(stream)
        paths = [*plan["move"], *plan["remove"]]
        staging = plan["staging"]
    except (OSError, ValueError, KeyError, TypeError):
        raise damaged from None
    if not (isinstance(staging, str) and staging.startswith(STAGING_PREFIX) and "/" not in staging
            and all(isinstance(p, str) and _is_result_path(root, p) for p in paths)):
        raise damaged
    return plan  # type: ignore[no-any-return]


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back while the commit moves files; they act right after.

    Their handlers are swapped for ones that only note the signal, rather than the signals
    blocked: the kernel may hand a signal to any thread that does not block it, and Python
    then runs the handler in the main thread wherever it is, mid-commit included.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers can only be set from the main thread, which is the one they stop
        return
    arrived: list[int] = []
    previous = {signum: signal.signal(signum, lambda number, frame: arrived.append(number))
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        for number in arrived:
            signal.raise_signal(number)
