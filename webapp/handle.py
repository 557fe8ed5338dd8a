"""The store handle (an index folder or a PostgreSQL store: ``indexer.stores``): opened once
per process, shared by requests, refreshed on change."""
from __future__ import annotations

import threading

from flask import current_app

from indexer.search.engine import SearchIndex
from indexer.stores import open_store

_lock = threading.Lock()


def get_index() -> SearchIndex:
    """Return the app's store handle (a SearchIndex, or a PgSearch that answers the same
    calls), opening it on first use."""
    app = current_app  # the proxy: each attribute is read from the current app
    ix = app.extensions.get("m4d_index")
    if ix is None:
        with _lock:
            ix = app.extensions.get("m4d_index")
            if ix is None:
                ix = open_store(app.config["INDEX_DIR"])
                app.extensions["m4d_index"] = ix
    return ix


def init_app(app) -> None:
    """Register the index handle with the app (opened lazily, so the app starts without one)."""
    app.extensions.setdefault("m4d_index", None)
