"""Cross-origin reads of the JSON API (CORS) for ``/api/search`` and ``/api/suggest``.

The API is read-only (GET), sets no cookies and reads no credentials, so by default any site
may call it from a browser: ``Access-Control-Allow-Origin: *``. ``$M4D_CORS_ORIGINS`` (or the
app config ``CORS_ORIGINS``) narrows it: ``*`` for any origin, a comma- or space-separated
list of origins (``https://a.example, https://b.example``: the request's ``Origin`` is echoed
when listed, with ``Vary: Origin``), or ``none`` for no cross-origin access. Credentials are
never allowed. Other routes (the page, ``/healthz``, ``/site/``) get no CORS headers.
"""
from __future__ import annotations

import os
import re

from flask import request

from indexer.errors import ConfigError
from indexer.settings import DEFAULT_CORS_ORIGINS

#: The routes other sites may read.
CORS_PATHS = ("/api/search", "/api/suggest")
#: Seconds a browser may remember a preflight answer.
PREFLIGHT_MAX_AGE = 86400
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+")


def parse_origins(value: str) -> str | frozenset[str]:
    """Return ``"*"`` or the set of allowed origins (empty: none) of a CORS_ORIGINS value."""
    value = value.strip()
    if value == "*":
        return "*"
    if value.lower() in ("", "none"):
        return frozenset()
    origins = [o.rstrip("/") for o in re.split(r"[\s,]+", value) if o]
    bad = [o for o in origins if not _ORIGIN.fullmatch(o)]
    if bad or "*" in origins:
        raise ConfigError(f"M4D_CORS_ORIGINS must be '*', 'none' or origins like https://example.org, "
                          f"not {(bad or ['*'])[0]!r}")
    return frozenset(origins)


def init_app(app) -> None:
    """Read the policy (a bad one fails here, in one line) and add the headers to API answers."""
    app.config.setdefault("CORS_ORIGINS", os.environ.get("M4D_CORS_ORIGINS", DEFAULT_CORS_ORIGINS))
    allowed = parse_origins(app.config["CORS_ORIGINS"])

    @app.after_request
    def add_cors(response):
        if request.path not in CORS_PATHS or not allowed:
            return response
        headers = response.headers
        if allowed == "*":
            headers["Access-Control-Allow-Origin"] = "*"
        else:
            response.vary.add("Origin")
            origin = request.headers.get("Origin", "")
            if origin not in allowed:
                return response
            headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Expose-Headers"] = "X-Cache"
        if request.method == "OPTIONS":  # a preflight (a page sending custom headers)
            headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language, Content-Language, Content-Type"
            headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        return response
