"""The SQL of a search in the PostgreSQL store: matching and BM25 scoring from the postings
and term statistics (the Whoosh store's model: ``indexer.search.weighting.BM25``), the
syntax path through the GIN-indexed tsvector, facet counts, the page of results."""
from __future__ import annotations

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


#: Per matching document: its score from the complete groups that need no positions, the
#: clauses they match, and the phrase groups it holds every word of (with their scores), for
#: ``matching.near`` to check. BM25 with the per-language idf scaled to the store
#: (``weighting.BM25``); a group's parts all required (``matching``).
SCORE = """
WITH q AS (
    SELECT * FROM unnest(%(clause)s::int[], %(grp)s::int[], %(part)s::int[], %(need)s::int[], %(phrase)s::bool[],
                         %(field)s::text[], %(term)s::text[], %(boost)s::float8[], %(fd)s::float8[],
                         %(avgfl)s::float8[])
        AS q(clause, grp, part, need, phrase, field, term, boost, fd, avgfl)
), w AS (
    SELECT q.*, q.boost * ln(1 + greatest(0, %(N)s - x.n + 0.5) / (x.n + 0.5)) AS idf
    FROM q JOIN terms t ON t.field = q.field AND t.term = q.term
    CROSS JOIN LATERAL (SELECT t.df * %(N)s / least(%(N)s, q.fd + %(prior)s) AS n) x
), s AS (
    SELECT p.n, w.clause, w.grp, bool_or(w.phrase) AS phrase, max(w.need) AS need, count(DISTINCT w.part) AS parts,
           sum(w.idf * p.tf * (%(k1)s + 1) / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * p.dl / w.avgfl))) AS score
    FROM w JOIN postings p ON p.field = w.field AND p.term = w.term
    GROUP BY p.n, w.clause, w.grp
)
SELECT n, coalesce(sum(score) FILTER (WHERE NOT phrase), 0),
       coalesce(array_agg(DISTINCT clause) FILTER (WHERE NOT phrase AND clause >= 0), '{}'),
       coalesce(array_agg(grp) FILTER (WHERE phrase), '{}'),
       coalesce(array_agg(score) FILTER (WHERE phrase), '{}')
FROM s WHERE parts >= need GROUP BY n
"""

#: The positions of phrase words in candidate documents: (group, document, term, positions).
POSITIONS = """
WITH q AS (SELECT * FROM unnest(%(grp)s::int[], %(field)s::text[], %(term)s::text[]) AS q(grp, field, term)),
c AS (SELECT * FROM unnest(%(cn)s::bigint[], %(cg)s::int[]) AS c(n, grp))
SELECT c.grp, c.n, q.term, p.pos
FROM c JOIN q USING (grp) JOIN postings p ON p.field = q.field AND p.term = q.term AND p.n = c.n
"""


def score_params(cols: dict, stats: Stats, ranking: Ranking) -> dict:
    return dict(cols, N=float(max(1, stats.documents)), prior=float(ranking.idf_prior_docs),
                k1=ranking.k1, b=ranking.b)


#: Query syntax (quotes, OR, -word): PostgreSQL's web-search parser in each document's own
#: configuration, through the GIN index; ranked by ts_rank_cd.
SYNTAX = f"""
WITH q AS (SELECT {", ".join(f"websearch_to_tsquery('{cfg}', %(q)s) AS {lang}" for lang, cfg in CONFIGS.items())},
                  websearch_to_tsquery('{NEUTRAL_CONFIG}', %(q)s) AS any)
SELECT d.n, ts_rank_cd(d.tsv, c.query, 1) AS score, 1 AS clauses
FROM documents d, q
CROSS JOIN LATERAL (SELECT CASE d.lang {" ".join(f"WHEN '{lang}' THEN q.{lang}" for lang in CONFIGS)}
                           ELSE q.any END AS query) c
WHERE d.tsv @@ c.query
"""

LABELLED = "SELECT n, themes, countries FROM documents WHERE themes && %(themes)s OR countries && %(countries)s"


def matches_cte(browse: bool) -> str:
    """Return the CTE ``m(n, rank)`` of the matches: every document when browsing (no query),
    else the arrays the search passes."""
    if browse:
        return "m AS (SELECT n, 1::float8 AS rank FROM documents)"
    return "m AS (SELECT * FROM unnest(%(ns)s::bigint[], %(ranks)s::float8[]) AS m(n, rank))"


def shown_cte(browse: bool, versions: bool) -> str:
    """Return the CTEs up to ``f``: the matches and (versions) the other versions of their
    works, each with its filter tests; ``inb``: among what the page shows before filters
    (the direct matches, and the versions when the language is filtered)."""
    reach = "" if not versions else " OR d.grp IN (SELECT d2.grp FROM documents d2 JOIN m USING (n))"
    return f"""
WITH {matches_cte(browse)},
r AS (
    SELECT d.n, d.grp, d.lang, d.type, d.themes, d.countries, d.date AS day, m.rank, m.n IS NOT NULL AS direct
    FROM documents d LEFT JOIN m USING (n)
    WHERE m.n IS NOT NULL{reach}
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


def facets_sql(browse: bool, versions: bool, ordered: bool) -> str:
    """Return the SQL of the facet counts and the total, as (facet, value, documents, works)
    rows: each facet counts the documents passing every other facet's filter (OR within a
    facet, AND across, a facet ignoring its own); the language facet counts the versions of
    the matched works too. With ordered, also each facet's counts without filters
    (``order:facet`` rows: the order values keep as boxes are ticked)."""
    parts = []
    for facet in _TESTS:
        others = " AND ".join(f"ok_{t}" for t in _TESTS if t != facet)
        base = "TRUE" if facet == "lang" else "inb"
        value = _FACET_VALUE[facet]
        parts.append(f"SELECT '{facet}', {value}::text, count(*), count(DISTINCT grp) FROM {_FACET_FROM[facet]} "
                     f"WHERE {base} AND {others} GROUP BY {value}")
        if ordered:
            base = "TRUE" if facet == "lang" else "direct"
            parts.append(f"SELECT 'order:{facet}', {value}::text, count(*), count(DISTINCT grp) "
                         f"FROM {_FACET_FROM[facet]} WHERE {base} GROUP BY {value}")
    every = " AND ".join(f"ok_{t}" for t in _TESTS)
    parts.append(f"SELECT '', '', count(*), count(DISTINCT grp) FROM f WHERE inb AND {every}")
    return shown_cte(browse, versions) + "\n" + "\nUNION ALL ".join(parts)


def page_sql(browse: bool, versions: bool, collapse: bool, by_date: bool) -> str:
    """Return the SQL of one page of results: the shown documents best first (a version
    brought by a match in another language ranks as its work's best match passing the other
    filters, right after it), one per work with collapse, newest first for a date sort."""
    every = " AND ".join(f"ok_{t}" for t in _TESTS)
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
    return (shown_cte(browse, versions) + ranked + f"""
SELECT s.n, coalesce(s.rank, s.work_rank, 0) AS score, s.direct, d.id, d.url, d.title, d.body, d.keywords,
       d.themes, d.countries, d.lang, d.type, d.grp, to_char(d.date, 'YYYY-MM-DD') AS date
FROM {source} s JOIN documents d USING (n)
ORDER BY {order}
LIMIT %(limit)s OFFSET %(offset)s""")


VERSIONS = "SELECT grp, id, lang, url, title FROM documents WHERE grp = ANY(%(groups)s) ORDER BY lang, id"
