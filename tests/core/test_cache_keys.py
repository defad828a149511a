"""Cache keys change with exactly the things that shape a node's output."""

from __future__ import annotations

from lamella.core.cache_keys import changed_components, node_key

BASE = {"module_id": "lamella/threshold", "version": "1.0.0", "module_digest": "abc",
        "params": {"method": "otsu", "level": 0.5}, "inputs": {"image": ["d1"]}}


def key(**changes: object) -> str:
    return node_key(**{**BASE, **changes})[0]  # type: ignore[arg-type]


def test_key_is_stable_and_order_independent() -> None:
    assert key() == key(params={"level": 0.5, "method": "otsu"})
    assert len(key()) == 64


def test_each_component_changes_the_key() -> None:
    variants = [key(version="1.0.1"), key(module_digest="abd"), key(params={"method": "li", "level": 0.5}),
                key(inputs={"image": ["d2"]}), key(module_id="lamella/threshold2")]
    assert len({key(), *variants}) == 6


def test_changed_components_explains() -> None:
    _, old = node_key(**BASE)  # type: ignore[arg-type]
    _, new = node_key(**{**BASE, "params": {"method": "li", "level": 0.5},  # type: ignore[arg-type]
                         "inputs": {"image": ["d2"]}, "module_digest": "zzz"})
    assert changed_components(old, new) == [
        "module code changed", "parameter 'method' changed ('otsu' -> 'li')",
        "input 'image' content changed"]
