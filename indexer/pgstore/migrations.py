"""The store's schema, created and upgraded by the project: numbered SQL files in
``migrations/`` (``0001_store.sql``, …), each applied once, in order, in a transaction of its
own, and recorded in ``m4d_migrations``. Two processes migrating at once take turns (an
advisory lock); a server whose schema is newer than this version knows is refused."""
from __future__ import annotations

import re
from importlib import resources

from indexer.errors import IndexFormatError, IndexMissing
from indexer.pgstore.connect import connect, redacted

#: pg_advisory_xact_lock's key for migrations ("m4d" and 1).
MIGRATION_LOCK = 0x6D3464_01
_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """Return every migration as (version, file name, SQL), in order."""
    found = []
    for entry in resources.files("indexer.pgstore").joinpath("migrations").iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text("utf-8")))
    return sorted(found)


def latest() -> int:
    """Return the schema version this code writes and reads."""
    return migrations()[-1][0]


def applied(conn) -> int:
    """Return the schema version of the database (0: never migrated)."""
    row = conn.execute("SELECT to_regclass('m4d_migrations') IS NOT NULL").fetchone()
    if not row[0]:
        return 0
    return conn.execute("SELECT coalesce(max(version), 0) FROM m4d_migrations").fetchone()[0]


def migrate(url: str) -> list[str]:
    """Bring the store at url to this version's schema; return the migrations applied."""
    done = []
    with connect(url, write=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS m4d_migrations (version integer PRIMARY KEY, "
                     "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
        for version, name, sql in migrations():
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                if conn.execute("SELECT 1 FROM m4d_migrations WHERE version = %s", (version,)).fetchone():
                    continue
                conn.execute(sql)
                conn.execute("INSERT INTO m4d_migrations (version, name) VALUES (%s, %s)", (version, name))
                done.append(name)
        newer = applied(conn)
    if newer > latest():
        raise IndexFormatError(f"the store {redacted(url)} has schema version {newer}; this m4d-search knows "
                               f"up to {latest()}: upgrade m4d-search")
    return done


def check(conn, url: str) -> None:
    """Raise IndexMissing when the store has no schema yet, IndexFormatError when its schema
    is older or newer than this version's (a reader never migrates: crawl or init-store does)."""
    version = applied(conn)
    if version == 0:
        raise IndexMissing(f"the store {redacted(url)} has no m4d-search schema; run `m4d-search init-store` "
                           "or crawl into it first")
    if version != latest():
        raise IndexFormatError(f"the store {redacted(url)} has schema version {version}, this m4d-search reads "
                               f"{latest()}: run `m4d-search init-store --store URL` to migrate it")
