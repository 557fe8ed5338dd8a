"""Search a PostgreSQL store: the ``/api/search`` body of ``indexer.search.engine.SearchIndex``,
from SQL.

The query is understood by the same code as the Whoosh store's (``search.query``: words,
questions, accents, typos, glossary translations, labels), with the vocabulary read from
the store's tables (``lexicon.Lexicon.from_words``); matching and BM25 run in SQL over the
postings (``ranking``); facets are counted in SQL; snippets and marks are the project's own
(``search.snippets``, ``search.marks``). Every search reads one snapshot (a read-only
REPEATABLE READ transaction): a crawl committing meanwhile is seen whole or not at all.
Differences from the Whoosh store: query syntax goes to PostgreSQL's web-search parser
(quotes, OR, -word; no field:value, wildcards).
"""
from __future__ import annotations

import heapq
import re
import threading
import time

from whoosh.qparser import AndGroup, MultifieldParser

from indexer.errors import QueryTooBroad, SearchError, StoreUnavailable
from indexer.pgstore import matching, phrases
from indexer.pgstore import ranking as sql
from indexer.pgstore.connect import connect, driver, redacted
from indexer.pgstore.migrations import check
from indexer.schema import FACET_FIELDS, build_schema, text_fields
from indexer.search import arguments, corrections, results, snippets
from indexer.search.cache import VersionedCache, bounds, configured_size
from indexer.search.lexicon import Lexicon
from indexer.search.query import QUERY_STOPWORDS, QueryBuilder, has_syntax, is_question, quoted_phrase, tidy_query
from indexer.search.weighting import Ranking
from indexer.settings import FACETS, MAX_PER_PAGE, MAX_QUERY_CHARS, SORTS
from indexer.text import taxonomy
from indexer.text.analyzers import normalize
from indexer.text.chains import compile_chain

#: Seconds between two looks at the store's generation (a crawl's commit) per thread.
REFRESH_SECONDS = 0.5


class PgSearch:
    """A read-only handle on a PostgreSQL store, shared by the threads of a process: what
    ``SearchIndex`` offers (search, suggest, stats, doc_count, warm, caches)."""

    def __init__(self, url: str, ranking: Ranking | None = None, cache_size: int | None = None):
        self.url = url
        self.path = redacted(url)
        self._local = threading.local()
        with connect(url) as conn:  # StoreUnavailable, IndexMissing, IndexFormatError: now, in one line
            check(conn, url)
            # postings partitioned (over shards: benchmarks/shard_bench.py) or a plain table
            self._sharded = conn.execute("SELECT relkind = 'p' FROM pg_class "
                                         "WHERE oid = 'postings'::regclass").fetchone()[0]
        self._ranking = ranking or Ranking()
        self._schema = build_schema()
        self._fields = text_fields()
        limits = self.cache_bounds = bounds(configured_size(cache_size))
        self._chains = {f: compile_chain(self._schema[f].analyzer, memo_size=limits["tokens"]) for f in self._fields}
        self._builder = QueryBuilder(self._schema, self._ranking, self._chains, stem_memo=limits["stems"])
        self._highlighter = snippets.highlighter()
        self._parser = MultifieldParser(self._fields, self._schema, group=AndGroup)  # marks of query syntax
        self.answers = VersionedCache(limits["answers"])
        self._versions: dict = {}  # generation → (Stats, Lexicon or None), the latest only
        self._versions_lock = threading.Lock()
        self._connections: list = []  # every thread's, closed by close()

    # Connections and versions

    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._local.conn = connect(self.url)
            with self._versions_lock:
                self._connections.append(conn)
            # A search runs the same few statements: prepared at their first use, the server
            # plans them once per connection (PgBouncer needs max_prepared_statements, 1.21+).
            # Their plans do not depend on the values (the query's rows and the matches come as
            # JSON and arrays, estimated alike): a generic plan saves planning each search
            # (scoring p50 1.7 -> 1.2 ms on the 10k corpus).
            conn.prepare_threshold = 0
            conn.execute("SET plan_cache_mode = force_generic_plan")
            conn.read_only = True
            conn.isolation_level = driver().IsolationLevel.REPEATABLE_READ
        return conn

    def _run(self, work):
        """Run work(conn) in one read-only snapshot; a connection lost is opened again once."""
        psycopg = driver()
        for attempt in (1, 2):
            conn = self._conn()
            try:
                with conn.transaction():
                    return work(conn)
            except psycopg.OperationalError as exc:
                self._local.conn = None
                if attempt == 2 or not conn.closed:
                    raise StoreUnavailable(f"the store {self.path} failed: {str(exc).strip() or exc}") from None
        raise AssertionError("unreachable")

    def _stats(self, conn) -> sql.Stats:
        now = time.monotonic()
        known = getattr(self._local, "stats", None)
        if known is not None and now - getattr(self._local, "checked", 0) < REFRESH_SECONDS:
            return known
        generation = conn.execute("SELECT value::bigint FROM m4d_meta WHERE key = 'generation'").fetchone()[0]
        if known is None or known.generation != generation:
            with self._versions_lock:
                found = self._versions.get(generation)
            if found is None:
                by_lang = dict(conn.execute("SELECT lang, count(*) FROM labels GROUP BY lang").fetchall())
                lengths = dict(conn.execute("SELECT field, total FROM field_stats").fetchall())
                found = (sql.Stats(generation, sum(by_lang.values()), by_lang, lengths), None)
                with self._versions_lock:
                    self._versions = {generation: found}
            known = found[0]
        self._local.stats, self._local.checked = known, now
        return known

    def _lexicon(self, conn, stats: sql.Stats) -> Lexicon:
        with self._versions_lock:
            found = self._versions.get(stats.generation)
        if found is not None and found[1] is not None:
            return found[1]
        counts: dict[str, int] = {}
        for term, df in conn.execute("SELECT term, df FROM terms WHERE field IN ('content_any', 'title_any')"):
            counts[term] = counts.get(term, 0) + df
        spelled: dict[str, list[str]] = {}
        for field, term in conn.execute("SELECT field, term FROM terms WHERE field LIKE 'spell\\_%%'"):
            spelled.setdefault(field[6:], []).append(term)
        lexicon = Lexicon.from_words(counts, spelled)
        with self._versions_lock:
            self._versions = {stats.generation: (stats, lexicon)}
        return lexicon

    def warm(self) -> None:
        """Read the vocabulary now rather than at the first search."""
        self._run(lambda conn: self._lexicon(conn, self._stats(conn)))

    def close(self) -> None:
        """Close every thread's connection (a thread's next search opens a new one)."""
        with self._versions_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local.conn = None

    def __enter__(self) -> PgSearch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def last_search_cached(self) -> bool:
        return getattr(self._local, "cached", False)

    def cache_stats(self) -> dict:
        return self.answers.stats()

    def cache_usage(self) -> dict[str, tuple[int, int]]:
        return {"answers": (len(self.answers), self.cache_bounds["answers"])}

    # Searching

    def search(self, q: str = "", filters: dict[str, list[str]] | None = None, page: int = 1,
               per_page: int = 10, collapse: bool = False, ui: str = "en", exact: bool = False,
               sort: str = "relevance") -> dict:
        """Run a search and return the ``/api/search`` body (as ``SearchIndex.search``)."""
        started = time.perf_counter()
        q = normalize(q or "").strip()
        if len(q) > MAX_QUERY_CHARS:
            raise SearchError(f"query is longer than {MAX_QUERY_CHARS} characters")
        page, per_page = arguments.positive(page, "page"), arguments.positive(per_page, "per_page")
        if per_page > MAX_PER_PAGE:
            raise SearchError(f"per_page must be at most {MAX_PER_PAGE}")
        if sort not in SORTS:
            raise SearchError(f"sort must be {' or '.join(repr(s) for s in SORTS)}")
        body = self._run(lambda conn: self._search(conn, q, filters or {}, page, per_page, collapse, ui, exact,
                                                    sort))
        body["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return body

    def _search(self, conn, q, filters, page, per_page, collapse, ui, exact, sort) -> dict:
        filters = arguments.checked_filters(filters, lambda v: v in taxonomy.theme_ids() or v in self._themes(conn))
        stats = self._stats(conn)
        key = (q, tuple(sorted((f, tuple(sorted(v))) for f, v in filters.items() if v)), page, per_page,
               collapse, ui, exact, sort)
        cached = self.answers.get(stats.generation, key)
        self._local.cached = cached is not None
        if cached is not None:
            return results.copy_body(cached)
        lexicon = self._lexicon(conn, stats)
        plan, scored, marked, bonuses = None, None, None, None
        text = tidy_query(q)
        if text and has_syntax(text, self._schema.names()) and not is_question(q):
            scored = conn.execute(sql.SYNTAX, {"q": text}).fetchall()
            marked = quoted_phrase(text, self._schema, self._fields, self._chains)
            if marked is None:
                try:
                    marked = self._parser.parse(text)
                except Exception:  # noqa: BLE001 - broken syntax: nothing to mark
                    marked = None
        elif text:
            try:
                plan = self._builder.plan(text, lexicon, exact=exact, prefer=(ui,) if ui else ())
            except QueryTooBroad as exc:
                raise SearchError(str(exc)) from None
            if plan is not None:
                rows, bonuses = self._score(conn, plan, stats)
                scored = [r for r in rows if r[2] >= plan.required]
                if not scored and plan.relax:
                    scored = [r for r in rows if r[2]]
                scored = self._lift(conn, plan, scored, bonuses)
        browse = scored is None
        ranks = {n: float(score) for n, score, _ in scored or ()}
        statement = sql.search_sql(browse, not browse, any(filters.values()), collapse, sort == "date")
        params = {**{f: (filters.get(f) or None) for f in FACETS}, "limit": per_page, "offset": (page - 1) * per_page}
        if bonuses:
            # The proximity bonuses that can reach the page's end among all matches (every one
            # for a date order, where a score only orders a day's documents); after the page is
            # found, those that can still reach its last score (filters made it lower), and the
            # page again if one earned something: at most two pages, most searches one.
            end = heapq.nlargest(page * per_page, ranks.values())
            floor = end[-1] if len(end) == page * per_page and sort != "date" else None
            self._earn(conn, bonuses, ranks, floor)
        total, counts, rows = self._page(conn, statement, params, ranks)
        if bonuses and rows and self._earn(conn, bonuses, ranks, min(r[1] for r in rows)):
            total, counts, rows = self._page(conn, statement, params, ranks)
        pages = max(1, -(-total // per_page))
        if page > pages:
            raise SearchError(f"page {page} is past the last page of this search ({pages})")
        ordered = any(filters.values())
        facets = {f: results.facet_listing(f, counts.get(f, {}), filters.get(f, []), ui,
                                           counts.get(f"order:{f}", {}) if ordered else None) for f in FACET_FIELDS}
        corrected = plan.corrected if plan else None
        body = {
            "query": q, "total": total, "page": page, "per_page": per_page, "pages": pages, "took_ms": 0.0,
            "results": self._results(conn, rows, plan, ui, marked),
            "facets": facets,
            "corrected": {"from": q, "to": corrected} if corrected else None,
            "suggestion": plan.suggestion if plan else None,
            "nearby": corrections.nearby(q, lexicon, QUERY_STOPWORDS)
            if not total and q and not has_syntax(q, self._schema.names()) else [],
        }
        if self.answers.size:
            self.answers.put(stats.generation, key, results.copy_body(body))
        return body

    @staticmethod
    def _earn(conn, bonuses: phrases.Bonuses, ranks: dict[int, float], floor: float | None) -> bool:
        """Check the bonuses that can lift a document to floor; tell whether any was earned."""
        earned = bonuses.settle(conn, bonuses.due(ranks, floor))
        for n, extra in earned.items():
            ranks[n] += extra
        return bool(earned)

    @staticmethod
    def _page(conn, statement: str, params: dict, ranks: dict[int, float]):
        """Return the total, the facet counts and the page's (document, score, direct) rows."""
        counts: dict[str, dict[str, int]] = {}
        total, rows = 0, []
        for kind, value, n, doc, score, direct in conn.execute(statement, {
                **params, "ns": sql.numbers(ranks), "ranks": sql.numbers(ranks.values())}):
            if kind == sql.PAGE:
                rows.append((int(value), doc, float(score), direct))
            elif kind == "":
                total = n
            else:
                counts.setdefault(kind, {})[value] = n
        return total, counts, [r[1:] for r in sorted(rows)]

    def _score(self, conn, plan, stats) -> tuple[list[tuple[int, float, int]], phrases.Bonuses]:
        """Return (document, score, clauses matched) of every document holding a clause's
        words (groups without positions scored in SQL, phrase clauses checked here from
        positions), and its proximity bonuses, which add to a document some clause matched,
        still to check (``phrases.Bonuses``)."""
        rows = matching.rows_of(plan.clauses, plan.proximity, stats)
        masked = len(plan.clauses) <= sql.MASK_CLAUSES  # clauses: a bit mask, else an array
        prefilter = masked and not any(g.phrase and g.clause != matching.BONUS for g in rows.groups)
        params = dict(sql.score_params(rows.cols, stats, self._ranking), required=plan.required, relax=plan.relax)
        found = conn.execute(sql.score_sql(len(plan.clauses), prefilter, self._sharded), params,
                             binary=True).fetchall()
        phrased, unchecked = [], {}
        for n, _, _, groups, scores in found:
            for g, score in zip(groups, scores, strict=True):
                if rows.groups[g].clause == matching.BONUS:
                    unchecked.setdefault(n, []).append((g, float(score)))
                else:
                    phrased.append((n, g, score))
        earned = phrases.check(conn, rows, phrased)
        out = []
        for n, base, clauses, _, _ in found:
            extra = earned.get(n)
            if extra is None:
                out.append((n, base, (clauses or 0).bit_count() if masked else len(clauses)))
                continue
            matched = clauses or 0 if masked else set(clauses)
            for clause, score in extra:
                if masked:
                    matched |= 1 << clause
                else:
                    matched.add(clause)
                base += score
            out.append((n, base, matched.bit_count() if masked else len(matched)))
        return out, phrases.Bonuses(rows, unchecked)

    def _lift(self, conn, plan, scored: list, bonuses: phrases.Bonuses) -> list:
        """Put the documents labelled with the thematic areas and countries the query names
        first (``labels``), those the words did not match included, as the Whoosh store does
        (each label lifts a document above every score it could reach, bonuses included)."""
        if not plan.labels:
            return scored
        named = {"theme": [n.value for n in plan.labels if n.facet == "theme"],
                 "country": [n.value for n in plan.labels if n.facet == "country"]}
        tiers = {}
        for n, themes, countries in conn.execute(sql.LABELLED, {"themes": named["theme"],
                                                                "countries": named["country"]}):
            tiers[n] = sum(v in themes for v in named["theme"]) + sum(v in countries for v in named["country"])
        if not tiers:
            return scored
        lift = max((float(r[1]) + bonuses.most(r[0]) for r in scored), default=0.0) + 1.0
        out = {r[0]: float(r[1]) for r in scored}
        for n, tier in tiers.items():
            out[n] = out.get(n, 0.0) + tier * lift
        return [(n, s, 0) for n, s in out.items()]

    def _results(self, conn, rows: list, plan, ui: str, marked=None) -> list[dict]:
        """Return the results of the page's (document, score, direct) rows, in their order."""
        if not rows:
            return []
        whole, groups = {}, {}
        for (n, shown, doc_id, url, title, text, keywords, themes, countries, lang, doc_type, grp,
             date) in conn.execute(sql.DOCUMENTS, {"ns": sql.numbers(r[0] for r in rows)}):
            groups.setdefault(grp, []).append({"id": doc_id, "lang": lang, "url": url, "title": title})
            if shown:
                whole[n] = (grp, {"id": doc_id, "url": url, "title": title, "text": text, "keywords": keywords,
                                  "themes": themes, "countries": countries, "lang": lang, "type": doc_type,
                                  "date": date})
        query = plan.query if plan else marked
        typed = plan.typed if plan else None
        labels = plan.labels if plan else ()
        memo: dict = {}
        out = []
        for n, score, direct in rows:
            grp, fields = whole[n]
            links = [t for t in groups.get(grp, ()) if t["id"] != fields["id"]]
            out.append(results.shown(fields, self._highlighter, self._schema, self._chains, query, None, typed,
                                     labels, ui, memo, version=not direct, score=score, links=links))
        return out

    def _themes(self, conn) -> set[str]:
        return {r[0] for r in conn.execute("SELECT DISTINCT unnest(themes) FROM labels")}

    # Suggestions and statistics

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Return words of the store that complete the last word of prefix (most documents first)."""
        prefix = normalize(prefix or "")
        if len(prefix) > MAX_QUERY_CHARS:
            raise SearchError(f"query is longer than {MAX_QUERY_CHARS} characters")
        words = re.findall(r"\w+", prefix)
        if not words or prefix[-1:].isspace():
            return []
        head = prefix[:len(prefix) - len(words[-1])]
        stem = taxonomy.fold(words[-1])
        found = self._run(lambda conn: conn.execute(
            "SELECT term FROM terms WHERE field = 'content_any' AND term >= %(p)s AND term < %(p)s || chr(1114111) "
            "ORDER BY df DESC, term LIMIT %(limit)s", {"p": stem, "limit": limit}).fetchall())
        return [head + t for (t,) in found]

    def stats(self) -> dict:
        """Return ``stats --json``: documents by facet, the store's size, last crawl."""
        def read(conn):
            by = {}
            for name, column in (("lang", "lang"), ("type", "type"), ("theme", "unnest(themes)"),
                                 ("country", "unnest(countries)")):
                rows = conn.execute(f"SELECT v, count(*) FROM (SELECT {column} AS v FROM documents) d "
                                    "GROUP BY v ORDER BY count(*) DESC, v").fetchall()
                by[name] = {v: c for v, c in rows}
            documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
            size = conn.execute("SELECT sum(pg_total_relation_size(c)) FROM unnest(ARRAY['documents', 'labels', "
                                "'postings', 'terms', 'field_stats', 'm4d_meta']::regclass[]) c").fetchone()[0]
            meta = conn.execute("SELECT value FROM m4d_meta WHERE key = 'last_crawl'").fetchone()
            return {"documents": documents, "by": {f: by[f] for f in FACET_FIELDS}, "index_bytes": int(size or 0),
                    "last_crawl": meta[0].get("last_crawl") if meta else None}
        return self._run(read)

    def doc_count(self) -> int:
        return self._run(lambda conn: self._stats(conn).documents)
