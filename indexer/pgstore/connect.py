"""Connections to a PostgreSQL store: which store settings are database URLs, and a
connection opened with a clear error when the server cannot be reached.

A URL may name several hosts (libpq's multi-host syntax): web servers read from standbys
with ``target_session_attrs=prefer-standby`` (or ``any``) and ``load_balance_hosts=random``;
a writer always asks libpq for the read-write server among them."""
from __future__ import annotations

import re

from indexer.errors import StoreUnavailable

_URL = re.compile(r"^postgres(?:ql)?://", re.I)
#: Seconds to wait for a server before a connection attempt fails.
CONNECT_TIMEOUT = 5


def is_database_url(spec) -> bool:
    """Tell whether a store setting (``--store``, ``--index``, ``$M4D_STORE``) names a
    PostgreSQL database rather than an index folder."""
    return isinstance(spec, str) and bool(_URL.match(spec.strip()))


def redacted(url: str) -> str:
    """Return url without its password, for messages and logs."""
    return re.sub(r"(://[^:/@,]*):[^@/]*@", r"\1:***@", url)


def driver():
    """Return the psycopg module, or raise StoreUnavailable saying how to install it."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the test extras install it
        raise StoreUnavailable("the PostgreSQL store needs psycopg 3: pip install 'm4d-search[postgresql]'") from None
    return psycopg


def connect(url: str, write: bool = False, autocommit: bool = True):
    """Open a connection to the store at url.

    :param write: connect to the read-write server among the URL's hosts (a crawl, a
        migration), whatever the URL asks for reads.
    :raises StoreUnavailable: no server answered, or the URL is wrong.
    """
    psycopg = driver()
    extra = {"target_session_attrs": "read-write"} if write else {}
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT,
                               application_name="m4d-search", **extra)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreUnavailable(f"cannot connect to the store {redacted(url)}: {reason}") from None
