"""The cache of node outputs, keyed by module, parameters and input content."""

from lamella.runner.cache._entry import CacheEntry
from lamella.runner.cache._paths import default_cache_dir
from lamella.runner.cache._prune import Pruned, RemovedEntry, parse_size, prune
from lamella.runner.cache._store import CacheError, CacheInUse, CacheStore
from lamella.runner.cache._verify import DamagedEntry, Verified, verify

__all__ = ["CacheEntry", "CacheError", "CacheInUse", "CacheStore", "DamagedEntry", "Pruned",
           "RemovedEntry", "Verified", "default_cache_dir", "parse_size", "prune", "verify"]
