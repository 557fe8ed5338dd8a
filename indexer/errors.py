"""Every exception m4d-search raises on purpose, with one common base.

The crawl logs and counts the page-level ones and goes on (``SkipPage``, ``FetchError``,
``ExtractError``, ``PageTimeout``); the CLI turns the rest into one line on stderr and an exit
status; the web app turns ``SearchError`` into a 400 and ``IndexUnavailable`` into a 503-style
message. Nothing here imports another module of the project, so any stage may raise them.
"""
from __future__ import annotations


class M4DError(Exception):
    """Base class of the project's own errors."""


class ConfigError(M4DError, ValueError):
    """A setting (environment variable or option) with a value that cannot be used."""


# Crawl

class SourceError(M4DError):
    """A crawl source that cannot be read at all (missing path, unsupported scheme)."""


class SkipPage(M4DError):
    """A page the crawl leaves out, with the reason."""


class FetchError(M4DError):
    """A request that failed for good: timeout or network error after the retries."""


class CrawlLocked(M4DError):
    """Another crawl is writing this index."""


class CrawlFailed(M4DError):
    """A crawl that commits nothing, so that the index keeps its previous version: every
    source failed (nothing reached), or a ``--rebuild`` would replace an index holding
    documents by an empty one (``allow_empty`` permits that)."""


# Parse

class ExtractError(M4DError):
    """The page cannot be read as text (binary data, undecodable)."""


class PageTimeout(M4DError):
    """A page took longer than its budget; the crawl skips it."""


# Index

class IndexBusy(M4DError, OSError):
    """Another live crawl holds the index's write lock."""


class IndexUnavailable(M4DError):
    """An index folder that cannot be opened: missing, or not readable by this version."""


class IndexMissing(IndexUnavailable):
    """No index at the given folder."""


class IndexDamaged(IndexUnavailable):
    """An index whose files cannot be read: truncated, garbage, missing or unreadable."""


class IndexFormatError(IndexUnavailable):
    """An index written in another format version of m4d-search's additions to Whoosh's files."""


class WhooshVersionError(M4DError, ImportError):
    """The installed Whoosh is not a version the codec was written for."""


# Search

class SearchError(M4DError, ValueError):
    """Bad search input (unknown filter value, bad page, overlong query): a 400, exit 2."""


class QueryTooBroad(SearchError):
    """A query part that would expand over the whole vocabulary."""


class StoreUnavailable(IndexUnavailable):
    """A PostgreSQL store cannot be reached (the server is down, the URL or credentials are
    wrong) or its driver is not installed."""
