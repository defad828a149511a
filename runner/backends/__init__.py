"""Execution backends: one interface, several ways to run a module task."""

from lamella.runner.backends.base import (
    Backend,
    BackendCapabilities,
    NodeProgress,
    NodeResult,
    NodeRun,
)
from lamella.runner.backends.local import LocalBackend, describe_exit

__all__ = [
    "Backend",
    "BackendCapabilities",
    "LocalBackend",
    "NodeProgress",
    "NodeResult",
    "NodeRun",
    "describe_exit",
]
