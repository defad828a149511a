"""Model artifacts: one file holding a trained model's parts and what it was trained on.

A model is a zip file (``.lamella-model``): ``model.json`` with its kind (``'pixel-forest'``,
``'unet'``, ...), format version and metadata (classes, channels, pixel size, training
summary), plus binary members (weights, a serialised forest, an ONNX graph). Zip because a
user can open it with any archive tool and read ``model.json``; one file because a ``model``
port carries one file from a training node to any number of predict nodes. Writing goes to
a temporary name in the same folder and is then moved, so a killed run never leaves half a
model.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lamella.core.errors import InputFileError

__all__ = ["MODEL_SUFFIX", "ModelArtifact", "read_model", "write_model"]

MODEL_SUFFIX = ".lamella-model"
_METADATA = "model.json"
_FORMAT = 1


@dataclass(frozen=True)
class ModelArtifact:
    """A model read back: its kind, its metadata and its binary members by name."""

    kind: str
    metadata: dict[str, Any]
    members: dict[str, bytes] = field(default_factory=dict)


def write_model(path: str | Path, kind: str, metadata: dict[str, Any], members: dict[str, bytes]) -> Path:
    """Write a model artifact atomically; returns its path.

    ``metadata`` must be JSON-serialisable; ``members`` are stored under their names
    (``model.json`` is reserved).
    """
    path = Path(path)
    if _METADATA in members:
        raise ValueError(f"member name '{_METADATA}' is reserved for the metadata")
    header = {"kind": kind, "format": _FORMAT, "metadata": metadata}
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(_METADATA, json.dumps(header, indent=2, sort_keys=True))
            for name, data in members.items():
                archive.writestr(name, data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_model(path: str | Path, kind: str | None = None) -> ModelArtifact:
    """Read a model artifact; with ``kind``, refuse a model of another kind in one line."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            header = json.loads(archive.read(_METADATA))
            members = {n: archive.read(n) for n in archive.namelist() if n != _METADATA}
    except FileNotFoundError:
        raise InputFileError(f"{path}: model file not found; check the path or train the model "
                             "first") from None
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError):
        raise InputFileError(f"{path}: not a Lamella model file (expected a {MODEL_SUFFIX} zip with "
                             f"{_METADATA}); connect the model output of a training node") from None
    found = header.get("kind", "?")
    if header.get("format") != _FORMAT:
        raise InputFileError(f"{path}: model format {header.get('format')!r} is not readable by this "
                             f"Lamella (reads format {_FORMAT}); train the model again")
    if kind is not None and found != kind:
        raise InputFileError(f"{path}: this is a '{found}' model, not a '{kind}' model; connect the "
                             f"model output of the matching training module")
    return ModelArtifact(kind=found, metadata=dict(header.get("metadata", {})), members=members)
