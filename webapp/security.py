"""Security headers on every response.

The pages load only the app's own script and stylesheet (no inline script or style, no
CDN), so the Content-Security-Policy can forbid everything else. Queries are in URLs, so
the Referrer-Policy keeps them from the sites a result links to.
"""
from __future__ import annotations

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app) -> None:
    """Add the headers to every response (a view may set a stricter CSP of its own)."""

    @app.after_request
    def add_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
