"""A real Docker engine for tests: found, or the test is skipped (failed in CI).

``LAMELLA_REQUIRE_DOCKER=1`` (set by CI) turns every skip for a missing engine or image
into a failure, so container tests can never silently not run. The base and runtime
images are built once per test session when missing (the base needs root and
debootstrap, as ``lamella images base`` does); module images are built on demand by
:class:`BuildingDockerBackend`, which is the Docker backend building each module's
image the first time a run asks for it, as a user would with ``lamella module build``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import pytest

from lamella.runner.backends.base import RunRequest

__all__ = ["BuildingDockerBackend", "docker_client", "needs_docker"]

needs_docker = pytest.mark.docker


def _unavailable(reason: str) -> None:
    if os.environ.get("LAMELLA_REQUIRE_DOCKER") == "1":
        pytest.fail(f"LAMELLA_REQUIRE_DOCKER=1 and {reason}")
    pytest.skip(reason)


@functools.cache
def _ready() -> Any:
    """A client of this machine's engine with the base and runtime images built."""
    from lamella.runner.containers import _names as names
    from lamella.runner.containers._build import build_base, build_runtime
    from lamella.runner.containers._client import DockerHost, connect

    client = connect(DockerHost())
    try:
        client.images.get(names.BASE_IMAGE)
    except Exception:
        build_base(client, say=lambda message: None)
    build_runtime(client, say=lambda message: None)
    return client


def docker_client() -> Any:
    """The engine's client, or skip (fail with LAMELLA_REQUIRE_DOCKER=1)."""
    try:
        import docker  # noqa: F401
    except ImportError:
        _unavailable("the Docker SDK is not installed (pip install 'lamella[docker]')")
    from lamella.core.errors import LamellaError

    try:
        return _ready()
    except LamellaError as exc:
        _unavailable(str(exc))


def _building_backend_class() -> type:
    from lamella.runner.backends.docker import DockerBackend
    from lamella.runner.containers._build import build_module

    class BuildingDockerBackend(DockerBackend):
        """The Docker backend, building a module's image the first time a run needs it."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.built: set[str] = set()

        def _build(self, run: RunRequest) -> None:
            if run.module.digest in self.built:
                return
            build_module(docker_client(), run.manifest, run.module.folder, say=lambda message: None)
            self.built.add(run.module.digest)
            for engine in self.engines.values():
                engine.images.forget(run.module)

        def refusal(self, run: RunRequest) -> str | None:
            self._build(run)
            return super().refusal(run)

        def submit(self, run: RunRequest) -> Any:
            self._build(run)
            return super().submit(run)

    return BuildingDockerBackend


def BuildingDockerBackend(jobs: int, *, scratch: Path, **options: Any) -> Any:
    """A :class:`DockerBackend` that builds module images on demand (see the module docstring)."""
    docker_client()
    return _building_backend_class()(jobs, scratch=scratch, **options)
