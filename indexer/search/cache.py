"""A bounded, thread-safe LRU cache whose entries belong to one version of the index.

Search answers and matched-document sets are cached under the generation of the index they
were computed from. An entry of a newer generation empties the cache (a crawl committed), and
an answer computed from an older one is not stored, so a reader never gets a result from an
index version other than the one its searcher sees.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict

#: Entries per cache unless ``M4D_CACHE_SIZE`` (environment) or the caller says otherwise; 0 turns caching off.
DEFAULT_SIZE = 1024


def configured_size(size: int | None = None) -> int:
    """Return size, else ``$M4D_CACHE_SIZE``, else DEFAULT_SIZE (never negative)."""
    if size is None:
        raw = os.environ.get("M4D_CACHE_SIZE", "").strip()
        try:
            size = int(raw) if raw else DEFAULT_SIZE
        except ValueError:
            raise ValueError(f"M4D_CACHE_SIZE must be a whole number, not {raw!r}") from None
    return max(0, size)


class VersionedCache:
    """LRU of at most ``size`` entries, all of one index generation."""

    def __init__(self, size: int):
        self.size = size
        self._data: OrderedDict = OrderedDict()
        self._generation = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, generation: int, key):
        """Return the value cached for key at this generation, or None."""
        if not self.size:
            return None
        with self._lock:
            if generation == self._generation:
                value = self._data.get(key)
                if value is not None:
                    self._data.move_to_end(key)
                    self.hits += 1
                    return value
            self.misses += 1
            return None

    def put(self, generation: int, key, value) -> None:
        """Cache value for key; a newer generation starts the cache over, an older one is ignored."""
        if not self.size:
            return
        with self._lock:
            if self._generation is None or generation > self._generation:
                self._data.clear()
                self._generation = generation
            elif generation < self._generation:
                return
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def stats(self) -> dict:
        """Return hits, misses, entries and the hit rate so far."""
        total = self.hits + self.misses
        return {"hits": self.hits, "misses": self.misses, "entries": len(self._data), "size": self.size,
                "hit_rate": round(self.hits / total, 4) if total else 0.0}
