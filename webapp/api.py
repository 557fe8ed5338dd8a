"""The JSON API: /api/search, /api/suggest, /opensearch.xml, /healthz."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from indexer.errors import IndexUnavailable, SearchError
from indexer.settings import MAX_QUERY_CHARS

from .handle import get_index
from .params import search_args, ui_lang

bp = Blueprint("api", __name__)


@bp.get("/api/search")
def search():
    """Answer a search as the DESIGN.md body (``X-Cache: hit|miss`` tells whether it was cached)."""
    ix = get_index()
    response = jsonify(ix.search(**search_args()))
    response.headers["X-Cache"] = "hit" if ix.last_search_cached() else "miss"
    return response


@bp.get("/api/suggest")
def suggest():
    """Complete the last word of q, in the OpenSearch suggestions format."""
    q = request.args.get("q", "")
    if len(q) > MAX_QUERY_CHARS:
        raise SearchError(f"query is longer than {MAX_QUERY_CHARS} characters")
    return jsonify([q, get_index().suggest(q)])


@bp.get("/healthz")
def healthz():
    """Report that the index opens, with its document count; 503 with the reason when it
    does not (missing, damaged, in another format)."""
    try:
        documents = get_index().doc_count()
    except IndexUnavailable as exc:
        return jsonify(status="unavailable", error=str(exc)), 503
    return jsonify(status="ok", documents=documents)


@bp.get("/opensearch.xml")
def opensearch():
    """Describe the search for browsers (OpenSearch 1.1), with the page and suggestion URLs."""
    ui = request.args.get("ui") and ui_lang()
    body = render_template("opensearch.xml", ui=ui)
    return body, 200, {"Content-Type": "application/opensearchdescription+xml; charset=utf-8"}
