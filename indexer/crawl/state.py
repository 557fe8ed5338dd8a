"""Crawl state: what earlier web crawls learnt about each URL, kept in SQLite inside the index
folder (``<index>/crawl/state.sqlite``), and the lock that lets one crawl at a time write an index.

One crawl is one SQLite transaction, committed only after the index commit: if a crawl dies,
the state still describes the index as it is, so nothing is taken for unchanged that was
never indexed.
"""
from __future__ import annotations

import fcntl
import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path

from indexer.errors import CrawlLocked

STATE_DIR = "crawl"
STATE_FILE = "state.sqlite"
LOCK_FILE = "lock"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url           TEXT PRIMARY KEY,  -- normalized URL that was requested
    source        TEXT NOT NULL,     -- the seed it was reached from
    status        INTEGER,           -- last HTTP status; NULL when the request failed
    etag          TEXT,
    last_modified TEXT,
    hash          TEXT,              -- SHA-256 of the body last indexed
    fetched_at    TEXT,              -- ISO 8601, UTC
    canonical     TEXT,              -- the id of its documents (<link rel=canonical> or the URL)
    alias_of      TEXT,              -- the URL indexed instead: same content
    redirect_to   TEXT,
    links         TEXT,              -- JSON list of the links followed from it
    reason        TEXT
)
"""



@contextmanager
def crawl_lock(index_dir):
    """Hold the index's crawl lock for the duration of the block, or raise CrawlLocked at once."""
    folder = Path(index_dir) / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a+b") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CrawlLocked(f"another crawl is writing the index in {index_dir}; "
                              "wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class PageState:
    """One row of the state store."""

    url: str
    source: str
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    hash: str | None = None
    fetched_at: str | None = None
    canonical: str | None = None
    alias_of: str | None = None
    redirect_to: str | None = None
    links: list[str] = field(default_factory=list)
    reason: str | None = None


_COLUMNS = [f.name for f in fields(PageState)]


class CrawlState:
    """The state store of one index; used from one thread."""

    def __init__(self, index_dir):
        folder = Path(index_dir) / STATE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / STATE_FILE
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute(_SCHEMA)
        self.conn.execute("BEGIN")

    def get(self, url: str) -> PageState | None:
        row = self.conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM pages WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        values = dict(zip(_COLUMNS, row, strict=True))
        values["links"] = json.loads(values["links"] or "[]")
        return PageState(**values)

    def put(self, page: PageState) -> None:
        values = [getattr(page, c) for c in _COLUMNS]
        values[_COLUMNS.index("links")] = json.dumps(page.links)
        self.conn.execute(f"INSERT OR REPLACE INTO pages ({', '.join(_COLUMNS)}) "
                          f"VALUES ({', '.join('?' * len(_COLUMNS))})", values)

    def update(self, url: str, **changes) -> None:
        if "links" in changes:
            changes["links"] = json.dumps(changes["links"])
        unknown = set(changes) - set(_COLUMNS)
        if unknown:
            raise ValueError(f"unknown state columns: {sorted(unknown)}")
        assignments = ", ".join(f"{k} = ?" for k in changes)
        self.conn.execute(f"UPDATE pages SET {assignments} WHERE url = ?", [*changes.values(), url])

    def reset(self) -> None:
        """Forget everything (``--rebuild``)."""
        self.conn.execute("DELETE FROM pages")

    def forget(self, sources: list[str], visited: set[str]) -> int:
        """Drop the rows of these sources whose URL was not requested this crawl; return how many."""
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS visited (url TEXT PRIMARY KEY)")
        self.conn.execute("DELETE FROM visited")
        self.conn.executemany("INSERT OR IGNORE INTO visited VALUES (?)", ((u,) for u in visited))
        marks = ", ".join("?" * len(sources))
        cur = self.conn.execute(f"DELETE FROM pages WHERE source IN ({marks}) "
                                "AND url NOT IN (SELECT url FROM visited)", sources)
        return cur.rowcount

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM pages").fetchone()[0]

    def commit(self) -> None:
        """Make this crawl's changes durable (after the index commit)."""
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")

    def close(self) -> None:
        """Close, dropping whatever was not committed."""
        if self.conn is not None:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self.conn.close()
            self.conn = None
