"""Check the parameter values a workflow gives a module and fill in the defaults."""

from __future__ import annotations

from typing import Any

from lamella.core._suggest import did_you_mean
from lamella.core.manifest._models import Manifest

__all__ = ["param_problems", "resolve_params"]


def param_problems(manifest: Manifest, given: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (parameter name, message) for every unknown, missing or invalid value."""
    problems = []
    for name, value in given.items():
        spec = manifest.parameters.get(name)
        if spec is None:
            hint = did_you_mean(name, manifest.parameters)
            known = ", ".join(manifest.parameters) or "none"
            problems.append((name, f"unknown parameter{hint}; {manifest.id} takes: {known}"))
        elif reason := spec.check(value):
            problems.append((name, reason))
    for name, spec in manifest.parameters.items():
        if spec.required and name not in given:
            problems.append((name, "required parameter is not set"))
    return problems


def resolve_params(manifest: Manifest, given: dict[str, Any]) -> dict[str, Any]:
    """All parameter values: given ones over manifest defaults (assumes they were checked)."""
    return {**manifest.default_params(), **given}
