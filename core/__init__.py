"""Lamella core: manifests, workflows, graph validation, cache keys, events and the module SDK.

The core imports no execution framework, server or GUI (an import-linter contract checks).
Its parts are imported from their modules (``lamella.core.workflow``, ``lamella.core.sdk``...).
"""

__all__: list[str] = []
