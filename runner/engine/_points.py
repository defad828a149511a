"""Per-item parameter values: each run item (a sweep point, an image) gets its own nodes.

The graph holds the workflow's parameter values; an item may override some of them
(:attr:`RunItem.params`). Its jobs then run nodes carrying the values that item uses, so the
cache key, the task folder and the run record all see the same values.
"""

from __future__ import annotations

from dataclasses import replace

from lamella.core.graph import ResolvedNode
from lamella.runner.engine._items import RunItem

__all__ = ["node_for"]


def node_for(node: ResolvedNode, item: RunItem) -> ResolvedNode:
    """``node`` with ``item``'s parameter values over the workflow's (itself if none)."""
    changed = item.params.get(node.id)
    if not changed:
        return node
    return replace(node, params={**node.params, **changed})
