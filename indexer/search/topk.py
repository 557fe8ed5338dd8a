"""The top matches of a query from their scores (``scores``): the best first, ties to the
lower docnum (Whoosh's order), and which documents match a plan's clauses.
"""
from __future__ import annotations

import heapq

import numpy as np
from whoosh import query as wq

from indexer.search.phrases import PhraseBound
from indexer.search.scores import EMPTY, ArrayScores, Scored, union


def score_plan(scores: ArrayScores, searcher, generation: int, plan, memo: dict) -> tuple[ScoredMatches, list] | None:
    """Return a plain-words plan's ranking and each clause's matches (docnums), or None if a
    part is not scored as arrays. Its proximity bonuses are checked only for the documents
    that can reach the page (``ScoredMatches``), not for every match.

    :param memo: ``ArrayScores.scores``'s memo for this search.
    """
    q = plan.query
    subs = [c.query for c in plan.clauses] + list(plan.proximity)
    if type(q) is not wq.Or or q.minmatch or q.scale or q.boost != 1.0 \
            or len(q.subqueries) != len(subs) or any(a is not b for a, b in zip(q.subqueries, subs, strict=True)):
        return None
    clauses = [scores.scores(searcher, generation, c.query, memo) for c in plan.clauses]
    bonuses = [scores.phrase_bound(searcher, generation, p, memo) for p in plan.proximity]
    if any(c is None for c in clauses) or any(b is None for b in bonuses):
        return None
    return ScoredMatches(union(clauses, searcher.doc_count_all()), bonuses), [c.ids for c in clauses]


class ScoredMatches:
    """Every match of a query with its score, where some parts of the score (proximity
    bonuses, ``PhraseBound``) are known only as an upper bound until checked.

    A document's score is its base score plus each bonus it earns, added in the query's
    order, so it equals the whole query's score (``ArrayScores.scores``) to the last bit. The
    best documents are found by checking the bonuses in order of the documents' upper bounds
    (base plus every bonus it could earn) and stopping when no unchecked document can beat
    the ones found: the same order as scoring every match, with far fewer checks.
    """

    def __init__(self, base: Scored, bonuses: list[PhraseBound] | None = None):
        self.ids, self.base = base.ids, base.scores
        self._bonuses = []
        upper = self.base
        for bonus in bonuses or ():
            if not len(bonus):
                continue
            # A bonus's documents hold words of the clauses, so they are among the base's;
            # any other could not be shown anyway (matches come from the clauses).
            where = np.minimum(np.searchsorted(self.ids, bonus.ids), max(len(self.ids) - 1, 0))
            found = self.ids[where] == bonus.ids if len(self.ids) else np.zeros(len(bonus.ids), dtype=bool)
            most = np.zeros(len(self.ids))
            most[where[found]] = bonus.scores[found]
            upper = upper + most  # adding 0.0 leaves a score as it is
            self._bonuses.append(bonus)
        self.upper = upper

    def lifted(self, tier: np.ndarray) -> ScoredMatches:
        """Return these matches with the documents of a tier above the rest: tier holds, per
        docnum, how many of the query's named labels a document carries (``labels``); each
        lifts it above every score without it. Labelled documents that the words did not match
        join with that lift alone."""
        extra = np.flatnonzero(tier)
        if not len(extra):
            return self
        ids = np.union1d(self.ids, extra)
        base = np.zeros(len(ids))
        base[np.searchsorted(ids, self.ids)] = self.base
        lift = (float(self.upper.max()) if len(self.upper) else 0.0) + 1.0
        return ScoredMatches(Scored(ids, base + tier[ids] * lift), self._bonuses)

    def top(self, allow: np.ndarray, limit: int | None) -> list[tuple[float, int]]:
        """Return the best ``limit`` (None: all) (score, docnum) among the documents of the
        allow mask: higher scores first, ties to the lower docnum (Whoosh's order)."""
        if not self._bonuses:
            keep = allow[self.ids]
            return top(self.ids[keep], self.base[keep], limit)
        found = []
        for pair in self.stream(allow, first=limit or 16):
            found.append(pair)
            if limit is not None and len(found) >= limit:
                break
        return found

    def stream(self, allow: np.ndarray, first: int = 16):
        """Yield (score, docnum) of the documents of the allow mask, best first.

        :param first: how many documents to check at first (then twice as many each time)."""
        keep = np.flatnonzero(allow[self.ids])
        if not self._bonuses:
            yield from top(self.ids[keep], self.base[keep], None)
            return
        order = keep[np.lexsort((self.ids[keep], -self.upper[keep]))]
        ids, upper = self.ids.tolist(), self.upper.tolist()
        heap: list = []
        at, batch = 0, max(1, first)
        while at < len(order) or heap:
            if heap and (at == len(order) or heap[0] < (-upper[order[at]], ids[order[at]])):
                score, docnum = heapq.heappop(heap)  # no unchecked document can beat it
                yield -score, docnum
                continue
            chunk = order[at:at + batch]
            at += len(chunk)
            batch = min(batch * 2, 1024)
            for docnum, score in zip(self.ids[chunk].tolist(), self._exact(chunk).tolist(), strict=True):
                heapq.heappush(heap, (-score, docnum))

    def _exact(self, at: np.ndarray) -> np.ndarray:
        """Return the exact scores of the documents at these places."""
        scores = self.base[at]
        docnums = self.ids[at]
        for bonus in self._bonuses:
            where = np.minimum(np.searchsorted(bonus.ids, docnums), len(bonus.ids) - 1)
            earned = np.zeros(len(at))
            candidates = np.flatnonzero(bonus.ids[where] == docnums)
            near = candidates[bonus.check(where[candidates])]
            earned[near] = bonus.scores[where[near]]
            scores = scores + earned
        return scores


def top(ids: np.ndarray, scores: np.ndarray, limit: int | None) -> list[tuple[float, int]]:
    """Return the best ``limit`` (None: all) (score, docnum): higher scores first, ties to
    the lower docnum (Whoosh's order)."""
    if limit is not None and len(ids) > 4 * limit:
        # Keep every candidate scoring at least the limit-th best score (ties included).
        cut = np.partition(scores, len(scores) - limit)[len(scores) - limit]
        keep = scores >= cut
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))
    if limit is not None:
        order = order[:limit]
    return list(zip(scores[order].tolist(), ids[order].tolist(), strict=True))


def count_matches(clauses: list[np.ndarray], required: int, relax: bool, size: int) -> np.ndarray:
    """Return the docnums (sorted) found in at least ``required`` of the clauses' docnum
    arrays; when none is and ``relax``, those found in any (``query.Plan.matches``)."""
    clauses = [c for c in clauses if len(c)]
    if not clauses:
        return EMPTY.ids
    if len(clauses) == 1:
        return clauses[0] if required <= 1 else (EMPTY.ids if not relax else clauses[0])
    counts = np.bincount(np.concatenate(clauses), minlength=size)
    found = np.flatnonzero(counts >= required)
    if not len(found) and relax:
        found = np.flatnonzero(counts)
    return found
