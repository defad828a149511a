"""Cache keys: a node's output is reused only if everything that shapes it is the same.

The key hashes the module identity (id, version and the digest of its code, or of its
container image), every parameter value (defaults filled in) and the content of every input
file. The components are kept beside the key so ``--explain`` can say what changed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

__all__ = ["changed_components", "file_digest", "node_key"]

_CHUNK = 1 << 20


def file_digest(path: Path) -> str:
    """SHA-256 of a file's content."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def node_key(*, module_id: str, version: str, module_digest: str, params: dict[str, Any],
             inputs: dict[str, list[str]], sdk_digest: str = "") -> tuple[str, dict[str, Any]]:
    """Return (key, components) for one node run; ``inputs`` maps port -> file digests.

    ``sdk_digest`` identifies the module SDK the run uses (it writes every output file), so
    an upgrade of Lamella that changes the SDK re-runs modules whose code did not change.
    """
    components = {
        "module": module_id,
        "version": version,
        "module_digest": module_digest,
        "sdk": sdk_digest,
        "params": params,
        "inputs": inputs,
    }
    canonical = json.dumps(components, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest(), components


def changed_components(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Say, in words, what differs between two key components (for ``--explain``)."""
    reasons = []
    if old.get("module") != new.get("module") or old.get("version") != new.get("version"):
        reasons.append(f"module changed ({old.get('module')} {old.get('version')} -> "
                       f"{new.get('module')} {new.get('version')})")
    elif old.get("module_digest") != new.get("module_digest"):
        reasons.append("module code changed")
    if old.get("sdk") != new.get("sdk"):
        reasons.append("Lamella's module SDK changed")
    old_params, new_params = old.get("params", {}), new.get("params", {})
    for name in sorted(set(old_params) | set(new_params)):
        if old_params.get(name) != new_params.get(name):
            reasons.append(f"parameter '{name}' changed ({old_params.get(name)!r} -> "
                           f"{new_params.get(name)!r})")
    old_inputs, new_inputs = old.get("inputs", {}), new.get("inputs", {})
    for port in sorted(set(old_inputs) | set(new_inputs)):
        if old_inputs.get(port) != new_inputs.get(port):
            reasons.append(f"input '{port}' content changed")
    return reasons
