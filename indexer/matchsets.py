"""The set of documents a query matches, from cached per-term document sets.

Facet counts need every match, not just the page of hits. Whoosh's ``docs_for_query`` walks
union matchers over the eight text fields for every query; here a parsed query is evaluated
as set algebra (And → intersection, Or → union, Not → difference) over the live documents
of its leaves, and each leaf's set (a Term, Phrase, Prefix, …) is cached for the index
version, so a word seen before costs a dict lookup. Query types not known here are handed to
Whoosh whole, so the answer is always the one Whoosh would give.
"""
from __future__ import annotations

import heapq
import threading

from whoosh import collectors, scoring
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield, byte_to_length


class MatchSets:
    """Evaluate queries to frozensets of docnums with a leaf cache (a ``VersionedCache``)."""

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


class LeafScores:
    """Top-N by BM25F from cached per-leaf scores, for queries of And/Or/Not over Terms.

    Each Term's ``docnum -> score`` comes from Whoosh's own matcher and weighting (so boosts
    and the scoring model are Whoosh's) and is cached for the index version, bounded by the
    number of postings held. A document's score is the sum of its matching leaves' scores, as
    Whoosh's union and intersection matchers add them; ties go to the lower docnum, as in
    Whoosh's top-N collector. A phrase's scores come from its own Whoosh matcher, one
    document at a time. Any other query part (prefixes, coordination scaling) returns None
    and the caller lets Whoosh score.
    """

    def __init__(self, budget: int):
        self.budget = budget  # postings kept across all cached leaves; 0: no caching
        self._cache: dict = {}
        self._generation = None
        self._held = 0
        self._lock = threading.Lock()
        self._length_cache: dict = {}
        self._length_generation = None

    def _leaf(self, searcher, generation: int, q) -> dict:
        key = (q.fieldname, q.text, q.boost) if type(q) is wq.Term else repr(q)
        with self._lock:
            if generation == self._generation and key in self._cache:
                found = self._cache.pop(key)
                self._cache[key] = found  # most recently used last
                return found
        scores = self._bulk(searcher, generation, q) if type(q) is wq.Term else None
        if scores is None:
            scores = {}
            m = q.matcher(searcher, searcher.context())
            while m.is_active():
                scores[m.id()] = m.score()
                m.next()
        if self.budget and len(scores) <= self.budget // 4:
            with self._lock:
                if self._generation is None or generation > self._generation:
                    self._cache, self._held, self._generation = {}, 0, generation
                if generation == self._generation and key not in self._cache:
                    self._cache[key] = scores
                    self._held += len(scores)
                    while self._held > self.budget:
                        oldest = next(iter(self._cache))
                        self._held -= len(self._cache.pop(oldest))
        return scores

    def _bulk(self, searcher, generation: int, q) -> dict | None:
        """Score a Term's postings a block at a time: Whoosh's BM25F formula (``scoring.bm25``)
        with its scorer's idf, average length, B and K1, and each document's length read from
        a per-segment list instead of through the reader for every posting. None when the
        weighting or the postings are not the plain BM25F / W3 kind (the caller's loop then
        asks Whoosh's matcher for each score)."""
        weighting = searcher.weighting
        # BM25F, or a subclass whose changes live in its scorer's idf and avgfl (rank.BM25):
        # the scorer is checked below to be a plain BM25FScorer
        if not isinstance(weighting, scoring.BM25F) or q.fieldname not in searcher.schema:
            return None
        field = searcher.schema[q.fieldname]
        try:
            btext = field.to_bytes(q.text)
        except ValueError:
            return None
        scores: dict = {}
        bm25, boost = scoring.bm25, q.boost
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            if (q.fieldname, btext) not in reader:
                continue
            m = reader.postings(q.fieldname, btext)
            if type(m) is not W3LeafMatcher:
                return None  # deletions or another codec: Whoosh's own loop
            scorer = weighting.scorer(sub, q.fieldname, btext)
            if type(scorer) is not scoring.BM25FScorer:
                return None  # an unscored field (WeightScorer)
            idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
            lengths = self._lengths(reader, q.fieldname, generation)
            while m.is_active():
                if m._ids is None:
                    m._read_ids()
                if m._weights is None:
                    m._read_weights()
                for d, w in zip(m._ids, m._weights, strict=True):
                    score = bm25(idf, w, lengths[d], avgfl, b, k1)
                    scores[d + offset] = score * boost if boost != 1.0 else score
                m._next_block()
        return scores

    def _lengths(self, reader, fieldname: str, generation: int) -> list[int]:
        """Return the segment's field length of every document (as BM25F reads them)."""
        key = (reader.segment().segment_id(), fieldname)
        with self._lock:
            if generation != self._length_generation:
                self._length_cache, self._length_generation = {}, generation
            found = self._length_cache.get(key)
        if found is None:
            found = _field_lengths(reader, fieldname)
            with self._lock:
                if generation == self._length_generation:
                    self._length_cache[key] = found
        return found

    def scores(self, searcher, generation: int, q, memo: dict | None = None) -> dict | None:
        """Return docnum -> score for every match of q, or None if q has a part not handled here.

        :param memo: a dict kept for one search: each part of q (by identity) is scored once,
            so the plan's clauses can read their matches from the same dicts afterwards. The
            dicts returned are shared: read them, do not change them.
        """
        if memo is None:
            return self._scores(searcher, generation, q, {})
        if id(q) in memo:
            return memo[id(q)][1]
        found = self._scores(searcher, generation, q, memo)
        memo[id(q)] = (q, found)  # q kept alive with it, so its id is not reused meanwhile
        return found

    def _scores(self, searcher, generation: int, q, memo: dict) -> dict | None:
        kind = type(q)
        if kind is wq.Term or kind is wq.Phrase:  # a phrase: Whoosh's own matcher scores it
            return self._leaf(searcher, generation, q)
        if kind is wq.Or and not q.minmatch and not q.scale:
            total: dict = {}
            for sub in q.subqueries:
                part = self.scores(searcher, generation, sub, memo)
                if part is None:
                    return None
                for d, s in part.items():
                    total[d] = total[d] + s if d in total else s
            return _boosted(total, q.boost)
        if kind is wq.And:
            positive = [s for s in q.subqueries if type(s) is not wq.Not]
            negative = [s.query for s in q.subqueries if type(s) is wq.Not]
            if not positive:
                return None
            parts = []
            for sub in positive:
                part = self.scores(searcher, generation, sub, memo)
                if part is None:
                    return None
                parts.append(part)
            smallest = min(parts, key=len)
            keys = set(smallest)
            for part in parts:
                if part is not smallest:
                    keys.intersection_update(part)
            for sub in negative:
                excluded = self.scores(searcher, generation, sub, memo)
                if excluded is None:
                    return None
                keys.difference_update(excluded)
            # Whoosh scores a NOT clause as a match of constant weight (its boost) in an AND.
            bonus = sum(s.boost for s in q.subqueries if type(s) is wq.Not)
            total = {}
            for d in keys:
                s = parts[0][d]
                for part in parts[1:]:
                    s += part[d]
                total[d] = s + bonus if bonus else s
            return _boosted(total, q.boost)
        return None

    def top(self, searcher, generation: int, q, allowed, limit: int) -> list[tuple[float, int]] | None:
        """Return the best ``limit`` (score, docnum) of q among allowed docnums (None: all), or None."""
        scores = self.scores(searcher, generation, q)
        return None if scores is None else top_scored(scores, allowed, limit)


def top_scored(scores: dict, allowed, limit: int) -> list[tuple[float, int]]:
    """Return the best ``limit`` (score, docnum) among allowed docnums (None: all): higher
    scores first, ties to the lower docnum (Whoosh's order)."""
    items = scores.items() if allowed is None else ((d, s) for d, s in scores.items() if d in allowed)
    best = heapq.nsmallest(limit, items, key=lambda ds: (-ds[1], ds[0]))
    return [(s, d) for d, s in best]


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


def _field_lengths(reader, fieldname: str) -> list[int]:
    """Return every document's length in fieldname for one segment reader, as BM25F reads it:
    the lengths column read in one piece (one byte per document), else document by document."""
    count = reader.doc_count_all()
    try:
        column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        raw = column._dbfile.get(column._basepos, column._count) if column is not None else b""
        if column is not None and (column._fixedlen != 1 or len(raw) != column._count):
            raise ValueError("unexpected lengths column")
    except (AttributeError, ValueError):
        return [reader.doc_field_length(d, fieldname, 1) or 1 for d in range(count)]
    lengths = [byte_to_length(b) or 1 for b in raw]
    return lengths + [1] * (count - len(lengths))


def _boosted(scores: dict, boost: float) -> dict:
    if boost == 1.0:
        return scores
    return {d: s * boost for d, s in scores.items()}
