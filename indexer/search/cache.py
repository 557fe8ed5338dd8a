"""A bounded, thread-safe LRU cache whose entries belong to one version of the index.

Search answers and matched-document sets are cached under the generation of the index they
were computed from. An entry of a newer generation empties the cache (a crawl committed), and
an answer computed from an older one is not stored, so a reader never gets a result from an
index version other than the one its searcher sees.

Every entry counts toward the bound: at least one unit (an empty answer, an empty set), more
when the caller weighs its values (``weigh``), and the least recently used go first.
``bounds`` gives every read-side cache's bound from the one setting, ``M4D_CACHE_SIZE``.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict

#: Entries per cache unless ``M4D_CACHE_SIZE`` (environment) or the caller says otherwise; 0 turns caching off.
DEFAULT_SIZE = 1024
#: Per unit of that setting (N): parsed queries (N), match-set units (``matchsets``: 4N),
#: postings (``scores``: 500N, an entry at least ``ENTRY_POSTINGS``), memoized query words
#: (16N) and memoized tokens per analyzer chain (32N, at least ``MIN_MEMO``).
SETS_PER_ANSWER = 4
POSTINGS_PER_ANSWER = 500
STEMS_PER_ANSWER = 16
TOKENS_PER_ANSWER = 32
#: Word memos keep at least this many entries, even with the caches off (they are the
#: analysis' own speed, not answers).
MIN_MEMO = 4096


def configured_size(size: int | None = None) -> int:
    """Return size, else ``$M4D_CACHE_SIZE``, else DEFAULT_SIZE (never negative)."""
    if size is None:
        raw = os.environ.get("M4D_CACHE_SIZE", "").strip()
        try:
            size = int(raw) if raw else DEFAULT_SIZE
        except ValueError:
            raise ValueError(f"M4D_CACHE_SIZE must be a whole number, not {raw!r}") from None
    return max(0, size)


def bounds(size: int) -> dict[str, int]:
    """Return each read-side cache's bound for a cache size (``configured_size``)."""
    return {"answers": size, "plans": size, "sets": size * SETS_PER_ANSWER,
            "postings": size * POSTINGS_PER_ANSWER, "stems": max(MIN_MEMO, size * STEMS_PER_ANSWER),
            "tokens": max(MIN_MEMO, size * TOKENS_PER_ANSWER)}


class VersionedCache:
    """LRU of at most ``size`` units, all of one index generation: an entry costs
    ``weigh(value)`` units (at least 1; by default 1)."""

    def __init__(self, size: int, weigh=None):
        self.size = size
        self._weigh = weigh
        self._held = 0  # units held
        self._data: OrderedDict = OrderedDict()  # key → (value, its cost)
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
                found = self._data.get(key)
                if found is not None:
                    self._data.move_to_end(key)
                    self.hits += 1
                    return found[0]
            self.misses += 1
            return None

    def put(self, generation: int, key, value) -> None:
        """Cache value for key; a newer generation starts the cache over, an older one is ignored."""
        if not self.size:
            return
        cost = max(1, self._weigh(value)) if self._weigh is not None else 1
        if cost > self.size:
            return  # would push out everything else
        with self._lock:
            if self._generation is None or generation > self._generation:
                self._data.clear()
                self._held = 0
                self._generation = generation
            elif generation < self._generation:
                return
            old = self._data.pop(key, None)
            if old is not None:
                self._held -= old[1]
            self._data[key] = (value, cost)
            self._held += cost
            while self._held > self.size:
                self._held -= self._data.popitem(last=False)[1][1]

    def __len__(self) -> int:
        return len(self._data)

    @property
    def held(self) -> int:
        """Units held (entries, when values are not weighed)."""
        return self._held

    def stats(self) -> dict:
        """Return hits, misses, entries and the hit rate so far."""
        total = self.hits + self.misses
        return {"hits": self.hits, "misses": self.misses, "entries": len(self._data), "held": self._held,
                "size": self.size,
                "hit_rate": round(self.hits / total, 4) if total else 0.0}
