"""Where the cache lives.

``$LAMELLA_CACHE_DIR``, else ``$XDG_CACHE_HOME/lamella``, else ``~/.cache/lamella``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_cache_dir"]


def default_cache_dir() -> Path:
    """The cache folder used when none is given."""
    if os.environ.get("LAMELLA_CACHE_DIR"):
        return Path(os.environ["LAMELLA_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "lamella"
