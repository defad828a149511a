"""Shared fixtures: module folders for runner tests, an isolated cache per test."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURE_MODULES = Path(__file__).parent / "fixtures" / "modules"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own cache folder, so no test sees another's results."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("LAMELLA_CACHE_DIR", str(cache))
    monkeypatch.delenv("LAMELLA_MODULE_PATH", raising=False)
    return cache


@pytest.fixture
def fixture_modules() -> Path:
    """Small real modules made for runner tests (generate, add, stats, crash, pair)."""
    return FIXTURE_MODULES
