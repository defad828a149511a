"""Suggestions for a module named the short way: ``watershed`` -> ``lamella/watershed@1``."""

from __future__ import annotations

import difflib

from lamella.core.catalog import Catalog

__all__ = ["full_references"]


def full_references(catalog: Catalog, text: str) -> list[str]:
    """Full references (``owner/name@major``) a reference without its owner may mean.

    ``watershed`` and ``watershed@1`` give ``['lamella/watershed@1']``; a close misspelling
    (``watershd``) gives the same; a reference with an owner gives nothing (the catalog's
    own message already suggests a close id).
    """
    name, _, version = text.strip().partition("@")
    if "/" in name or not name:
        return []
    by_name: dict[str, list[str]] = {}
    for module_id in catalog.ids():
        by_name.setdefault(module_id.rsplit("/", 1)[-1], []).append(module_id)
    names = [name] if name in by_name else difflib.get_close_matches(name, by_name, n=1, cutoff=0.6)
    return [f"{module_id}@{version or _major(catalog, module_id)}"
            for found in names for module_id in by_name[found]]


def _major(catalog: Catalog, module_id: str) -> str:
    return catalog.versions(module_id)[-1].split(".")[0]
