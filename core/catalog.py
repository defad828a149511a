"""Module discovery: built-in modules plus the user's module folders.

Search order (first match of an id and version wins): folders given with ``--modules``, then
the folders in ``LAMELLA_MODULE_PATH`` (separated like PATH), then the built-in library. A
folder is a module if it holds ``module.json``, or an APEER ``module_specification.json``
without one (its manifest is translated from the specification: docs/modules.md, "APEER
modules"); a search folder's sub-folders are scanned one level deep.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib.resources import files
from pathlib import Path

from lamella.core._suggest import did_you_mean
from lamella.core.errors import LamellaError, ManifestError, ModuleNotFound
from lamella.core.manifest import (
    APEER_SPEC_FILE,
    Manifest,
    load_apeer_module,
    load_manifest,
    manifest_from_apeer_spec,
)
from lamella.core.workflow import ModuleRef, parse_module_ref

__all__ = ["APEER_SPEC_FILE", "MANIFEST_FILE", "Catalog", "ModuleEntry", "apeer_spec_problem",
           "builtin_modules_dir", "entry_problem", "entrypoint_problem", "folder_digest", "sdk_digest"]

MANIFEST_FILE = "module.json"
_DIGEST_SKIP = {"tests", "__pycache__", ".pytest_cache", ".git"}


def builtin_modules_dir() -> Path:
    """The folder of the built-in module library."""
    return Path(str(files("lamella.modules")))


def folder_digest(folder: Path) -> str:
    """SHA-256 over a module folder's files (not its tests), so code edits change cache keys.

    ``module.json`` is one of the files, so a module's ``kind`` and ``image`` tag are part of
    the digest; so are a Dockerfile and an APEER ``module_specification.json``.
    """
    digest = hashlib.sha256()
    for path in sorted(_digest_files(folder)):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def sdk_digest() -> str:
    """Content hash of the module SDK (``lamella.core.sdk``), part of every cache key."""
    return folder_digest(Path(__file__).parent / "sdk")


def _digest_files(folder: Path) -> Iterable[Path]:
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in _DIGEST_SKIP and not d.startswith(".")]
        for name in names:
            if not name.endswith(".pyc") and not name.startswith("."):
                yield Path(root) / name


@dataclass
class ModuleEntry:
    """A discovered module: its manifest, folder and where it was found."""

    manifest: Manifest
    folder: Path
    origin: str

    @cached_property
    def digest(self) -> str:
        """Content hash of the module's code and manifest."""
        return folder_digest(self.folder)

    @cached_property
    def entrypoint_problem(self) -> str | None:
        """Why the module's entry cannot be run, found for its ``kind`` without running code."""
        return entry_problem(self.folder, self.manifest)


def entry_problem(folder: Path, manifest: Manifest) -> str | None:
    """Check what the manifest's ``kind`` needs in the module folder.

    A ``python`` module needs its entrypoint file; an ``apeer`` module its APEER
    specification. A ``container`` module's entry is its image, which the manifest model
    already requires, so the folder may hold only ``module.json`` (and a Dockerfile).
    """
    if manifest.kind == "python":
        return entrypoint_problem(folder, manifest.entrypoint)
    if manifest.kind == "apeer":
        return apeer_spec_problem(folder)
    return None


def apeer_spec_problem(folder: Path) -> str | None:
    """Check that an APEER module folder holds a readable ``module_specification.json``."""
    path = folder / APEER_SPEC_FILE
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return (f"{folder / MANIFEST_FILE}: kind 'apeer' needs {APEER_SPEC_FILE} in the module "
                "folder; put the APEER module's specification next to module.json")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"{path}: not valid JSON ({exc}); export the APEER module specification again"
    if not isinstance(spec, dict) or not isinstance(spec.get("spec"), dict):
        return (f"{path}: has no 'spec' mapping; an APEER module specification holds "
                "\"spec\": {\"inputs\": ..., \"outputs\": ...}")
    try:  # the runner passes inputs and outputs by the specification's keys
        manifest_from_apeer_spec(spec, folder=folder)
    except ManifestError as exc:
        return str(exc)
    return None


def entrypoint_problem(folder: Path, entrypoint: str) -> str | None:
    """Check that ``file:function`` names a file in ``folder`` defining that function.

    The file is parsed, not imported, so validation never runs module code (or needs its
    dependencies installed).
    """
    file_stem, function_name = entrypoint.split(":", 1)
    path = folder / f"{file_stem}.py"
    where = f"entrypoint '{entrypoint}' in {folder / MANIFEST_FILE}"
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except FileNotFoundError:
        return (f"{where}: {path.name} is not in the module folder; add it or fix 'entrypoint' "
                "(a module that is only a container image sets \"kind\": \"container\")")
    except (OSError, SyntaxError, ValueError) as exc:
        return f"{where}: {path.name} cannot be read as Python ({exc})"
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    defined |= {target.id for node in tree.body if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)}
    defined |= {(alias.asname or alias.name) for node in tree.body
                if isinstance(node, ast.ImportFrom) for alias in node.names}
    if function_name not in defined:
        hint = did_you_mean(function_name, defined)
        return (f"{where}: {path.name} defines no function '{function_name}'{hint}; define it "
                "or fix 'entrypoint'")
    return None


@dataclass
class Catalog:
    """All modules Lamella can run, plus folders whose manifest is broken."""

    entries: list[ModuleEntry] = field(default_factory=list)
    broken: dict[Path, ManifestError] = field(default_factory=dict)
    shadowed: dict[Path, ModuleEntry] = field(default_factory=dict)

    @classmethod
    def discover(cls, extra_dirs: Iterable[Path] = (), *, env: Mapping[str, str] | None = None,
                 builtin: bool = True) -> Catalog:
        """Scan ``--modules`` folders, ``LAMELLA_MODULE_PATH`` and the built-in library."""
        env = os.environ if env is None else env
        roots = [(Path(d), "--modules") for d in extra_dirs]
        for folder, _ in roots:
            if not folder.is_dir():
                raise LamellaError(f"--modules {folder}: no such folder")
        roots += [(Path(d), "LAMELLA_MODULE_PATH")
                  for d in env.get("LAMELLA_MODULE_PATH", "").split(os.pathsep) if d]
        if builtin:
            roots.append((builtin_modules_dir(), "built-in"))
        catalog = cls()
        for root, origin in roots:
            folders = _module_folders(root)
            if not folders and origin == "--modules":
                raise LamellaError(f"--modules {root}: no module folders in it (a module folder "
                                   f"holds {MANIFEST_FILE}; see docs/modules.md)")
            for folder in folders:
                catalog._add(folder, origin)
        return catalog

    def _add(self, folder: Path, origin: str) -> None:
        try:
            manifest = _load_module(folder)
        except ManifestError as exc:
            self.broken[folder] = exc
            return
        earlier = self.get(manifest.id, manifest.version)
        if earlier is None:
            self.entries.append(ModuleEntry(manifest, folder.resolve(), origin))
        else:  # earlier folders shadow later ones; listings say so
            self.shadowed[folder.resolve()] = earlier

    def get(self, module_id: str, version: str) -> ModuleEntry | None:
        """The entry with exactly this id and version, if any."""
        return next((e for e in self.entries
                     if e.manifest.id == module_id and e.manifest.version == version), None)

    def ids(self) -> list[str]:
        """Known module ids, sorted."""
        return sorted({e.manifest.id for e in self.entries})

    def versions(self, module_id: str) -> list[str]:
        """Known versions of a module, oldest first."""
        found = {e.manifest.version for e in self.entries if e.manifest.id == module_id}
        return sorted(found, key=_version_key)

    def resolve(self, ref: ModuleRef | str) -> ModuleEntry:
        """The newest module matching a reference such as ``lamella/threshold@1``."""
        if isinstance(ref, str):
            try:
                ref = parse_module_ref(ref)
            except ValueError as exc:
                raise ModuleNotFound(str(exc)) from None
        versions = [v for v in self.versions(ref.id) if ref.matches(v)]
        if versions:
            entry = self.get(ref.id, versions[-1])
            assert entry is not None  # versions() only lists known entries
            return entry
        raise ModuleNotFound(self._not_found_message(ref))

    def _not_found_message(self, ref: ModuleRef) -> str:
        broken = self._broken_with_id(ref.id)
        if broken is not None:
            return f"module '{ref.id}' has a broken manifest: {broken}"
        available = self.versions(ref.id)
        if available:
            return (f"module '{ref.id}' has no version matching '@{ref.version}' "
                    f"(available: {', '.join(available)})")
        hint = did_you_mean(ref.id, self.ids())
        return (f"unknown module '{ref.id}'{hint}; `lamella modules list` shows the modules "
                "found (add folders with --modules or LAMELLA_MODULE_PATH)")

    def _broken_with_id(self, module_id: str) -> ManifestError | None:
        """The error of a broken folder holding ``module_id``.

        A manifest that is not even JSON has no readable id; its folder name stands in for
        the id's last part (``owner/name`` lives in a folder called ``name``).
        """
        for folder, error in self.broken.items():
            try:
                raw = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raw = {"id": module_id} if folder.name == module_id.rsplit("/", 1)[-1] else None
            if isinstance(raw, dict) and raw.get("id") == module_id:
                return error
        return None


def _module_folders(root: Path) -> list[Path]:
    if _is_module_folder(root):
        return [root]
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith((".", "_")) and _is_module_folder(p))


def _is_module_folder(folder: Path) -> bool:
    # module.json first: the usual case costs one stat, as before APEER folders were modules.
    return (folder / MANIFEST_FILE).is_file() or (folder / APEER_SPEC_FILE).is_file()


def _load_module(folder: Path) -> Manifest:
    """The folder's ``module.json``, or else its APEER specification translated."""
    if (folder / MANIFEST_FILE).is_file():
        return load_manifest(folder / MANIFEST_FILE)
    return load_apeer_module(folder)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
