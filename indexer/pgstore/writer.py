"""Write: Documents → the PostgreSQL store, one crawl in one transaction.

What ``indexer.write`` does for a folder, with the same arguments and counts: documents are
added or replaced under their id, the crawled sources' pages not seen again and gone pages
are deleted, and one COMMIT publishes all of it. Readers (MVCC) see the version before or the
version after, never a half-written one, whichever server (primary or standby) they read.
One writer at a time: a crawl holds a transaction-level advisory lock until it commits, so
a second crawl into the same store waits for it rather than interleaving its rows.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from indexer.errors import CrawlFailed, IndexBusy
from indexer.model import Document
from indexer.pgstore.analysis import Analysis, config_of
from indexer.pgstore.connect import connect
from indexer.pgstore.migrations import migrate

log = logging.getLogger(__name__)

#: pg_advisory_xact_lock's key for writers ("m4d" and 2).
WRITE_LOCK = 0x6D3464_02
#: Seconds a crawl waits for another crawl's commit before giving up (IndexBusy).
LOCK_WAIT = 120


def write_documents(url: str, docs: list[Document], sources: list[str], keep: set[str] = frozenset(),
                    rebuild: bool = False, remove: set[str] = frozenset(), procs: int | None = None,
                    allow_empty: bool = False, before_commit=None) -> dict:
    """Add or update docs, delete stale ones of the given sources, commit once (procs is
    ignored: the server does the work). Arguments and counts as ``indexer.write.write_documents``.

    :param before_commit: called with the connection just before the COMMIT, to make more
        changes in the same transaction (a shared crawl marks its URLs done), or None.
    """
    migrate(url)
    first: dict[str, Document] = {}
    for doc in docs:
        first.setdefault(doc.id, doc)
    unique = list(first.values())
    analysis = Analysis()
    with connect(url, write=True, autocommit=False) as conn:
        conn.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}s'")
        try:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        except Exception as exc:
            raise IndexBusy(f"another crawl is writing to the store ({exc})") from None
        held = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        if rebuild and not unique and not allow_empty and held:
            raise CrawlFailed(f"--rebuild found no document to index: nothing was committed, the store keeps "
                              f"its {held} documents (--allow-empty commits an empty store)")
        ids = [d.id for d in unique]
        if rebuild:
            victims = conn.execute("SELECT n FROM documents").fetchall()
        else:
            victims = conn.execute(_STALE, {"ids": ids, "sources": list(sources), "keep": list(keep),
                                            "remove": list(remove)}).fetchall()
        victims = [v[0] for v in victims]
        replaced = conn.execute("SELECT count(*) FROM documents WHERE n = ANY(%s) AND id = ANY(%s)",
                                (victims, ids)).fetchone()[0] if victims and ids else 0
        _forget(conn, victims)
        _insert(conn, analysis, unique)
        conn.execute("UPDATE m4d_meta SET value = to_jsonb(value::bigint + 1) WHERE key = 'generation'")
        if before_commit is not None:
            before_commit(conn)
        conn.commit()
        if unique or victims:
            tidy(conn)
    return {"added": len(unique), "deleted": len(victims) - replaced}


def tidy(conn) -> None:
    """After a commit: vacuum and analyze what the searches read, so that scoring reads the
    postings' index alone (index-only scans need the visibility map) and the planner knows
    the new sizes. Outside the crawl's transaction; readers are not blocked."""
    conn.autocommit = True
    try:
        conn.execute("VACUUM (ANALYZE) postings, labels, terms, documents")
    except Exception as exc:  # noqa: BLE001 - the crawl is committed: slower searches until autovacuum, no failure
        log.warning("could not vacuum the store after the crawl: %s", str(exc).strip())


# The documents a crawl removes: replaced ones (their id is written again), gone pages (and
# the items cut from them), and the crawled sources' documents not seen again, unless their
# page failed or did not change this time (keep).
_STALE = """
SELECT n FROM documents
WHERE id = ANY(%(ids)s)
   OR split_part(id, '#', 1) = ANY(%(remove)s)
   OR (source = ANY(%(sources)s) AND NOT split_part(id, '#', 1) = ANY(%(keep)s))
"""


def _forget(conn, victims: list[int]) -> None:
    """Delete documents, their postings (cascade) and their share of the statistics."""
    if not victims:
        return
    conn.execute("""
        WITH gone AS (SELECT field, term, count(*) AS c FROM postings WHERE n = ANY(%(v)s) GROUP BY field, term)
        UPDATE terms t SET df = t.df - gone.c FROM gone WHERE t.field = gone.field AND t.term = gone.term
    """, {"v": victims})
    conn.execute("""
        WITH gone AS (SELECT field, count(*) AS docs, sum(dl) AS total
                      FROM (SELECT DISTINCT ON (n, field) n, field, dl FROM postings WHERE n = ANY(%(v)s)) d
                      GROUP BY field)
        UPDATE field_stats s SET docs = s.docs - gone.docs, total = s.total - gone.total
        FROM gone WHERE s.field = gone.field
    """, {"v": victims})
    conn.execute("DELETE FROM terms WHERE df <= 0")
    conn.execute("DELETE FROM documents WHERE n = ANY(%s)", (victims,))


def _insert(conn, analysis: Analysis, docs: list[Document]) -> None:
    """Copy documents and their postings in, and add their statistics."""
    if not docs:
        return
    conn.execute("CREATE TEMP TABLE new_documents (LIKE documents INCLUDING DEFAULTS) ON COMMIT DROP")
    conn.execute("ALTER TABLE new_documents DROP COLUMN tsv, DROP COLUMN n")
    conn.execute("CREATE TEMP TABLE new_postings (id text, field text COLLATE \"C\", term text COLLATE \"C\", "
                 "tf real, dl real, pos integer[]) ON COMMIT DROP")
    columns = "id, url, source, title, body, keywords, themes, countries, lang, type, grp, date"
    with conn.cursor().copy(f"COPY new_documents ({columns}) FROM STDIN") as copy:
        for d in docs:
            copy.write_row((d.id, d.url, d.source, d.title, d.text or "", list(d.keywords),
                            list(d.themes), list(d.country), d.lang, d.type, d.group or d.id, d.date))
    with conn.cursor().copy("COPY new_postings (id, field, term, tf, dl, pos) FROM STDIN") as copy:
        for d in docs:
            for row in analysis.postings(d):
                copy.write_row((d.id, *row))
    # The tsvector in the document's own configuration (title weighted A, text and key words B).
    configs = json.dumps({d.id: config_of(d.lang) for d in docs})
    conn.execute(f"""
        INSERT INTO documents ({columns}, tsv)
        SELECT {columns},
               setweight(to_tsvector(c.cfg, title), 'A') ||
               setweight(to_tsvector(c.cfg, body || ' ' || array_to_string(keywords, ', ')), 'B')
        FROM new_documents nd
        CROSS JOIN LATERAL (SELECT (%(configs)s::jsonb ->> nd.id)::regconfig AS cfg) c
    """, {"configs": configs})
    conn.execute("""
        INSERT INTO labels (n, grp, lang, type, themes, countries, day)
        SELECT d.n, hashtextextended(d.grp, 0), d.lang, d.type, d.themes, d.countries, d.date
        FROM documents d JOIN new_documents nd USING (id)
    """)
    conn.execute("""
        INSERT INTO postings (field, term, n, tf, dl, pos)
        SELECT p.field, p.term, d.n, p.tf, p.dl, p.pos FROM new_postings p JOIN documents d ON d.id = p.id
    """)
    conn.execute("""
        INSERT INTO terms (field, term, df)
        SELECT field, term, count(*) FROM new_postings GROUP BY field, term
        ON CONFLICT (field, term) DO UPDATE SET df = terms.df + EXCLUDED.df
    """)
    conn.execute("""
        INSERT INTO field_stats (field, docs, total)
        SELECT field, count(*), sum(dl)
        FROM (SELECT DISTINCT ON (id, field) id, field, dl FROM new_postings) d GROUP BY field
        ON CONFLICT (field) DO UPDATE SET docs = field_stats.docs + EXCLUDED.docs,
                                          total = field_stats.total + EXCLUDED.total
    """)


def held_documents(url: str) -> int | None:
    """Return how many documents the store holds; None when it has no schema yet."""
    with connect(url) as conn:
        if not conn.execute("SELECT to_regclass('documents') IS NOT NULL").fetchone()[0]:
            return None
        return conn.execute("SELECT count(*) FROM documents").fetchone()[0]


def write_meta(url: str, meta: dict) -> None:
    """Record the last crawl's summary in the store (``stats`` reads its time)."""
    meta = dict(meta, last_crawl=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    with connect(url, write=True) as conn:
        conn.execute("INSERT INTO m4d_meta (key, value) VALUES ('last_crawl', %s) "
                     "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", (json.dumps(meta),))

