"""Search: the read side. Parse a query across every language field (``query.py``), rank it
(``rank.py``), filter and count facets, bring the versions of matched works in a filtered
language, highlight the page of hits, collapse translations.

``SearchIndex`` opens an index once and keeps it: one Whoosh searcher per thread (its
postings readers are not thread-safe), refreshed when a crawl commits a new version.
"""
from __future__ import annotations

import html
import json
import os
import re
import threading
import time
import weakref
from pathlib import Path

from whoosh import highlight, index
from whoosh.qparser import AndGroup, MultifieldParser
from whoosh.query import Every, NullQuery, Term
from whoosh.searching import Hit, Results

from . import groups, snippets, vocab
from .analyze import normalize
from .cache import VersionedCache, configured_size
from .matchsets import LeafScores, MatchSets, exact_top, top_scored
from .query import Plan, QueryBuilder, Vocabulary, has_syntax, is_question
from .querylimits import QueryTooBroad, bound_query
from .rank import Ranking
from .schema import FACET_FIELDS, text_fields
from .termcache import compile_chain

MAX_QUERY_CHARS = 500
MAX_PER_PAGE = 100
META_FILE = "m4d-meta.json"


class SearchError(ValueError):
    """Bad search input (unknown filter value, bad page, overlong query): a 400, exit 2."""


class IndexMissing(Exception):
    """No index at the given folder."""


def default_index_dir() -> str:
    """Return ``$M4D_INDEX`` or ``var/index``."""
    return os.environ.get("M4D_INDEX") or "var/index"


class _MarkFormatter(highlight.Formatter):
    """Escape the text and wrap matches in a bare ``<mark>``."""

    between = " … "

    def _text(self, text):
        return html.escape(text, quote=False)

    def format_token(self, text, token, replace=False):
        return "<mark>" + html.escape(highlight.get_text(text, token, replace), quote=False) + "</mark>"


class SearchIndex:
    """A read-only handle on one index folder, shared by the threads of a process."""

    def __init__(self, index_dir: str | os.PathLike, ranking: Ranking | None = None,
                 cache_size: int | None = None):
        """:param ranking: the ranking's weights (``rank.Ranking``; the measured defaults).
        :param cache_size: answers kept for repeated searches (default ``$M4D_CACHE_SIZE`` or
            1024; 0 turns every cache off). Caches empty themselves when the index changes."""
        self.path = Path(index_dir)
        if not index.exists_in(self.path):
            raise IndexMissing(f"no index in {self.path}; run `m4d-search crawl SOURCE` first")
        self._ix = index.open_dir(self.path, readonly=True)
        self._schema = self._ix.schema  # Index.schema re-reads the TOC on every access
        self._local = threading.local()
        self._parser = MultifieldParser(text_fields(), self._schema, group=AndGroup)
        self._ranking = ranking or Ranking()
        self._builder = QueryBuilder(self._schema, self._ranking)
        self._highlighter = highlight.Highlighter(
            fragmenter=highlight.ContextFragmenter(maxchars=300, surround=80),
            formatter=_MarkFormatter())
        self._cache_lock = threading.Lock()
        # Per reader (so per index version): a reader's id() may be reused by a later
        # version's reader once it is freed, so the cache holds readers weakly, not ids.
        self._cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        # Per segment and its deletions (see _per_segment): facet values, vocabularies.
        self._segment_cache: dict = {}
        # Bounded caches keyed by the index generation (``cache``): they start over when a
        # crawl commits a new version.
        size = configured_size(cache_size)
        self.answers = VersionedCache(size)  # search() bodies by their arguments
        self._sets = MatchSets(VersionedCache(size * 4))  # docnums per query leaf
        self._scores = LeafScores(size * 1000)  # BM25F per term and document, up to this many postings
        self._translation_cache = VersionedCache(size * 4)  # versions per translation group
        self._chains = {f: compile_chain(self._schema[f].analyzer) for f in text_fields() if f in self._schema}

    # Searchers and per-version caches

    def searcher(self):
        """Return this thread's searcher, refreshed if the index changed on disk."""
        s = getattr(self._local, "searcher", None)
        if s is None:
            s = self._ix.searcher(weighting=self._ranking.weighting())
        else:
            now = time.monotonic()
            if now - getattr(self._local, "checked", 0) > 0.5:
                self._local.checked = now
                if not s.up_to_date():
                    # A fresh searcher, not Searcher.refresh(): refresh reuses segment
                    # readers whose deletion lists are stale, and shows deleted documents.
                    s.close()
                    s = self._ix.searcher(weighting=self._ranking.weighting())
        self._local.searcher = s
        return s

    def warm(self) -> None:
        """Load what the first searches would: facet value sets, translation groups, the
        vocabulary (spelling correction, accents) and per-segment field lengths."""
        searcher = self.searcher()
        for field in FACET_FIELDS.values():
            self._facet_sets(searcher, field)
        self._group_of(searcher)
        self.vocabulary(searcher)
        generation = searcher.reader().generation()
        for sub, _ in searcher.leaf_searchers():
            for field in self._chains:
                self._scores._lengths(sub.reader(), field, generation)

    def last_search_cached(self) -> bool:
        """Tell whether this thread's last search was answered from the cache."""
        return getattr(self._local, "cached", False)

    def cache_stats(self) -> dict:
        """Return the answer cache's hits, misses, entries and hit rate (this process)."""
        return self.answers.stats()

    def close(self) -> None:
        s = getattr(self._local, "searcher", None)
        if s is not None:
            s.close()
            self._local.searcher = None

    def _facet_sets(self, searcher, field: str) -> dict[str, frozenset]:
        """Return value → set of live docnums for one facet field (cached per index version)."""
        reader = searcher.reader()
        with self._cache_lock:
            cached = self._cache.get(reader, {}).get(field)
        if cached is not None:
            return cached
        # Each segment's postings read directly (a query object and matcher per value cost
        # seconds on a field with a value per document, such as the translation group), and
        # kept per segment: a new index version reads only its new segments.
        self._forget_segments(searcher)
        found: dict[str, list[int]] = {}
        for sub, offset in searcher.leaf_searchers():
            local = self._per_segment(sub.reader(), ("facet", field), lambda seg: _segment_values(seg, field))
            for value, ids in local.items():
                found.setdefault(value, []).extend([d + offset for d in ids] if offset else ids)
        sets = {v: frozenset(ids) for v, ids in found.items() if ids}
        with self._cache_lock:
            self._cache.setdefault(reader, {})[field] = sets
        return sets

    # Queries

    def vocabulary(self, searcher) -> Vocabulary:
        """Return the index's words (cached per index version, shared by the threads)."""
        reader = searcher.reader()
        with self._cache_lock:
            cached = self._cache.get(reader, {}).get("vocabulary")
        if cached is None:
            parts = [self._per_segment(sub.reader(), "vocabulary", Vocabulary)
                     for sub, _ in searcher.leaf_searchers()]
            cached = Vocabulary.merged(parts)
            with self._cache_lock:
                self._cache.setdefault(reader, {})["vocabulary"] = cached
        return cached

    def _per_segment(self, segment, name: str, build):
        """Return build(segment) cached for this segment and its deletions: a new index
        version mostly keeps its segments, so only what a crawl wrote is read again."""
        try:
            key = (segment.segment().segment_id(), segment.segment().deleted_count(), name)
        except AttributeError:  # not a segment reader
            return build(segment)
        with self._cache_lock:
            found = self._segment_cache.get(key)
        if found is None:
            found = build(segment)
            with self._cache_lock:
                self._segment_cache[key] = found
        return found

    def _forget_segments(self, searcher) -> None:
        """Drop what is cached for segments the searcher's index version no longer has."""
        live = set()
        for sub, _ in searcher.leaf_searchers():
            seg = getattr(sub.reader(), "segment", None)
            if seg is not None:
                live.add((seg().segment_id(), seg().deleted_count()))
        with self._cache_lock:
            for key in [k for k in self._segment_cache if k[:2] not in live]:
                del self._segment_cache[key]

    def parse(self, q: str, searcher=None) -> Plan | None:
        """Parse a user query: Whoosh's syntax when it uses some (AND), else plain words
        (``query.py``); broken syntax falls back to its plain words."""
        text = _tidy_query(q)
        if not text:
            return None
        question = is_question(q)
        if has_syntax(text, self._schema.names()) and not question:
            try:
                query = self._parser.parse(text)
            except Exception:
                query = NullQuery
            if query is not NullQuery:
                # Wildcards, ranges and fuzzy terms expand within bounds (querylimits).
                return Plan(bound_query(query, (searcher or self.searcher()).reader()))
        vocabulary = self.vocabulary(searcher or self.searcher())
        return self._builder.plan(text, vocabulary, question)

    def search(self, q: str = "", filters: dict[str, list[str]] | None = None, page: int = 1,
               per_page: int = 10, collapse: bool = False, ui: str = "en") -> dict:
        """Run a search and return the ``/api/search`` body (DESIGN.md)."""
        started = time.perf_counter()
        q = normalize(q or "").strip()
        if len(q) > MAX_QUERY_CHARS:
            raise SearchError(f"query is longer than {MAX_QUERY_CHARS} characters")
        page, per_page = _positive(page, "page"), _positive(per_page, "per_page")
        if per_page > MAX_PER_PAGE:
            raise SearchError(f"per_page must be at most {MAX_PER_PAGE}")
        filters = self._check_filters(filters or {})
        searcher = self.searcher()
        generation = searcher.reader().generation()
        key = (q, tuple(sorted((f, tuple(sorted(v))) for f, v in filters.items() if v)), page, per_page,
               collapse, ui)
        cached = self.answers.get(generation, key)
        self._local.cached = cached is not None
        if cached is not None:
            body = _copy_body(cached)
            body["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
            return body
        try:
            plan = self.parse(q, searcher)
        except QueryTooBroad as exc:
            raise SearchError(str(exc)) from None
        query = plan.query if plan else None
        # The score of every document the ranked query reaches, from cached per-term scores,
        # when it is made of parts LeafScores knows (matchsets); then the matches are read from
        # the same score tables (a clause matches where it scores), else from cached
        # per-leaf document sets, and Whoosh scores the page.
        memo: dict = {}
        scored = self._scores.scores(searcher, generation, query, memo) if query is not None else None
        if plan is None:
            matched = self._sets.docs(searcher, generation, Every())
        elif scored is not None:
            def clause_docs(sub):
                found = self._scores.scores(searcher, generation, sub, memo)  # computed already: memo
                return found.keys() if found is not None else self._sets.docs(searcher, generation, sub)
            matched = plan.matches(searcher, clause_docs)
        else:
            matched = plan.matches(searcher, lambda sub: self._sets.docs(searcher, generation, sub))

        value_sets = {f: self._facet_sets(searcher, FACET_FIELDS[f]) for f in FACET_FIELDS}
        allowed = {f: _union(value_sets[f], vals) for f, vals in filters.items() if vals}
        # Translation groups: the lang facet counts, and a lang filter keeps, the direct
        # matches plus the other versions of the works they belong to.
        reach = matched
        if plan is not None:
            reach = groups.with_versions(matched, self._group_of(searcher), self._facet_sets(searcher, "group"))
        final = reach if "lang" in allowed else matched
        for docs in allowed.values():
            final = final & docs

        if collapse:
            group_of = self._group_of(searcher)
            total = len({group_of.get(d, d) for d in final})
        else:
            total = len(final)
        hits = []
        if final and (page - 1) * per_page < total:
            pool = None
            if not final <= matched:  # versions brought by a match in another language
                pool = set(matched)
                for other, docs in allowed.items():
                    if other != "lang":
                        pool &= docs
            hits = self._page(searcher, query, final, page, per_page, collapse, pool, scored)
        facets = {}
        for f in FACET_FIELDS:
            base = reach if "lang" in allowed or f == "lang" else matched
            for other, docs in allowed.items():
                if other != f:
                    base = base & docs
            facets[f] = self._facet(f, value_sets[f], base, filters.get(f, []), ui)
        body = {
            "query": q, "total": total, "page": page, "per_page": per_page,
            "pages": max(1, -(-total // per_page)),
            "took_ms": 0.0,
            "results": [self._result(searcher, query, hit) for hit in hits],
            "facets": facets, "suggestion": plan.suggestion if plan else None,
        }
        self.answers.put(generation, key, _copy_body(body))
        body["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return body

    def _check_filters(self, filters: dict[str, list[str]]) -> dict[str, list[str]]:
        checks = {"lang": vocab.is_language, "country": vocab.is_country, "type": vocab.is_type,
                  "theme": self._is_theme}
        clean = {}
        for name, values in filters.items():
            if name not in FACET_FIELDS:
                raise SearchError(f"unknown filter {name!r}; use one of {', '.join(FACET_FIELDS)}")
            values = [v.strip().lower() for v in values if v and v.strip()]
            for v in values:
                if not checks[name](v):
                    raise SearchError(f"unknown {name} value {v!r}")
            clean[name] = list(dict.fromkeys(values))
        return clean

    def _is_theme(self, value: str) -> bool:
        return value in vocab.taxonomy()["themes"] or value in self._facet_sets(self.searcher(), "theme")

    def _page(self, searcher, query, final: set, page: int, per_page: int, collapse: bool,
              pool: set | None = None, scored: dict | None = None):
        """Return the page's hits; pool: direct matches whose versions are in final;
        scored: docnum → score of every match, when known (else Whoosh scores)."""
        q = query if query is not None else Every()
        start, stop = (page - 1) * per_page, page * per_page
        if not collapse and pool is None:
            if scored is not None:
                return self._scored_hits(searcher, q, scored, final, stop)[start:stop]
            return exact_top(searcher, q, set(final), stop)[start:stop]  # Whoosh takes sets, not frozensets
        allow = set(final | pool if pool else final)
        if scored is not None:
            hits = self._scored_hits(searcher, q, scored, allow, None)
        else:
            hits = searcher.search(q, filter=allow, limit=None)
        return groups.rank(hits, final, self._group_of(searcher), self._facet_sets(searcher, "group"),
                           stop, collapse=collapse, versions=pool is not None)[start:]

    @staticmethod
    def _scored_hits(searcher, q, scored: dict, allow: set, limit: int | None) -> list:
        """Return Whoosh hits of the best ``limit`` (None: all) scored docnums in allow,
        best first, ties to the lower docnum (Whoosh's order)."""
        if limit is None:
            top = sorted(((s, d) for d, s in scored.items() if d in allow), key=lambda sd: (-sd[0], sd[1]))
        else:
            top = top_scored(scored, allow, limit)
        results = Results(searcher, q, top)
        return [Hit(results, d, n, s) for n, (s, d) in enumerate(top)]

    def _group_of(self, searcher) -> dict[int, str]:
        """Return docnum → translation group (cached per index version)."""
        reader = searcher.reader()
        with self._cache_lock:
            cached = self._cache.get(reader, {}).get("group_of")
        if cached is None:
            cached = {d: g for g, docs in self._facet_sets(searcher, "group").items() for d in docs}
            with self._cache_lock:
                self._cache.setdefault(reader, {})["group_of"] = cached
        return cached

    def _facet(self, name: str, sets: dict[str, frozenset], base: set, chosen: list[str], ui: str):
        counts = {v: len(docs & base) for v, docs in sets.items()}
        for v in chosen:
            counts.setdefault(v, 0)
        items = [{"value": v, "label": facet_label(name, v, ui), "count": c}
                 for v, c in counts.items() if c or v in chosen]
        items.sort(key=lambda it: (-it["count"], it["label"]))
        return items

    def _result(self, searcher, query, hit) -> dict:
        f = searcher.stored_fields(hit.docnum) if isinstance(hit, groups.Version) else hit.fields()
        return {
            "id": f["id"], "url": f["url"], "title": f["title"], "lang": f["lang"], "type": f["type"],
            "country": f.get("countries", []), "themes": f.get("themes", []),
            "keywords": f.get("keywords", []), "snippet": self._snippet(hit, f, query),
            "score": round(float(hit.score or 0.0), 4),
            "translations": self._translations(searcher, f),
        }

    def _snippet(self, hit, fields: dict, query) -> str:
        text = fields.get("text") or ""
        if query is not None and isinstance(hit, groups.Version):
            field = f"content_{fields['lang']}"
            if field in self._schema:
                words = {t.decode("utf-8") if isinstance(t, bytes) else t
                         for f, t in query.iter_all_terms() if f == field}
                snippet = highlight.highlight(text, words, self._schema[field].analyzer,
                                              self._highlighter.fragmenter, self._highlighter.formatter, top=2)
                if snippet:
                    return snippet
        elif query is not None:
            for field in (f"content_{fields['lang']}", "content_any"):
                if field in self._schema:
                    snippet = snippets.highlight(self._highlighter, hit, field, text, self._chains.get(field), top=2)
                    if snippet:
                        return snippet
        cut = text[:240]
        if len(text) > 240:
            cut = cut.rsplit(" ", 1)[0] + " …"
        return html.escape(cut, quote=False)

    def _translations(self, searcher, fields: dict) -> list[dict]:
        generation = searcher.reader().generation()
        versions = self._translation_cache.get(generation, fields["group"])
        if versions is None:
            versions = []
            for docnum in sorted(searcher.docs_for_query(Term("group", fields["group"]))):
                other = searcher.stored_fields(docnum)
                versions.append({"id": other["id"], "lang": other["lang"], "url": other["url"],
                                 "title": other["title"]})
            versions.sort(key=lambda t: t["lang"])
            self._translation_cache.put(generation, fields["group"], versions)
        return [dict(t) for t in versions if t["id"] != fields["id"]]

    # Suggestions and statistics

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Return words of the index that complete the last word of prefix."""
        prefix = normalize(prefix or "")
        if len(prefix) > MAX_QUERY_CHARS:
            raise SearchError(f"query is longer than {MAX_QUERY_CHARS} characters")
        words = re.findall(r"\w+", prefix)
        if not words or prefix[-1:].isspace():
            return []
        head = prefix[:len(prefix) - len(words[-1])]
        stem = vocab.fold(words[-1])
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

    def stats(self) -> dict:
        """Return ``stats --json``: documents by facet, index size, last crawl."""
        searcher = self.searcher()
        by = {}
        for name, field in FACET_FIELDS.items():
            sets = self._facet_sets(searcher, field)
            by[name] = {v: len(d) for v, d in sorted(sets.items(), key=lambda kv: (-len(kv[1]), kv[0])) if d}
        meta = {}
        try:
            meta = json.loads((self.path / META_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            pass
        size = sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())
        return {"documents": searcher.doc_count(), "by": by, "index_bytes": size,
                "last_crawl": meta.get("last_crawl")}

    def doc_count(self) -> int:
        return self.searcher().doc_count()


def facet_label(facet: str, value: str, ui: str = "en") -> str:
    """Return the display label of a facet value in the UI language."""
    if facet == "lang":
        return vocab.language_label(value, ui)
    if facet == "country":
        return vocab.country_label(value, ui)
    if facet == "theme":
        return vocab.theme_label(value, ui)
    return vocab.type_label(value, ui)


def _copy_body(body: dict) -> dict:
    """Copy a search body deeply enough that callers may change it without touching a cached one."""
    out = dict(body)
    out["results"] = [dict(r, country=list(r["country"]), themes=list(r["themes"]), keywords=list(r["keywords"]),
                           translations=[dict(t) for t in r["translations"]]) for r in body["results"]]
    out["facets"] = {f: [dict(item) for item in items] for f, items in body["facets"].items()}
    return out


def _segment_values(segment, field: str) -> dict[str, list[int]]:
    """Return value → the segment's live docnums holding it, for one indexed field."""
    out = {}
    if field in segment.schema:
        for btext in segment.lexicon(field):
            ids = list(segment.postings(field, btext).all_ids())  # without deleted documents
            if ids:
                out[btext.decode("utf-8") if isinstance(btext, bytes) else btext] = ids
    return out


def _union(sets: dict[str, frozenset], values: list[str]) -> set:
    out: set = set()
    for v in values:
        out |= sets.get(v, frozenset())
    return out


def _positive(value, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SearchError(f"{name} must be a positive whole number") from None
    if number < 1 or number > 100000:
        raise SearchError(f"{name} must be a positive whole number up to 100000")
    return number


_TRAILING_QMARK = re.compile(r"(?<=\w)[?¿!¡.,;:]+(?=\s|$)")
#: Question marks standing alone ("why ?", "?"): punctuation, not a one-character wildcard.
_LONE_QMARK = re.compile(r"(?<!\S)\?+(?!\S)")


_DANGLING = re.compile(r"^(?:\s*\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b)+|(?:\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b\s*)+$")


def _tidy_query(q: str) -> str:
    """Drop what Whoosh would misread: sentence punctuation (a final ``?`` is a wildcard)
    and operators with nothing on one side."""
    q = _LONE_QMARK.sub(" ", _TRAILING_QMARK.sub("", q)).replace("¿", " ").replace("¡", " ").strip()
    return _DANGLING.sub("", q).strip()
