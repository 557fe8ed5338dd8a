"""The one error handler: JSON ``{"error": …}`` under /api/, a page elsewhere.

A 400 (a bad parameter, a query refused, a page past the last) is the search page itself,
its form holding the query and the message in place of the results, so the search can be
mended where it was typed; other errors get the error page.
"""
from __future__ import annotations

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer.errors import IndexUnavailable, SearchError

from .views import render_refused


def _respond(status: int, message: str):
    if request.path.startswith("/api/"):
        return jsonify(error=message), status
    if status == 400 and request.endpoint == "views.search":
        return render_refused(message), status
    return render_template("error.html", status=status, message=message), status


def init_app(app) -> None:
    """Register the error handlers."""

    @app.errorhandler(SearchError)
    def bad_request(exc):
        return _respond(400, str(exc))

    @app.errorhandler(IndexUnavailable)  # missing, or in another format of the index (``--rebuild``)
    def no_index(exc):
        return _respond(503, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return _respond(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unexpected error on %s", request.path)
        return _respond(500, "internal error; the request was logged")
