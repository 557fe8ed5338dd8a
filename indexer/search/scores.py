"""Every match of a query and its BM25F score, as arrays.

A ranked query of And/Or/Not over Terms and Phrases is evaluated here, whole, with numpy:
each Term's postings are read a block at a time straight from Whoosh's postings file
(``postingfile``, without unpickling their positions) and scored by Whoosh's own BM25F formula
(``scoring.bm25``, its scorer's idf, average length, B and K1) in one vectorized expression
per term, instead of a matcher call and a Python ``bm25`` call per posting. The arrays of a
query's parts combine as Whoosh's matchers combine scores: an Or adds its parts' scores
where they match, an And adds them where all match (and a constant for each NOT clause), so
the scores are Whoosh's (to rounding: Whoosh adds a wide Or's parts two by two in a tree;
``tests/test_scores.py`` and ``tests/test_search_cache.py`` compare them). A phrase scores
as Whoosh's phrase matcher does, its positions compared as arrays (``phrases``). Any other
query part (prefixes, coordination scaling, minimum matches) gives None and the caller lets
Whoosh score.

Results are ``Scored``: docnums (sorted, unique, int64) and their scores (float64).
"""
from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np
from whoosh import query as wq
from whoosh import scoring
from whoosh.reading import TermNotFound

from indexer.codec.postingfile import BlockPlaces, Postings, field_lengths, read_term
from indexer.search.phrases import PhraseBound


class Scored(NamedTuple):
    """Docnums (sorted, unique) and their scores."""

    ids: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


EMPTY = Scored(np.empty(0, np.int64), np.empty(0, np.float64))
#: What a kept entry costs besides its postings, counted in postings: its key, its arrays'
#: headers and where its positions lie weigh about a kilobyte (measured: 650 bytes for a
#: term the index lacks), a posting 16 bytes of arrays. So a term not found still counts.
ENTRY_POSTINGS = 64


class ArrayScores:
    """Score queries as arrays, keeping each leaf's arrays for the index version within a
    budget of postings (0: none kept), least recently used out first; each entry costs
    ``ENTRY_POSTINGS`` plus its postings, so terms the index lacks count too."""

    def __init__(self, budget: int):
        self.budget = budget
        self._cache: dict = {}
        self._generation = None
        self._held = 0
        self._lock = threading.Lock()
        self._norm: dict = {}  # (segment id, field, BM25 constants) → length normalization, for one generation
        self._norm_generation = None

    # Whole queries

    def scores(self, searcher, generation: int, q, memo: dict | None = None) -> Scored | None:
        """Return every match of q and its score, or None if q has a part not handled here.

        :param memo: a dict kept for one search: each part of q (by identity) is scored once,
            so the plan's clauses can read their matches afterwards. Returned arrays are
            shared: read them, do not change them.
        """
        if memo is None:
            memo = {}
        found = memo.get(id(q))
        if found is not None:
            return found[1]
        result = self._scores(searcher, generation, q, memo)
        memo[id(q)] = (q, result)  # q kept alive with it, so its id is not reused meanwhile
        return result

    def _scores(self, searcher, generation: int, q, memo: dict) -> Scored | None:
        kind = type(q)
        if kind is wq.Term or kind is wq.Phrase:
            return self._leaf(searcher, generation, q, memo)
        if kind is wq.Or and not q.minmatch and not q.scale:
            parts = []
            for sub in q.subqueries:
                part = self.scores(searcher, generation, sub, memo)
                if part is None:
                    return None
                parts.append(part)
            return _boosted(union(parts, searcher.doc_count_all()), q.boost)
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
            ids, total = parts[0]
            for part in parts[1:]:
                ids, mine, theirs = np.intersect1d(ids, part.ids, assume_unique=True, return_indices=True)
                total = total[mine] + part.scores[theirs]
            for sub in negative:
                excluded = self.scores(searcher, generation, sub, memo)
                if excluded is None:
                    return None
                keep = ~np.isin(ids, excluded.ids, assume_unique=True)
                ids, total = ids[keep], total[keep]
            # Whoosh scores a NOT clause as a match of constant weight (its boost) in an AND.
            bonus = sum(s.boost for s in q.subqueries if type(s) is wq.Not)
            if bonus:
                total = total + bonus
            return _boosted(Scored(ids, total), q.boost)
        return None

    # Leaves

    def _leaf(self, searcher, generation: int, q, memo: dict) -> Scored:
        if type(q) is wq.Term:
            found = self._term(searcher, generation, q, memo)
        else:
            key = ("phrase", repr(q))
            found = self._cached(generation, key)
            if found is None:
                found = self._phrase(searcher, generation, q, memo)
                if found is not None:
                    self._keep(generation, key, found)
        return found if found is not None else _matcher_scores(searcher, q)

    def _cached(self, generation: int, key):
        with self._lock:
            if generation == self._generation and key in self._cache:
                found = self._cache.pop(key)
                self._cache[key] = found  # most recently used last
                return found
        return None

    def _keep(self, generation: int, key, found) -> None:
        """Keep found (Postings or Scored) for this index version, within the budget."""
        cost = ENTRY_POSTINGS + len(found)
        if not self.budget or cost > self.budget // 4:
            return
        with self._lock:
            if self._generation is None or generation > self._generation:
                self._cache, self._held, self._generation = {}, 0, generation
            if generation == self._generation and key not in self._cache:  # (another thread may have)
                self._cache[key] = found
                self._held += cost
                while self._held > self.budget:
                    oldest = next(iter(self._cache))
                    self._held -= ENTRY_POSTINGS + len(self._cache.pop(oldest))

    def stats(self) -> dict:
        """Return the entries kept and what they cost (in postings) against the budget."""
        with self._lock:
            return {"entries": len(self._cache), "held": self._held, "size": self.budget}

    def _term(self, searcher, generation: int, q, memo: dict) -> Scored | None:
        """Score a Term: its postings' unboosted scores times its boost (as Whoosh does)."""
        found = self.postings(searcher, generation, q.fieldname, q.text, memo)
        if found is None:
            return None
        return Scored(found.ids, found.scores if q.boost == 1.0 else found.scores * q.boost)

    def postings(self, searcher, generation: int, fieldname: str, text, memo: dict,
                 values: bool = False) -> Postings | None:
        """Return a term's postings with their unboosted BM25F scores (their positions are
        read when asked, a block at a time): read once per search (memo) and kept for the
        index version within the budget. None when the weighting is not BM25F (or a subclass
        whose changes live in its scorer's idf and average length), or the field is not
        scored by it.

        :param values: keep the positions of the blocks that were unpickled whole while
            reading (a phrase checks most of its words' postings), instead of reading again
            those it needs."""
        weighting = searcher.weighting
        if not isinstance(weighting, scoring.BM25F) or fieldname not in searcher.schema:
            return None
        try:
            btext = searcher.schema[fieldname].to_bytes(text)
        except ValueError:
            return None
        key = ("postings", fieldname, btext)
        if key in memo:
            return memo[key]
        found = self._cached(generation, key) if self.budget else None
        if found is None:
            found = self._read(searcher, generation, fieldname, btext, values)
            if found is not None and self.budget:
                self._keep(generation, key, found)
        memo[key] = found
        return found

    def _read(self, searcher, generation: int, fieldname: str, btext: bytes, values: bool) -> Postings | None:
        blocks = BlockPlaces()
        found, kept_parts = [], []
        frequency, deletions = 0, False
        for segment, (sub, offset) in enumerate(searcher.leaf_searchers()):
            reader = sub.reader()
            start = blocks.size
            try:
                ids, tf, keep, n = read_term(reader, fieldname, btext, blocks, segment, values)
            except TermNotFound:
                continue
            frequency += n
            deletions = deletions or keep is not None
            kept_parts.append((start, len(ids), keep))
            if len(ids):
                found.append((reader, offset, ids, tf))
        if deletions:
            blocks.kept = np.concatenate([start + (np.arange(n) if keep is None else np.flatnonzero(keep))
                                          for start, n, keep in kept_parts])
        if not found:
            return Postings(EMPTY.ids, EMPTY.scores, blocks)
        constants = _constants(searcher.weighting, searcher, fieldname, btext, frequency)
        if constants is None:
            return None  # an unscored field (WeightScorer)
        idf, avgfl, b, k1 = constants
        ids_parts, score_parts = [], []
        for reader, offset, ids, tf in found:
            # scoring.bm25, idf * ((tf * (K1 + 1)) / (tf + norm)), operation for operation (the
            # same floats as Whoosh's), in place where an array is this term's own
            norm = self._norms(reader, fieldname, generation, b, k1, avgfl)[ids]
            norm += tf
            scores = tf * (k1 + 1)
            scores /= norm
            scores *= idf
            ids_parts.append(ids + offset if offset else ids)
            score_parts.append(scores)
        if len(ids_parts) == 1:
            return Postings(ids_parts[0], score_parts[0], blocks)
        return Postings(np.concatenate(ids_parts), np.concatenate(score_parts), blocks)  # in docnum order

    def _phrase(self, searcher, generation: int, q, memo: dict) -> Scored | None:
        """Score a Phrase as Whoosh's phrase matcher does: where its words follow each other
        (each within ``slop`` positions after the one before), the sum of the words' own
        scores (unboosted) times the phrase's boost. None when a word cannot be read here."""
        found = self.phrase_bound(searcher, generation, q, memo)
        if found is None:
            return None
        keep = found.check(np.arange(len(found.ids)))
        return Scored(found.ids[keep], found.scores[keep])

    def phrase_bound(self, searcher, generation: int, q, memo: dict) -> PhraseBound | None:
        """Return the documents holding every word of a Phrase and the score each would get
        from it (``_phrase``); whether the words are near enough is asked per document."""
        field = searcher.schema[q.fieldname] if q.fieldname in searcher.schema else None
        if type(q) is not wq.Phrase or field is None or not q.words or not field.format \
                or not field.format.supports("positions"):
            return None
        # Word by word, stopping where no document is left: a phrase of one language's words
        # in another language's field mostly lacks its first word there.
        words, ids, at = [], None, []
        for w in q.words:
            word = self.postings(searcher, generation, q.fieldname, w, memo, values=True)
            if word is None:
                return None
            words.append(word)
            if ids is None:
                ids, at = word.ids, [np.arange(len(word.ids))]
            else:
                ids, mine, theirs = np.intersect1d(ids, word.ids, assume_unique=True, return_indices=True)
                at = [a[mine] for a in at] + [theirs]
            if not len(ids):
                break
        scores = _tree_sum([w.scores[a] for w, a in zip(words, at, strict=True)])
        if q.boost != 1.0:
            scores = scores * q.boost
        return PhraseBound(ids, scores, [(searcher, w.blocks) for w in words], at, q.slop, field.format)

    def _norms(self, reader, fieldname: str, generation: int, b: float, k1: float, avgfl: float) -> np.ndarray:
        """Return BM25F's length normalization ``k1 * ((1 - b) + b * fl / avgfl)`` of every
        document of one segment in fieldname (fl: its length as BM25F reads it), computed
        once per index version: a term's scores then take two operations fewer per posting.
        Element by element, the same operations as ``scoring.bm25``, so the same floats."""
        key = (reader.segment().segment_id(), fieldname, b, k1, avgfl)
        with self._lock:
            if generation != self._norm_generation:
                self._norm, self._norm_generation = {}, generation
            found = self._norm.get(key)
        if found is None:
            fl = np.array(field_lengths(reader, fieldname), dtype=np.float64)
            found = k1 * ((1 - b) + b * fl / avgfl)
            with self._lock:
                if generation == self._norm_generation:
                    self._norm[key] = found
        return found

    def warm(self, searcher, fields) -> None:
        """Compute every segment's length normalization for fields."""
        generation = searcher.reader().generation()
        for field in fields:
            if field not in searcher.schema:
                continue
            constants = _constants(searcher.weighting, searcher, field, b"", 0)
            if constants is None:
                continue
            _, avgfl, b, k1 = constants
            for sub, _ in searcher.leaf_searchers():
                self._norms(sub.reader(), field, generation, b, k1, avgfl)


def _matcher_scores(searcher, q) -> Scored:
    """Score q with its own Whoosh matcher, one document at a time."""
    ids, scores = [], []
    m = q.matcher(searcher, searcher.context())
    while m.is_active():
        ids.append(m.id())
        scores.append(m.score())
        m.next()
    return Scored(np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float64))


def union(parts: list[Scored], size: int) -> Scored:
    """Return the union of parts, each docnum's scores added in the parts' order."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return EMPTY
    if len(parts) == 1:
        return parts[0]
    total = np.zeros(size)
    hit = np.zeros(size, dtype=bool)
    for ids, scores in parts:
        total[ids] += scores  # docnums are unique within a part
        hit[ids] = True
    ids = np.flatnonzero(hit)
    return Scored(ids, total[ids])


def _boosted(found: Scored, boost: float) -> Scored:
    return found if boost == 1.0 else Scored(found.ids, found.scores * boost)


def _constants(weighting, searcher, fieldname: str, btext: bytes, frequency: int):
    """Return a term's BM25F (idf, avgfl, B, K1), or None for a field BM25F does not score.
    The idf and average length are the whole index's; frequency: the term's document
    frequency (summed over the segments read)."""
    fast = getattr(weighting, "term_constants", None)
    if fast is not None:
        return fast(searcher, fieldname, btext, frequency)
    scorer = weighting.scorer(searcher, fieldname, btext)
    if type(scorer) is not scoring.BM25FScorer:
        return None
    return scorer.idf, scorer.avgfl, scorer.B, scorer.K1


def _tree_sum(parts: list):
    """Add parts as Whoosh's intersection matchers do: halves first (``make_binary_tree``)."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])
