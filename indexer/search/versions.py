"""What the read side reads once per index version: facet value sets, translation groups, the
id, language, URL and title that a translation link shows, the documents' dates (sorting),
and the vocabulary (spelling correction, accents).

Each is kept per reader, so per index version: a reader's id() may be reused by a later
version's reader once it is freed, so readers are held weakly, not by id. Facet values and
vocabularies are also kept per segment and its deletions: a new index version mostly keeps
its segments, so only what a crawl wrote is read again.
"""
from __future__ import annotations

import threading
import weakref
from bisect import bisect_right
from datetime import date

import numpy as np

from indexer.schema import link_fields
from indexer.search.lexicon import Lexicon


class VersionData:
    """Per-version data of one index, shared by the threads of a process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_reader: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._by_segment: dict = {}

    def facet_sets(self, searcher, field: str) -> dict[str, frozenset]:
        """Return value → set of live docnums for one indexed field."""
        def build():
            # Each segment's postings read directly (a query object and matcher per value
            # cost seconds on a field with a value per document, such as the translation group).
            found: dict[str, list[int]] = {}
            for sub, offset in searcher.leaf_searchers():
                local = self._per_segment(sub.reader(), ("facet", field), lambda seg: _segment_values(seg, field))
                for value, ids in local.items():
                    found.setdefault(value, []).extend([d + offset for d in ids] if offset else ids)
            return {v: frozenset(ids) for v, ids in found.items() if ids}
        return self._per_reader(searcher, field, build)

    def facet_column(self, searcher, field: str) -> FacetColumn:
        """Return one facet field's arrays (``FacetColumn``)."""
        return self._per_reader(searcher, ("column", field), lambda: FacetColumn(
            self.facet_sets(searcher, field), searcher.doc_count_all()))

    def group_column(self, searcher) -> GroupColumn:
        """Return the translation groups' arrays (``GroupColumn``)."""
        return self._per_reader(searcher, "group_column", lambda: GroupColumn(
            self.facet_sets(searcher, "group"), searcher.doc_count_all()))

    def links(self, searcher) -> Links:
        """Return what a link to each document shows (``Links``)."""
        return self._per_reader(searcher, "links", lambda: Links(searcher))

    def dates(self, searcher) -> np.ndarray:
        """Return each document's date as a day number (``date.toordinal``; -1: undated, as
        every document of an index written before the ``date`` field is), from the field's
        postings: the order of ``sorting``."""
        return self._per_reader(searcher, "dates", lambda: day_numbers(
            self.facet_sets(searcher, "date"), searcher.doc_count_all()))

    def lexicon(self, searcher) -> Lexicon:
        """Return the index's words."""
        return self._per_reader(searcher, "lexicon", lambda: Lexicon.merged(
            [self._per_segment(sub.reader(), "lexicon", Lexicon) for sub, _ in searcher.leaf_searchers()]))

    def _per_reader(self, searcher, name: str, build):
        """Return build() cached for the searcher's reader (its index version)."""
        reader = searcher.reader()
        with self._lock:
            entries = self._by_reader.get(reader)
            found = entries.get(name) if entries is not None else None
        if found is None:
            if entries is None:  # a version not seen before: its old segments' entries can go
                self._forget_segments(searcher)
            found = build()
            with self._lock:
                self._by_reader.setdefault(reader, {})[name] = found
        return found

    def _per_segment(self, segment, name, build):
        """Return build(segment) cached for this segment and its deletions."""
        try:
            key = (segment.segment().segment_id(), segment.segment().deleted_count(), name)
        except AttributeError:  # not a segment reader
            return build(segment)
        with self._lock:
            found = self._by_segment.get(key)
        if found is None:
            found = build(segment)
            with self._lock:
                self._by_segment[key] = found
        return found

    def _forget_segments(self, searcher) -> None:
        """Drop what is cached for segments the searcher's index version no longer has."""
        live = set()
        for sub, _ in searcher.leaf_searchers():
            seg = getattr(sub.reader(), "segment", None)
            seg = seg() if seg is not None else None  # None: an empty index's reader has no segment
            if seg is not None:
                live.add((seg.segment_id(), seg.deleted_count()))
        with self._lock:
            for key in [k for k in self._by_segment if k[:2] not in live]:
                del self._by_segment[key]


def _segment_values(segment, field: str) -> dict[str, list[int]]:
    """Return value → the segment's live docnums holding it, for one indexed field."""
    out = {}
    if field in segment.schema:
        for btext in segment.lexicon(field):
            ids = list(segment.postings(field, btext).all_ids())  # without deleted documents
            if ids:
                out[btext.decode("utf-8") if isinstance(btext, bytes) else btext] = ids
    return out


def day_numbers(sets: dict[str, frozenset], size: int) -> np.ndarray:
    """Return, per docnum, the day number of its "YYYY-MM-DD" value in sets (value → docnums),
    or -1; a value that is no date counts as none."""
    out = np.full(size, -1, dtype=np.int32)
    for value, docs in sets.items():
        try:
            day = date.fromisoformat(value).toordinal()
        except ValueError:
            continue
        out[np.fromiter(docs, np.int64, len(docs))] = day
    return out


class Links:
    """What a link to each document shows: its id, language, URL and title, by docnum, from
    the ``link`` column (a few bytes a document, read in place); a segment written before
    the column existed gives its stored fields instead."""

    def __init__(self, searcher):
        self._offsets, self._parts = [], []
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            has = "link" in reader.schema and reader.has_column("link")
            self._offsets.append(offset)
            # The reader held weakly: this table is kept per reader (``_per_reader``), which
            # must not keep its key alive.
            self._parts.append((weakref.ref(reader), reader.column_reader("link", translate=False) if has else None))

    def __getitem__(self, docnum: int) -> dict:
        n = bisect_right(self._offsets, docnum) - 1
        reader, column = self._parts[n]
        local = docnum - self._offsets[n]
        raw = column[local] if column is not None else b""
        if raw:
            doc_id, lang, url, title = link_fields(raw)
        else:
            f = reader().stored_fields(local)
            doc_id, lang, url, title = f.get("id"), f.get("lang"), f.get("url"), f.get("title")
        return {"id": doc_id, "lang": lang, "url": url, "title": title}


class FacetColumn:
    """One facet field as arrays over docnums: each (document, value) pair, for counting the
    values of any set of documents in one pass, and each value's documents, for filters."""

    def __init__(self, sets: dict[str, frozenset], size: int):
        self.size = size
        self.values = sorted(sets)
        self.docs = {v: np.fromiter(sorted(sets[v]), np.int64, len(sets[v])) for v in self.values}
        self.pair_doc = np.concatenate([self.docs[v] for v in self.values]) if self.values else np.empty(0, np.int64)
        self.pair_value = np.repeat(np.arange(len(self.values)), [len(self.docs[v]) for v in self.values])
        # A field with one value a document at most (language, type, most themes and
        # countries): each document's value number plus one (0: none), counted from the
        # mask in one pass (a boolean selection is cheaper than gathering every pair).
        self.value_of = None
        if len(np.unique(self.pair_doc)) == len(self.pair_doc):
            self.value_of = np.zeros(size, dtype=np.int32)
            self.value_of[self.pair_doc] = self.pair_value + 1

    def mask(self, chosen) -> np.ndarray:
        """Return the documents holding any of the chosen values, as a boolean mask."""
        out = np.zeros(self.size, dtype=bool)
        for v in chosen:
            if v in self.docs:
                out[self.docs[v]] = True
        return out

    def counts(self, mask: np.ndarray) -> dict[str, int]:
        """Return value → how many documents of the mask hold it (values with none left out)."""
        if self.value_of is not None:
            found = np.bincount(self.value_of[mask], minlength=len(self.values) + 1)[1:]
        else:
            found = np.bincount(self.pair_value[mask[self.pair_doc]], minlength=len(self.values))
        present = np.flatnonzero(found)
        values = self.values
        return dict(zip([values[i] for i in present.tolist()], found[present].tolist(), strict=True))


    def work_counts(self, mask: np.ndarray, groups: GroupColumn) -> dict[str, int]:
        """Return value → how many works (translation groups; a document without one is a
        work of its own) of the mask hold it: the counts of a search that shows one result
        per work."""
        sel = mask[self.pair_doc]
        docs, vals = self.pair_doc[sel], self.pair_value[sel]
        work = groups.of[docs]
        work = np.where(work >= 0, work, groups.count + docs)
        pairs = np.unique(vals * (groups.count + self.size + 1) + work)
        found = np.bincount(pairs // (groups.count + self.size + 1), minlength=len(self.values))
        present = np.flatnonzero(found)
        return dict(zip([self.values[i] for i in present.tolist()], found[present].tolist(), strict=True))


class GroupColumn:
    """Translation groups as arrays: each document's group number (-1: none)."""

    def __init__(self, members: dict[str, frozenset], size: int):
        self.size = size
        self.of = np.full(size, -1, dtype=np.int64)
        self.members = [tuple(sorted(docs)) for docs in members.values()]  # by group number, ascending
        for n, docs in enumerate(self.members):
            self.of[np.array(docs, dtype=np.int64)] = n
        self.count = len(members)
        self._grouped = np.flatnonzero(self.of >= 0)
        self._grouped_of = self.of[self._grouped]

    def with_versions(self, mask: np.ndarray) -> np.ndarray:
        """Return the mask plus the other versions of its documents' works."""
        reached = np.zeros(self.count, dtype=bool)
        groups = self.of[mask]
        reached[groups[groups >= 0]] = True
        out = mask.copy()
        out[self._grouped[reached[self._grouped_of]]] = True
        return out

    def distinct(self, mask: np.ndarray) -> int:
        """Return how many works the mask's documents are (a document without a group is one)."""
        groups = self.of[mask]
        return int(np.count_nonzero(groups < 0)) + len(np.unique(groups[groups >= 0]))
