"""Editing a ruamel.yaml round-trip document in place without losing its comments.

ruamel.yaml keeps a comment with the key before it (a comment on a key's own line, and the
full-line comments that follow it when that line had one) or with the key after it (a
full-line comment above a key). Deleting or renaming a key with plain dict operations would
drop comments that describe its neighbours, so these helpers move them along.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ruamel.yaml.comments import CommentedBase, CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken

__all__ = ["NODE_KEYS", "SECTIONS", "delete_inner", "delete_key", "ensure_mapping", "flow_map", "flow_seq",
           "insert_ordered", "is_commented", "mapping_at", "node_map", "rename_key", "section"]

# The documented key orders: new keys go where a person writing the file would put them.
SECTIONS = ("lamella", "name", "description", "inputs", "nodes", "outputs", "layout", "groups")
NODE_KEYS = ("module", "params", "in", "note")

_EOL = 2  # index of the comment after a key's value in ruamel's per-key comment slots
_PRE = 1  # index of the full-line comments above a key


def flow_map(items: dict[str, Any] | None = None) -> CommentedMap:
    """A mapping written on one line, ``{a: 1, b: 2}``."""
    result = CommentedMap(items or {})
    result.fa.set_flow_style()
    return result


def flow_seq(items: Sequence[Any]) -> CommentedSeq:
    """A list written on one line, ``[a, b]``."""
    result = CommentedSeq(items)
    result.fa.set_flow_style()
    return result


def mapping_at(parent: Any, key: str) -> CommentedMap | None:
    """``parent[key]`` if it is a mapping, else None (absent, empty or not a mapping)."""
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, CommentedMap) else None


def insert_ordered(parent: CommentedMap, key: str, value: Any, order: Sequence[str]) -> None:
    """Add ``key`` after the last present key that comes before it in ``order``."""
    rank = order.index(key) if key in order else len(order)
    position = 0
    for index, existing in enumerate(parent):
        if existing in order and order.index(existing) < rank:
            position = index + 1
    if key not in order:
        position = len(parent)
    parent.insert(position, key, value)


def ensure_mapping(parent: CommentedMap, key: str, order: Sequence[str], *,
                   flow: bool) -> CommentedMap:
    """``parent[key]`` as a mapping, created (empty, in place of a null) when missing.

    A key holding something other than a mapping is left alone (ValueError): replacing it
    would lose what the file says there.
    """
    existing = mapping_at(parent, key)
    if existing is not None:
        return existing
    if parent.get(key) is not None:
        raise ValueError(f"'{key}' in the workflow file is not a mapping; fix it as text first")
    created = flow_map() if flow else CommentedMap()
    if key in parent:
        parent[key] = created  # replaces an empty 'key:' where it stands
    else:
        insert_ordered(parent, key, created, order)
    return created


def section(document: CommentedMap, key: str, *, flow: bool = False) -> CommentedMap:
    """A top-level section as a mapping, created in the documented order when missing."""
    return ensure_mapping(document, key, SECTIONS, flow=flow)


def node_map(document: CommentedMap, node_id: str) -> CommentedMap:
    """A node's mapping in the document (an empty ``node:`` becomes a mapping)."""
    nodes = section(document, "nodes")
    if node_id not in nodes:
        raise ValueError(f"no node '{node_id}' in the workflow")
    if nodes[node_id] is None:
        nodes[node_id] = CommentedMap()
    if not isinstance(nodes[node_id], CommentedMap):
        raise ValueError(f"node '{node_id}' in the workflow file is not a mapping; fix it as text first")
    return nodes[node_id]


def rename_key(parent: CommentedMap, old: str, new: str) -> None:
    """Rename a key where it stands, with its comments."""
    position = list(parent).index(old)
    slots = parent.ca.items.pop(old, None)
    value = parent.pop(old)
    parent.insert(position, new, value)
    if slots is not None:
        parent.ca.items[new] = slots


def delete_key(parent: CommentedMap, key: str) -> None:
    """Remove a key; the full-line comments after its last line stay where they were."""
    keys = list(parent)
    index = keys.index(key)
    carried = _take_trailing_lines(parent, key)
    parent.ca.items.pop(key, None)
    del parent[key]
    if not carried:
        return
    if index + 1 < len(keys):
        _prepend_above(parent, keys[index + 1], carried)
    elif index > 0:
        _append_after(parent, keys[index - 1], carried)


def delete_inner(parent: CommentedMap, inner: str, key: str, *, drop_empty: bool = True) -> None:
    """Remove ``parent[inner][key]`` if it is there; with ``drop_empty``, ``inner`` too once empty."""
    mapping = mapping_at(parent, inner)
    if mapping is None or key not in mapping:
        return
    delete_key(mapping, key)
    if drop_empty and not mapping:
        delete_key(parent, inner)


def _trailing_slot(parent: CommentedMap, key: str) -> tuple[CommentedMap, str]:
    """Where the comment after ``key``'s last line is kept: its own slot, or its last child's."""
    value = parent[key]
    while isinstance(value, CommentedMap) and value and not value.fa.flow_style():
        parent, key = value, list(value)[-1]
        value = parent[key]
    return parent, key


def _take_trailing_lines(parent: CommentedMap, key: str) -> str:
    """Cut the lines after the first from the comment ending ``key``'s value; return them."""
    holder, slot_key = _trailing_slot(parent, key)
    slots = holder.ca.items.get(slot_key)
    token = slots[_EOL] if slots and len(slots) > _EOL else None
    if not isinstance(token, CommentToken) or "\n" not in token.value:
        return ""
    first, rest = token.value.split("\n", 1)
    token.value = first + "\n"
    return rest


def _prepend_above(parent: CommentedMap, key: str, text: str) -> None:
    slots = parent.ca.items.setdefault(key, [None, None, None, None])
    slots[_PRE] = [CommentToken(text, CommentMark(0)), *(slots[_PRE] or [])]


def _append_after(parent: CommentedMap, key: str, text: str) -> None:
    holder, slot_key = _trailing_slot(parent, key)
    slots = holder.ca.items.setdefault(slot_key, [None, None, None, None])
    token = slots[_EOL]
    if isinstance(token, CommentToken):
        token.value += text
    else:  # a comment token that starts with a line break adds no spaces before it
        slots[_EOL] = CommentToken("\n" + text, CommentMark(0))


def is_commented(node: Any) -> bool:
    """True if the document (or part) holds at least one ``#`` comment."""
    if isinstance(node, CommentedBase) and _has_comment_token(
            [node.ca.comment, list(node.ca.items.values()), getattr(node.ca, "end", None)]):
        return True
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    return any(is_commented(child) for child in children)


def _has_comment_token(value: Any) -> bool:
    if isinstance(value, CommentToken):
        return "#" in value.value
    if isinstance(value, list | tuple):
        return any(_has_comment_token(item) for item in value)
    return False
