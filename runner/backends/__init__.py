"""Execution backends: one interface, several ways to run a module task."""

from lamella.runner.backends._registry import (
    DEFAULT_BACKEND,
    BackendError,
    BackendOptions,
    backend_names,
    create_backend,
    register_backend,
)
from lamella.runner.backends.base import (
    Artifact,
    Backend,
    BackendCapabilities,
    HostCapacity,
    InputFile,
    ModuleIdentity,
    NodeProgress,
    NodeResult,
    Placement,
    ResourceRequest,
    RunRequest,
)
from lamella.runner.backends.isolated import IsolatedBackend
from lamella.runner.backends.local import LocalBackend, describe_exit

__all__ = [
    "DEFAULT_BACKEND",
    "Artifact",
    "Backend",
    "BackendCapabilities",
    "BackendError",
    "BackendOptions",
    "HostCapacity",
    "InputFile",
    "IsolatedBackend",
    "LocalBackend",
    "ModuleIdentity",
    "NodeProgress",
    "NodeResult",
    "Placement",
    "ResourceRequest",
    "RunRequest",
    "backend_names",
    "create_backend",
    "describe_exit",
    "register_backend",
]
