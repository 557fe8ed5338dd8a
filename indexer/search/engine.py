"""Search: the read side. Parse a query across every language field (``query``), score it
(``scores``, ``weighting``, ``topk``), filter and count facets, bring the versions of matched works in a filtered
language, collapse translations, and make the page of hits into results (``results``:
snippets, translation links, facet listings).

``SearchIndex`` opens an index once and keeps it: one Whoosh searcher per thread (its
postings readers are not thread-safe), refreshed when a crawl commits a new version.
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

import numpy as np
from whoosh import index
from whoosh.qparser import AndGroup, MultifieldParser
from whoosh.query import Every, NullQuery
from whoosh.searching import Hit, Results

from indexer.codec.format import check_index
from indexer.errors import IndexMissing, QueryTooBroad, SearchError
from indexer.schema import FACET_FIELDS, text_fields
from indexer.search import arguments, corrections, results, snippets, sorting, translations
from indexer.search.cache import VersionedCache, bounds, configured_size
from indexer.search.matchsets import MatchSets, exact_top, set_cost
from indexer.search.opening import Versions, opening, reads
from indexer.search.query import QUERY_STOPWORDS, Plan, QueryBuilder, has_syntax, is_question, quoted_phrase, tidy_query
from indexer.search.querylimits import bound_query
from indexer.search.scores import ArrayScores
from indexer.search.topk import ScoredMatches, count_matches, score_plan
from indexer.search.versions import VersionData
from indexer.search.weighting import Ranking
from indexer.settings import MAX_PER_PAGE, MAX_QUERY_CHARS, META_FILE, SORTS
from indexer.text import taxonomy
from indexer.text.analyzers import normalize
from indexer.text.chains import compile_chain


class SearchIndex:
    """A read-only handle on one index folder, shared by the threads of a process."""

    def __init__(self, index_dir: str | os.PathLike, ranking: Ranking | None = None,
                 cache_size: int | None = None):
        """:param ranking: the ranking's weights (``weighting.Ranking``; the measured defaults).
        :param cache_size: answers kept for repeated searches (default ``$M4D_CACHE_SIZE`` or
            1024; 0 turns every cache off); every other cache's bound follows from it
            (``cache.bounds``). Caches empty themselves when the index changes."""
        self.path = Path(index_dir)
        if not opening(self.path, lambda: index.exists_in(self.path)):
            raise IndexMissing(f"no index in {self.path}; run `m4d-search crawl SOURCE` first")
        # IndexDamaged: files that cannot be read (``opening``); IndexFormatError: written in
        # another format (``codec.format``).
        self._ix = opening(self.path, lambda: index.open_dir(self.path, readonly=True))
        opening(self.path, lambda: check_index(self._ix, self.path))
        self._schema = opening(self.path, lambda: self._ix.schema)  # Index.schema re-reads the TOC on every access
        self._local = threading.local()
        self._ranking = ranking or Ranking()
        self._versions = Versions(self._ix, self.path, self._ranking.weighting)
        self._fields = text_fields()
        self._parser = MultifieldParser(self._fields, self._schema, group=AndGroup)
        limits = self.cache_bounds = bounds(configured_size(cache_size))
        # Analyzer chains compiled once (``text.chains``), memoized: for parsing, snippets, warm-up.
        self._chains = {f: compile_chain(self._schema[f].analyzer, memo_size=limits["tokens"])
                        for f in self._fields if f in self._schema}
        self._builder = QueryBuilder(self._schema, self._ranking, self._chains, stem_memo=limits["stems"])
        self._highlighter = snippets.highlighter()
        self.versions = VersionData()  # facet sets, translation groups, vocabulary per index version
        # Bounded caches keyed by the index generation (``cache``): they start over when a
        # crawl commits a new version. Every entry counts, a word the index lacks included.
        self.answers = VersionedCache(limits["answers"])  # search() bodies by their arguments
        self._plans = VersionedCache(limits["plans"])  # parsed queries (they read the vocabulary: per version)
        self._sets = MatchSets(VersionedCache(limits["sets"], weigh=set_cost))  # docnums per query leaf
        self._scores = ArrayScores(limits["postings"])  # postings (docnums, scores, positions), up to this many

    # Searchers and per-version caches

    def searcher(self):
        """Return this thread's searcher, refreshed if the index changed on disk. A new
        version that cannot be read leaves it on the version it had, and a new one opens the
        newest version that can (``opening.Versions``); IndexFormatError if a crawl wrote
        the latest in another format (its segments say so: no file read)."""
        s = getattr(self._local, "searcher", None)
        if s is None:
            s = self._versions.open_good()
        else:
            now = time.monotonic()
            if now - getattr(self._local, "checked", 0) > 0.5:
                self._local.checked = now
                # A fresh searcher, not Searcher.refresh(): refresh reuses segment readers
                # whose deletion lists are stale, and shows deleted documents.
                s = self._versions.refresh(s)
        self._local.searcher = s
        return s

    @reads
    def warm(self) -> None:
        """Load what the first searches would: facet value sets, translation groups (and open
        their links column), the vocabulary (spelling correction, accents) and per-segment
        length normalizations."""
        searcher = self.searcher()
        for field in FACET_FIELDS.values():
            self.versions.facet_column(searcher, field)
        self.versions.group_column(searcher)
        self.versions.links(searcher)
        self.versions.lexicon(searcher)
        if "date" in searcher.schema:
            self.versions.dates(searcher)
        if searcher.doc_count_all():  # an empty index has no segment to normalize lengths of
            self._scores.warm(searcher, self._chains)

    def last_search_cached(self) -> bool:
        """Tell whether this thread's last search was answered from the cache."""
        return getattr(self._local, "cached", False)

    def cache_stats(self) -> dict:
        """Return the answer cache's hits, misses, entries and hit rate (this process)."""
        return self.answers.stats()

    def cache_usage(self) -> dict[str, tuple[int, int]]:
        """Return each cache's (held, bound): answers and plans in entries, match sets in
        ``set_cost`` units, postings in postings (``ENTRY_POSTINGS`` an entry at least),
        stems in entries, tokens in entries of the fullest chain memo."""
        memos = [len(m) for c in self._chains.values() if c is not None for m in (c.terms, c.texts)]
        limits = self.cache_bounds
        return {"answers": (len(self.answers), limits["answers"]), "plans": (len(self._plans), limits["plans"]),
                "sets": (self._sets.cache.held, limits["sets"]),
                "postings": (self._scores.stats()["held"], limits["postings"]),
                "stems": (self._builder.stem_memo(), limits["stems"]),
                "tokens": (max(memos, default=0), limits["tokens"])}

    def close(self) -> None:
        s = getattr(self._local, "searcher", None)
        if s is not None:
            s.close()
            self._local.searcher = None

    def parse(self, q: str, searcher=None, exact: bool = False, ui: str | None = None) -> Plan | None:
        """Parse a user query: Whoosh's syntax when it uses some (AND), else plain words
        (``query.py``); broken syntax falls back to its plain words.

        :param exact: correct no typo (offer the correction only).
        :param ui: the interface's language: corrections in it come next after the query's own."""
        text = tidy_query(q)
        if not text:
            return None
        question = is_question(q)
        if has_syntax(text, self._schema.names()) and not question:
            query = quoted_phrase(text, self._schema, self._fields, self._chains)
            if query is None:
                try:
                    query = self._parser.parse(text)
                except Exception:
                    query = NullQuery
            if query is not NullQuery:
                # Wildcards, ranges and fuzzy terms expand within bounds (querylimits).
                return Plan(bound_query(query, (searcher or self.searcher()).reader()))
        lexicon = self.versions.lexicon(searcher or self.searcher())
        return self._builder.plan(text, lexicon, question, exact=exact, prefer=(ui,) if ui else ())

    @reads
    def search(self, q: str = "", filters: dict[str, list[str]] | None = None, page: int = 1,
               per_page: int = 10, collapse: bool = False, ui: str = "en", exact: bool = False,
               sort: str = "relevance") -> dict:
        """Run a search and return the ``/api/search`` body (DESIGN.md).

        :param exact: search the words as typed: a typo is not corrected, only offered
            (``suggestion``); by default it is corrected and ``corrected`` says so.
        :param sort: "relevance", or "date": newest first, the undated after (the total
            and the facets do not change).
        :raises SearchError: a bad parameter, a query refused, or a page past the last.
        """
        started = time.perf_counter()
        q = normalize(q or "").strip()
        if len(q) > MAX_QUERY_CHARS:
            raise SearchError(f"query is longer than {MAX_QUERY_CHARS} characters")
        page, per_page = arguments.positive(page, "page"), arguments.positive(per_page, "per_page")
        if per_page > MAX_PER_PAGE:
            raise SearchError(f"per_page must be at most {MAX_PER_PAGE}")
        filters = arguments.checked_filters(filters or {}, self._is_theme)
        if sort not in SORTS:
            raise SearchError(f"sort must be {' or '.join(repr(s) for s in SORTS)}")
        searcher = self.searcher()
        if not searcher.doc_count_all():  # an empty index: no segment, so no generation to cache by
            if page > 1:
                raise SearchError(f"page {page} is past the last page of this search (1)")
            return results.empty_body(q, filters, page, per_page, ui, started)
        generation = searcher.reader().generation()
        key = (q, tuple(sorted((f, tuple(sorted(v))) for f, v in filters.items() if v)), page, per_page,
               collapse, ui, exact, sort)
        cached = self.answers.get(generation, key)
        self._local.cached = cached is not None
        if cached is not None:
            body = results.copy_body(cached)
            body["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
            return body
        plan_key = (q, exact, ui)
        plan = self._plans.get(generation, plan_key)
        if plan is None:
            try:
                plan = self.parse(q, searcher, exact=exact, ui=ui)
            except QueryTooBroad as exc:
                raise SearchError(str(exc)) from None
            if plan is not None:
                self._plans.put(generation, plan_key, plan)
        query = plan.query if plan else None
        size = searcher.doc_count_all()
        # Every match and its score as arrays (``scores``) when the query is made of parts
        # scored there; the plan's clauses then read their matches from the same arrays (a
        # clause matches where it scores). Else the matches come from cached per-leaf document
        # sets (``matchsets``) and Whoosh scores the page.
        memo: dict = {}
        ranked = None
        if plan is None:
            matched_ids = _array(self._sets.docs(searcher, generation, Every()))
        else:
            if plan.clauses:
                found = score_plan(self._scores, searcher, generation, plan, memo)
                if found is not None:
                    ranked, clause_ids = found
                    matched_ids = count_matches(clause_ids, plan.required, plan.relax, size)
            else:
                scored = self._scores.scores(searcher, generation, query, memo)
                if scored is not None:
                    ranked, matched_ids = ScoredMatches(scored), scored.ids
            if ranked is None:
                matched_ids = _array(plan.matches(searcher, lambda sub: self._sets.docs(searcher, generation, sub)))
        columns = {f: self.versions.facet_column(searcher, FACET_FIELDS[f]) for f in FACET_FIELDS}
        if ranked is not None and plan.labels:  # the documents labelled as the query says, first
            tier = np.zeros(size, dtype=np.int64)
            for named in plan.labels:
                tier += columns[named.facet].mask([named.value])
            ranked = ranked.lifted(tier)
            matched_ids = np.union1d(matched_ids, np.flatnonzero(tier))
        matched = np.zeros(size, dtype=bool)
        matched[matched_ids] = True

        allowed = {f: columns[f].mask(vals) for f, vals in filters.items() if vals}
        # Translation groups: the lang facet counts, and a lang filter keeps, the direct
        # matches plus the other versions of the works they belong to.
        reach = matched
        if plan is not None:
            reach = self.versions.group_column(searcher).with_versions(matched)
        final = reach if "lang" in allowed else matched
        for docs in allowed.values():
            final = final & docs

        groups = self.versions.group_column(searcher)
        if collapse:
            total = groups.distinct(final)
        else:
            total = int(np.count_nonzero(final))
        pages = max(1, -(-total // per_page))
        if page > pages:
            raise SearchError(f"page {page} is past the last page of this search ({pages})")
        hits = []
        if total and (page - 1) * per_page < total:
            pool = None
            if (final & ~matched).any():  # versions brought by a match in another language
                pool = matched
                for other, docs in allowed.items():
                    if other != "lang":
                        pool = pool & docs
            hits = self._page(searcher, query, final, page, per_page, collapse, pool, ranked, sort)
        facets = {}
        for f in FACET_FIELDS:
            base = reach if "lang" in allowed or f == "lang" else matched
            for other, docs in allowed.items():
                if other != f:
                    base = base & docs
            # Counted as the results are: in works when one result per work is shown.
            count = (lambda mask, f=f: columns[f].work_counts(mask, groups)) if collapse else columns[f].counts
            # Listed in the order of the search without filters: values keep their places.
            order = count(reach if f == "lang" else matched) if allowed else None
            facets[f] = results.facet_listing(f, count(base), filters.get(f, []), ui, order)
        corrected = plan.corrected if plan else None
        body = {
            "query": q, "total": total, "page": page, "per_page": per_page, "pages": pages,
            "took_ms": 0.0,
            "results": results.page(searcher, self.versions, self._highlighter, self._schema, self._chains,
                                    query, hits, typed=plan.typed if plan else None,
                                    labels=plan.labels if plan else (), ui=ui),
            "facets": facets,
            "corrected": {"from": q, "to": corrected} if corrected else None,
            "suggestion": plan.suggestion if plan else None,
            "nearby": corrections.nearby(q, self.versions.lexicon(searcher), QUERY_STOPWORDS)
            if not total and q and not has_syntax(q, self._schema.names()) else [],
        }
        if self.answers.size:
            self.answers.put(generation, key, results.copy_body(body))
        body["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return body

    def _is_theme(self, value: str) -> bool:
        return value in taxonomy.theme_ids() or value in self.versions.facet_sets(self.searcher(), "theme")

    def _page(self, searcher, query, final: np.ndarray, page: int, per_page: int, collapse: bool,
              pool: np.ndarray | None = None, ranked: ScoredMatches | None = None, sort: str = "relevance"):
        """Return the page's hits; final: the documents shown (a mask); pool: direct matches
        whose versions are in final; ranked: the matches' scores, when known (else Whoosh
        scores); sort: "relevance", or "date" (newest first, ``sorting``)."""
        q = query if query is not None else Every()
        start, stop = (page - 1) * per_page, page * per_page
        if sort == "date":
            if not collapse and pool is None and (ranked is not None or query is None):
                best = sorting.page_by_date(self.versions, searcher, final, ranked, start, stop)
                found = Results(searcher, q, best)
                return [Hit(found, d, n, s) for n, (s, d) in enumerate(best)]
            # every shown result in relevance order (one per work when collapsed), then by date
            everything = self._page(searcher, query, final, 1, int(np.count_nonzero(final)), collapse, pool, ranked)
            return sorting.page_by_date(self.versions, searcher, final, everything, start, stop)
        if not collapse and pool is None:
            if ranked is not None:
                best = ranked.top(final, stop)
                found = Results(searcher, q, best)
                return [Hit(found, d, n, s) for n, (s, d) in enumerate(best)][start:stop]
            return exact_top(searcher, q, set(np.flatnonzero(final).tolist()), stop)[start:stop]
        allow = final | pool if pool is not None else final
        if ranked is not None:
            found = Results(searcher, q, [])
            hits = (Hit(found, d, n, s) for n, (s, d) in enumerate(ranked.stream(allow)))
        else:
            hits = searcher.search(q, filter=set(np.flatnonzero(allow).tolist()), limit=None)
        return translations.arrange(hits, final, self.versions.group_column(searcher), stop, collapse=collapse,
                                   translations=pool is not None)[start:]

    # Suggestions and statistics

    @reads
    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Return words of the index that complete the last word of prefix."""
        prefix = normalize(prefix or "")
        if len(prefix) > MAX_QUERY_CHARS:
            raise SearchError(f"query is longer than {MAX_QUERY_CHARS} characters")
        words = re.findall(r"\w+", prefix)
        if not words or prefix[-1:].isspace():
            return []
        head = prefix[:len(prefix) - len(words[-1])]
        stem = taxonomy.fold(words[-1])
        searcher = self.searcher()
        reader = searcher.reader()
        found = []
        for term in reader.expand_prefix("content_any", stem):
            term = term.decode("utf-8") if isinstance(term, bytes) else term
            found.append((-reader.doc_frequency("content_any", term), term))
            if len(found) >= 500:
                break
        found.sort()
        return [head + t for _, t in found[:limit]]

    @reads
    def stats(self) -> dict:
        """Return ``stats --json``: documents by facet, index size, last crawl."""
        searcher = self.searcher()
        by = {}
        for name, field in FACET_FIELDS.items():
            sets = self.versions.facet_sets(searcher, field)
            by[name] = {v: len(d) for v, d in sorted(sets.items(), key=lambda kv: (-len(kv[1]), kv[0])) if d}
        meta = {}
        try:
            meta = json.loads((self.path / META_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            pass
        size = sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())
        return {"documents": searcher.doc_count(), "by": by, "index_bytes": size,
                "last_crawl": meta.get("last_crawl")}

    @reads
    def doc_count(self) -> int:
        return self.searcher().doc_count()


def _array(docs) -> np.ndarray:
    """Return a set of docnums as a sorted array."""
    return np.array(sorted(docs), dtype=np.int64)
