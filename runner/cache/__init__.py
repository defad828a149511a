"""The cache of node outputs, keyed by module, parameters and input content."""

from lamella.runner.cache._paths import default_cache_dir
from lamella.runner.cache._store import CacheEntry, CacheStore

__all__ = ["CacheEntry", "CacheStore", "default_cache_dir"]
