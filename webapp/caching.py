"""Cache-Control on every answer, and versioned URLs for static files.

- The page (``/``, ``/search``), ``/api/search``, ``/api/suggest`` and ``/opensearch.xml``:
  ``public, max-age=ANSWER_MAX_AGE`` with ``Vary: Accept-Language`` (labels and messages
  follow the browser's language when ``?ui=`` is absent). The index changes only when a crawl
  commits, so an answer a minute old is still right; the app also caches answers itself.
- Static files: ``url_for('static', …)`` adds ``?v=<digest of the file>``, so a changed file
  gets a new URL; a versioned URL is cached for a year (``immutable``), a bare one for
  ``STATIC_MAX_AGE_BARE``.
- ``/healthz`` and every error (4xx, 5xx): ``no-store`` (a 503 while an index is missing must
  not outlive the fix).
- Anything else keeps what its view set (``/site/`` files: a minute, revalidated by ETag).
"""
from __future__ import annotations

import hashlib
import os
import threading

from flask import request

from indexer.settings import ANSWER_MAX_AGE, STATIC_MAX_AGE, STATIC_MAX_AGE_BARE

ANSWER_ENDPOINTS = frozenset({"views.search", "api.search", "api.suggest", "api.opensearch"})
NO_STORE_ENDPOINTS = frozenset({"api.healthz"})

_lock = threading.Lock()


def _digest(path: str, cache: dict) -> str | None:
    """Return a short digest of a file's bytes, cached by (path, mtime, size)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (path, st.st_mtime_ns, st.st_size)
    found = cache.get(key)
    if found is None:
        with open(path, "rb") as f:
            found = hashlib.sha256(f.read()).hexdigest()[:12]
        with _lock:
            cache[key] = found
    return found


def init_app(app) -> None:
    """Version static URLs and set Cache-Control on every response."""
    digests: dict = {}

    @app.url_defaults
    def version_static(endpoint, values):
        if endpoint == "static" and "v" not in values and app.static_folder:
            filename = values.get("filename") or ""
            path = os.path.join(app.static_folder, filename)
            digest = _digest(path, digests) if os.path.isfile(path) else None
            if digest:
                values["v"] = digest

    @app.after_request
    def cache_control(response):
        endpoint = request.endpoint
        if response.status_code >= 400 or endpoint in NO_STORE_ENDPOINTS:
            response.headers["Cache-Control"] = "no-store"
        elif endpoint == "static":
            age = STATIC_MAX_AGE if request.args.get("v") else STATIC_MAX_AGE_BARE
            response.headers["Cache-Control"] = f"public, max-age={age}" + (
                ", immutable" if request.args.get("v") else "")
        elif endpoint in ANSWER_ENDPOINTS:
            response.headers["Cache-Control"] = f"public, max-age={ANSWER_MAX_AGE}"
            response.vary.add("Accept-Language")
        return response
