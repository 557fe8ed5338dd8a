"""Sorting by date (``sort=date``): the documents a search shows, newest first, and those
without a date after them; documents of one day, and the undated ones, in relevance order.

Only the page is ordered here: the total and the facets do not depend on the order. Dates are
day numbers per index version (``versions.VersionData.dates``, from the ``date`` field's
postings), so a page costs a pass over the shown documents' days, plus the relevance order of
the documents that can reach it (those of the page's days, or the undated ones it needs).
"""
from __future__ import annotations

import numpy as np

from indexer.errors import SearchError
from indexer.search.topk import ScoredMatches

#: The score of every document of a browse (no query): Whoosh's for ``Every``.
BROWSE_SCORE = 1.0
#: Why an index cannot be sorted by date.
NOT_DATED = ("this index was written before documents had dates: run `m4d-search crawl SOURCE --rebuild` "
             "to rebuild it and sort by date")


def page_by_date(versions, searcher, shown: np.ndarray, ranked, start: int, stop: int) -> list:
    """Return the entries ``start:stop`` of the shown documents sorted newest first, the
    undated after the dated, each day's and the undated in relevance order.

    :param versions: the index's ``versions.VersionData`` (its ``dates``).
    :param searcher: the searcher of the version searched.
    :param shown: a boolean mask over docnums: the documents the search shows.
    :param ranked: the relevance order, one of
        - a ``topk.ScoredMatches``: the matches' scores (a shown document it does not score
          comes after those it does, by docnum);
        - None: no query (a browse): by docnum, as Whoosh ranks ``Every``;
        - an iterable of entries in relevance order: docnums, (score, docnum) pairs, or hits
          with a ``docnum`` (Whoosh ``Hit``, ``translations.Translation``). Then the shown
          documents are those of the entries that shown holds (collapsed results: one per work).
    :return: (score, docnum) pairs for a ``ScoredMatches`` or None, else the entries themselves.
    :raise SearchError: the index was written before documents had dates (``NOT_DATED``).
    """
    if "date" not in searcher.schema:
        raise SearchError(NOT_DATED)
    days = versions.dates(searcher)
    if ranked is None or isinstance(ranked, ScoredMatches):
        return _scored_page(days, shown, ranked, start, stop)
    return _entries_page(days, shown, ranked, start, stop)


def _scored_page(days: np.ndarray, shown: np.ndarray, ranked: ScoredMatches | None,
                 start: int, stop: int) -> list[tuple[float, int]]:
    dated = shown & (days >= 0)
    ids = np.flatnonzero(dated)
    count = len(ids)
    out: list[tuple[float, int]] = []
    if start < count:
        found = days[ids]
        if count > stop:  # only the days that reach the page (all of the last one's documents)
            last = np.partition(found, count - stop)[count - stop]
            ids = ids[found >= last]
        reach = np.zeros(len(shown), dtype=bool)
        reach[ids] = True
        order = _relevance(ranked, reach)
        order.sort(key=lambda pair: -int(days[pair[1]]))  # stable: each day's in relevance order
        out = order[start:stop]
    if stop > count:
        undated = _relevance(ranked, shown & (days < 0), stop - count)
        out += undated[max(0, start - count):]
    return out


def _relevance(ranked: ScoredMatches | None, mask: np.ndarray, limit: int | None = None) -> list[tuple[float, int]]:
    """Return (score, docnum) of the first ``limit`` (None: all) documents of mask by relevance."""
    if ranked is None:
        return [(BROWSE_SCORE, d) for d in np.flatnonzero(mask)[:limit].tolist()]
    found = ranked.top(mask, limit)
    if limit is None or len(found) < limit:
        rest = mask.copy()
        rest[ranked.ids] = False
        extra = np.flatnonzero(rest)
        found += [(0.0, d) for d in (extra if limit is None else extra[:limit - len(found)]).tolist()]
    return found


def _entries_page(days: np.ndarray, shown: np.ndarray, entries, start: int, stop: int) -> list:
    kept, docnums, seen = [], [], set()
    for entry in entries:
        docnum = _docnum(entry)
        if shown[docnum] and docnum not in seen:
            seen.add(docnum)
            kept.append(entry)
            docnums.append(docnum)
    if not kept:
        return []
    found = days[np.array(docnums, dtype=np.int64)].astype(np.int64)
    # Newest first (day numbers are positive), the undated (-1) last; a stable sort keeps
    # each day's entries, and the undated, in the order given.
    order = np.argsort(np.where(found >= 0, -found, 1), kind="stable")
    return [kept[i] for i in order[start:stop].tolist()]


def _docnum(entry) -> int:
    """Return the docnum of an entry: a docnum, a (score, docnum) pair or a hit."""
    if isinstance(entry, tuple):
        return int(entry[1])
    docnum = getattr(entry, "docnum", None)
    return int(entry if docnum is None else docnum)
