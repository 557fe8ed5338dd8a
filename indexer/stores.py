"""The store setting (``--store``, ``$M4D_STORE``): an index folder, read by
``search.engine.SearchIndex`` (the default: embedded, nothing to run), or a
``postgresql://`` URL, read by ``pgstore.reader.PgSearch``. Both answer the same calls
(``search``, ``suggest``, ``stats``, ``doc_count``, ``warm``, ``close``, the cache counters)
with the same bodies: the contract tests run against both."""
from __future__ import annotations

from indexer.pgstore.connect import is_database_url, redacted


def open_store(spec, **options):
    """Open the store spec names, for reading.

    :raises IndexUnavailable: no index there (``IndexMissing``), damaged, in another format,
        or a server that cannot be reached (``StoreUnavailable``)."""
    if is_database_url(spec):
        from indexer.pgstore.reader import PgSearch

        return PgSearch(str(spec).strip(), **options)
    from indexer.search.engine import SearchIndex

    store = SearchIndex(spec, **options)
    store.searcher()  # the latest version's files opened: a damaged index fails here
    return store


def describe(spec) -> str:
    """Return the store's name for messages (a URL without its password)."""
    return redacted(str(spec))


def init_store(spec) -> list[str]:
    """Create or migrate a PostgreSQL store's schema; return the migrations applied (a
    folder needs none: a crawl creates its index)."""
    if not is_database_url(spec):
        return []
    from indexer.pgstore.migrations import migrate

    return migrate(str(spec).strip())
