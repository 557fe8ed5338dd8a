"""The set of documents a query matches, from cached per-term document sets.

Facet counts need every match, not just the page of hits. Whoosh's ``docs_for_query`` walks
union matchers over the eight text fields for every query; here a parsed query is evaluated
as set algebra (And → intersection, Or → union, Not → difference) over the live documents
of its leaves, and each leaf's set (a Term, Phrase, Prefix, …) is cached for the index
version, so a word seen before costs a dict lookup. Query types not known here are handed to
Whoosh whole, so the answer is always the one Whoosh would give.
"""
from __future__ import annotations

from whoosh import collectors
from whoosh import query as wq

#: Docnums per unit a cached set costs (``set_cost``): a set costs about 80 bytes a member.
SET_UNIT = 64


def set_cost(found: frozenset) -> int:
    """Return the units a set costs in the leaf cache: one, plus one per ``SET_UNIT`` members
    (an empty set, a word no document holds, costs one)."""
    return 1 + len(found) // SET_UNIT


class MatchSets:
    """Evaluate queries to frozensets of docnums with a leaf cache (a ``VersionedCache``
    weighing its sets by ``set_cost``)."""

    def __init__(self, cache):
        self.cache = cache

    def docs(self, searcher, generation: int, q) -> frozenset:
        """Return the live docnums q matches in searcher."""
        return self._eval(searcher, generation, q)

    def _leaf(self, searcher, generation: int, q) -> frozenset:
        key = repr(q)
        found = self.cache.get(generation, key)
        if found is None:
            found = frozenset(searcher.docs_for_query(q))
            self.cache.put(generation, key, found)
        return found

    def _all(self, searcher, generation: int) -> frozenset:
        found = self.cache.get(generation, "*all*")
        if found is None:
            found = frozenset(searcher.reader().all_doc_ids())
            self.cache.put(generation, "*all*", found)
        return found

    def _eval(self, searcher, generation: int, q) -> frozenset:
        kind = type(q)
        if kind in (wq.Term, wq.Phrase, wq.Prefix, wq.Wildcard, wq.FuzzyTerm, wq.Variations):
            return self._leaf(searcher, generation, q)
        if kind is wq.And:
            positive = [s for s in q.subqueries if type(s) is not wq.Not]
            negative = [s.query for s in q.subqueries if type(s) is wq.Not]
            if not positive:
                result = self._all(searcher, generation)
            else:
                sets = sorted((self._eval(searcher, generation, s) for s in positive), key=len)
                result = sets[0].intersection(*sets[1:])
            for s in negative:
                if not result:
                    break
                result = result - self._eval(searcher, generation, s)
            return frozenset(result)
        if kind is wq.Or and not q.minmatch:
            sets = [self._eval(searcher, generation, s) for s in q.subqueries if type(s) is not wq.Not]
            if len(sets) != len(q.subqueries):
                return frozenset(searcher.docs_for_query(q))
            return frozenset().union(*sets)
        if kind is wq.Not:
            return self._all(searcher, generation) - self._eval(searcher, generation, q.query)
        if kind in (wq.AndMaybe,):
            return self._eval(searcher, generation, q.a)
        if kind in (wq.AndNot,):
            return self._eval(searcher, generation, q.a) - self._eval(searcher, generation, q.b)
        if kind is wq.Require:
            return self._eval(searcher, generation, q.a) & self._eval(searcher, generation, q.b)
        if kind is wq.Every:
            return self._all(searcher, generation)
        if q is wq.NullQuery or kind is type(wq.NullQuery):
            return frozenset()
        return frozenset(searcher.docs_for_query(q))


def exact_top(searcher, q, allow, limit: int):
    """Return the top ``limit`` hits of q among allow (None: all), scoring every match.

    Whoosh's default top-N collector replaces matchers on the fly (``replace``) using block
    quality estimates, which skips better documents in later segments; without replacement
    and quality skipping it is exact. Slicing the Results (not ``list()``, which asks ``len``)
    also avoids counting every match a second time.
    """
    collector = collectors.TopCollector(limit=limit, usequality=False, replace=0)
    if allow is not None:
        collector = collectors.FilterCollector(collector, allow=allow)
    searcher.search_with_collector(q, collector)
    return collector.results()[:limit]
