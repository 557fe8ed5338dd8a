"""Phrases over arrays: which candidate documents have a phrase's words near each other.

A phrase's candidates are the documents holding all its words (an intersection of their
postings, ``scores.ArrayScores.phrase_bound``); here their positions are compared, as
arrays, for any number of candidates at once, with Whoosh's rule for a phrase (its
``SpanNear2`` with ``ordered=True, mindist=1``): each word 1 to ``slop`` positions after the
one before.
"""
from __future__ import annotations

from itertools import chain
from pickle import loads

import numpy as np
from whoosh.formats import Positions
from whoosh.system import _INT_SIZE

_PROTOCOL_2 = b"\x80\x02"  # a pickle's header, protocol 2 (how Whoosh pickles positions)


class PhraseBound:
    """A phrase's candidates (documents with all its words), the score each gets if the
    words are near enough, and the check of that, one document at a time."""

    def __init__(self, ids, scores, words: list, at: list, slop: int, format_):
        """:param words: for each word, (a searcher, its postings' ``scores.BlockPlaces``); at: for
            each word, the place of each candidate among its postings."""
        self.ids, self.scores = ids, scores
        self._words, self._at, self._slop = words, at, slop
        self._decode = format_.decode_positions
        self._positions = type(format_) is Positions

    def __len__(self) -> int:
        return len(self.ids)

    def check(self, which: np.ndarray) -> np.ndarray:
        """Tell, for the candidates at these places, whether the words come in order, each 1
        to ``slop`` positions after the one before (Whoosh's ``SpanNear2`` with
        ``ordered=True, mindist=1``). Positions are compared as arrays of keys ``place << 32 |
        position``, one per word, so a document's check is a few array look-ups."""
        ends = None
        for (searcher, blocks), at in zip(self._words, self._at, strict=True):
            places = at[which]
            keys = blocks.keys(searcher, places)
            if keys is None:
                keys = self._keys(blocks.values(searcher, places))
            if ends is None:
                ends = keys
            else:
                ok = np.zeros(len(keys), dtype=bool)
                for gap in range(1, self._slop + 1):
                    before = keys - gap
                    j = np.minimum(np.searchsorted(ends, before), len(ends) - 1)
                    ok |= ends[j] == before
                ends = keys[ok]
            if not len(ends):
                return np.zeros(len(which), dtype=bool)
        found = np.zeros(len(which), dtype=bool)
        found[ends >> 32] = True
        return found

    def _keys(self, values: list) -> np.ndarray:
        """Return ``place << 32 | position`` for every position of the values (in order)."""
        # Whoosh's Positions values: a count, then a pickled list of position deltas
        fast = self._positions and all(v[_INT_SIZE:_INT_SIZE + 2] == _PROTOCOL_2 for v in values)
        lists = _decode_all(values) if fast else [self._decode(v) for v in values]
        counts = np.fromiter(map(len, lists), np.int64, len(lists))
        positions = np.fromiter(chain.from_iterable(lists), np.int64, int(counts.sum()))
        if fast:  # deltas: a running sum, started again at each document
            positions = np.cumsum(positions)
            starts = np.cumsum(counts) - counts
            positions -= np.repeat(np.concatenate(([0], positions))[starts], counts)
        return (np.repeat(np.arange(len(lists), dtype=np.int64), counts) << 32) | positions


def _decode_all(values: list) -> list[list[int]]:
    """Return the position deltas of many Whoosh ``Positions`` values with one unpickling:
    each value's pickled list (its protocol header and final STOP left out) goes into one
    pickled tuple."""
    bodies = [v[_INT_SIZE + 2:-1] if v.endswith(b".") else v[_INT_SIZE + 2:] for v in values]
    return list(loads(_PROTOCOL_2 + b"(" + b"".join(bodies) + b"t."))
