"""Paths and manifests of the shipped examples and built-in modules, for the editor's tests."""

from __future__ import annotations

from pathlib import Path

from lamella.core.manifest import Manifest, load_manifest

REPO = Path(__file__).resolve().parents[2]
NANO = REPO / "examples" / "workflows" / "nanoparticle-size-distribution.yaml"


def manifest(name: str) -> Manifest:
    """The manifest of built-in module ``modules/<name>``."""
    return load_manifest(REPO / "modules" / name / "module.json")
