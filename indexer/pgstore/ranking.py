"""The SQL of a search in the PostgreSQL store: matching and BM25 scoring from the postings
and term statistics (the Whoosh store's model: ``indexer.search.weighting.BM25``), the
syntax path through the GIN-indexed tsvector, facet counts, the page of results."""
from __future__ import annotations

import json
from dataclasses import dataclass

from indexer.pgstore.analysis import CONFIGS, NEUTRAL_CONFIG
from indexer.search.weighting import Ranking
from indexer.text.analyzers import STEMMED


@dataclass
class Stats:
    """One store version's counts: documents, per language, and each field's total length."""

    generation: int
    documents: int
    by_lang: dict[str, int]
    lengths: dict[str, float]

    def field_docs(self, field: str) -> int:
        """Return how many documents can hold field (a language's fields: that language's)."""
        lang = field.rsplit("_", 1)[-1]
        if "_" in field and lang in STEMMED:
            return max(1, self.by_lang.get(lang, 0))
        return max(1, self.documents)

    def average_length(self, field: str) -> float:
        return (self.lengths.get(field, 0.0) / self.field_docs(field)) or 1.0


#: Clauses a plan may have for ``score_sql`` to return them as a bit mask (else an array).
MASK_CLAUSES = 62


def score_sql(clauses: int, prefilter: bool = False, sharded: bool = False) -> str:
    """Return the SQL of a plan's matches: per matching document, its score from the complete
    groups that need no positions, the clauses they match (a bit mask when the plan has at most
    ``MASK_CLAUSES`` clauses, else an array), and the phrase groups it holds every word of (with
    their scores), for ``matching.near`` to check. BM25 with the per-language idf scaled to the
    store (``weighting.BM25``); a group's parts all required (``matching``). A group of one
    term (most are: a word in one field) needs no grouping of its own.

    With prefilter (a bit mask, and no clause that a phrase alone can match), only the
    documents matching ``%(required)s`` clauses come back, or, when none does and
    ``%(relax)s``, those matching any: the plan's rule (``query.Plan``), applied in SQL.

    With sharded (``postings`` partitioned over foreign tables: ``benchmarks/shard_bench.py``),
    the fields and terms are repeated as conditions postgres_fdw sends each shard, which
    otherwise would be asked for all its postings (on one cluster they only cost time)."""
    shipped = ("    WHERE p.field = ANY(%(fields)s::text[]) AND p.term = ANY(%(terms)s::text[])\n"
               if sharded else "")
    matched = ("bit_or(1::bigint << clause) FILTER (WHERE NOT phrase AND clause >= 0)" if clauses <= MASK_CLAUSES
               else "coalesce(array_agg(DISTINCT clause) FILTER (WHERE NOT phrase AND clause >= 0), '{}')")
    return f"""
WITH q AS (
    SELECT * FROM json_to_recordset(%(rows)s::json)
        AS q(clause int, grp int, part int, need int, phrase bool, field text, term text, boost float8, fd float8,
             avgfl float8)
), w AS (
    SELECT q.*, q.boost * ln(1 + greatest(0, %(N)s - x.n + 0.5) / (x.n + 0.5)) AS idf
    FROM q JOIN terms t ON t.field = q.field AND t.term = q.term
    CROSS JOIN LATERAL (SELECT t.df * %(N)s / least(%(N)s, q.fd + %(prior)s) AS n) x
), hits AS (
    SELECT p.n, w.clause, w.grp, w.part, w.need, w.phrase,
           w.idf * p.tf * (%(k1)s + 1) / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * p.dl / w.avgfl)) AS score
    FROM w JOIN postings p ON p.field = w.field AND p.term = w.term
{shipped}), s AS (
    SELECT n, clause, phrase, grp, score FROM hits WHERE need = 1 AND NOT phrase
    UNION ALL
    SELECT n, clause, bool_or(phrase), grp, sum(score) FROM hits WHERE need > 1 OR phrase
    GROUP BY n, clause, grp HAVING count(DISTINCT part) >= max(need)
), found AS (
    SELECT n, coalesce(sum(score) FILTER (WHERE NOT phrase), 0) AS score, {matched} AS matched,
           coalesce(array_agg(grp) FILTER (WHERE phrase), '{{}}') AS groups,
           coalesce(array_agg(score) FILTER (WHERE phrase), '{{}}') AS scores
    FROM s GROUP BY n
)
""" + ("SELECT * FROM found" if not prefilter else """, strict AS (
    SELECT * FROM found WHERE bit_count(coalesce(matched, 0)::bit(64)) >= %(required)s
)
SELECT * FROM strict
UNION ALL
SELECT * FROM found WHERE %(relax)s AND matched IS NOT NULL AND NOT EXISTS (SELECT 1 FROM strict)
""")


#: The positions of phrase words in candidate documents: (group, document, term, positions).
POSITIONS = """
WITH q AS (SELECT * FROM unnest(%(grp)s::int[], %(field)s::text[], %(term)s::text[]) AS q(grp, field, term)),
c AS (SELECT * FROM unnest(%(cn)s::bigint[], %(cg)s::int[]) AS c(n, grp))
SELECT c.grp, c.n, q.term, p.pos
FROM c JOIN q USING (grp) JOIN postings p ON p.field = q.field AND p.term = q.term AND p.n = c.n
"""


def score_params(cols: dict, stats: Stats, ranking: Ranking) -> dict:
    """Return the parameters of ``score_sql``: the query's term rows as one JSON document
    (one string to send, where ten arrays would each be converted), and the BM25 constants."""
    names = list(cols)
    rows = json.dumps([dict(zip(names, values, strict=True)) for values in zip(*cols.values(), strict=True)])
    return dict(rows=rows, fields=sorted(set(cols["field"])), terms=sorted(set(cols["term"])),
                N=float(max(1, stats.documents)), prior=float(ranking.idf_prior_docs),
                k1=ranking.k1, b=ranking.b)


def numbers(values) -> str:
    """Return a list of numbers as a PostgreSQL array literal (``{1,2,3}``): one string to send
    for a search's matches, converted by the server, rather than thousands of values by the driver."""
    return "{" + ",".join(map(str, values)) + "}"


#: Query syntax (quotes, OR, -word): PostgreSQL's web-search parser in each document's own
#: configuration, through the GIN index (one indexable test per language); ranked by ts_rank_cd.
_TSQUERY = {lang: f"websearch_to_tsquery('{cfg}', %(q)s)" for lang, cfg in CONFIGS.items()}
_TSQUERY_ANY = f"websearch_to_tsquery('{NEUTRAL_CONFIG}', %(q)s)"
_LANGS = ", ".join(f"'{lang}'" for lang in CONFIGS)
SYNTAX = f"""
SELECT n, ts_rank_cd(tsv, CASE lang {" ".join(f"WHEN '{lang}' THEN {tsq}" for lang, tsq in _TSQUERY.items())}
                          ELSE {_TSQUERY_ANY} END, 1) AS score, 1 AS clauses
FROM documents
WHERE {" OR ".join(f"(lang = '{lang}' AND tsv @@ {tsq})" for lang, tsq in _TSQUERY.items())}
   OR (lang NOT IN ({_LANGS}) AND tsv @@ {_TSQUERY_ANY})
"""

LABELLED = "SELECT n, themes, countries FROM labels WHERE themes && %(themes)s OR countries && %(countries)s"


def matches_cte(browse: bool) -> str:
    """Return the CTE ``m(n, rank)`` of the matches: every document when browsing (no query),
    else the arrays the search passes."""
    if browse:
        return "m AS (SELECT n, 1::float8 AS rank FROM labels)"
    return "m AS (SELECT * FROM unnest(%(ns)s::bigint[], %(ranks)s::float8[]) AS m(n, rank))"


_LABELS = "l.n, l.grp, l.lang, l.type, l.themes, l.countries, l.day"


def shown_cte(browse: bool, versions: bool) -> str:
    """Return the CTEs up to ``f``: the matches and (versions) the other versions of their
    works, from the narrow ``labels`` table, each with its filter tests; ``inb``: among what
    the page shows before filters (the direct matches, and the versions when the language is
    filtered)."""
    reach = "" if not versions else f"""
    UNION ALL
    SELECT {_LABELS}, NULL::float8, FALSE FROM labels l
    WHERE l.grp = ANY(ARRAY(SELECT DISTINCT grp FROM hit)) AND l.n NOT IN (SELECT n FROM hit)"""
    return f"""
WITH {matches_cte(browse)},
hit AS (
    SELECT {_LABELS}, m.rank FROM m JOIN labels l USING (n)
), r AS (
    SELECT *, TRUE AS direct FROM hit{reach}
), f AS (
    SELECT r.*,
           (%(lang)s::text[] IS NULL OR lang = ANY(%(lang)s)) AS ok_lang,
           (%(type)s::text[] IS NULL OR type = ANY(%(type)s)) AS ok_type,
           (%(theme)s::text[] IS NULL OR themes && %(theme)s) AS ok_theme,
           (%(country)s::text[] IS NULL OR countries && %(country)s) AS ok_country,
           (direct OR %(lang)s::text[] IS NOT NULL) AS inb
    FROM r
)"""


_FACET_VALUE = {"lang": "lang", "type": "type", "theme": "v", "country": "v"}
_FACET_FROM = {"lang": "f", "type": "f", "theme": "f, unnest(f.themes) v", "country": "f, unnest(f.countries) v"}
_TESTS = ("lang", "type", "theme", "country")
#: The kind of the rows of ``search_sql`` that are the page's documents (facet rows name their facet).
PAGE = "#page"


def search_sql(browse: bool, versions: bool, ordered: bool, collapse: bool, by_date: bool) -> str:
    """Return the SQL of a search's counts and page, in one statement over one snapshot, as
    (kind, value, count, document, score, direct) rows.

    Counts (kind: the facet, ``""`` for the total): each facet counts the documents (works,
    with collapse) passing every other facet's filter (OR within a facet, AND across, a facet
    ignoring its own); the language facet counts the versions of the matched works too. With
    ordered, also each facet's counts without filters (``order:facet`` rows: the order
    values keep as boxes are ticked).

    The page (kind ``PAGE``, value: its place): the shown documents best first (a version brought by a
    match in another language ranks as its work's best match passing the other filters, right
    after it), one per work with collapse, newest first for a date sort. Everything is found
    over ``labels``; the page's documents are read whole afterwards (``DOCUMENTS``).
    """
    count = "count(DISTINCT grp)" if collapse else "count(*)"
    parts = []
    for facet in _TESTS:
        others = " AND ".join(f"ok_{t}" for t in _TESTS if t != facet)
        base = "TRUE" if facet == "lang" else "inb"
        value = _FACET_VALUE[facet]
        parts.append(f"SELECT '{facet}', {value}::text, {count}, NULL::bigint, NULL::float8, NULL::bool "
                     f"FROM {_FACET_FROM[facet]} WHERE {base} AND {others} GROUP BY {value}")
        if ordered:
            base = "TRUE" if facet == "lang" else "direct"
            parts.append(f"SELECT 'order:{facet}', {value}::text, {count}, NULL, NULL, NULL "
                         f"FROM {_FACET_FROM[facet]} WHERE {base} GROUP BY {value}")
    every = " AND ".join(f"ok_{t}" for t in _TESTS)
    parts.append(f"SELECT '', '', {count}, NULL, NULL, NULL FROM f WHERE inb AND {every}")
    others = " AND ".join(f"ok_{t}" for t in _TESTS if t != "lang")
    relevance = "coalesce(rank, work_rank) DESC NULLS LAST, direct DESC, n"
    order = f"day DESC NULLS LAST, {relevance}" if by_date else relevance
    ranked = f"""
, g AS (
    SELECT f.*, max(rank) FILTER (WHERE direct AND {others}) OVER (PARTITION BY grp) AS work_rank
    FROM f
), shown AS (
    SELECT * FROM g WHERE inb AND {every}
)"""
    if collapse:
        ranked += f""", best AS (
    SELECT DISTINCT ON (grp) * FROM shown ORDER BY grp, {relevance}
)"""
    source = "best" if collapse else "shown"
    page = (f"(SELECT '{PAGE}', (row_number() OVER (ORDER BY {order}))::text, NULL, n, "
            f"coalesce(rank, work_rank, 0), direct FROM {source} ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s)")
    return shown_cte(browse, versions) + ranked + "\n" + "\nUNION ALL ".join([*parts, page])


#: The page's documents whole and the other versions of their works (id, language, URL,
#: title), in one read: (document, whole?, id, url, title, body, key words, themes, countries,
#: lang, type, group, date).
DOCUMENTS = """
SELECT d.n, d.n = ANY(%(ns)s::bigint[]), d.id, d.url, d.title,
       CASE WHEN d.n = ANY(%(ns)s::bigint[]) THEN d.body END, d.keywords, d.themes, d.countries, d.lang, d.type,
       d.grp, to_char(d.date, 'YYYY-MM-DD')
FROM labels l JOIN documents d USING (n)
WHERE l.grp IN (SELECT grp FROM labels WHERE n = ANY(%(ns)s::bigint[]))
ORDER BY d.lang, d.id
"""
