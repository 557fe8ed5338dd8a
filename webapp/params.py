"""Read search parameters from a request, the same for the page and the API."""
from __future__ import annotations

from flask import current_app, request

from indexer.errors import SearchError
from indexer.settings import FACETS, SORTS, UI_LANGS


def search_args() -> dict:
    """Return keyword arguments for ``SearchIndex.search`` from the query string."""
    args = request.args
    page = args.get("page") or "1"  # an empty field means the default, as a form sends it
    per_page = args.get("per_page") or str(current_app.config["PER_PAGE"])
    collapse = args.get("collapse", "")
    if collapse not in ("", "translations", "none"):
        raise SearchError("collapse must be 'translations' or 'none'")
    sort = args.get("sort") or SORTS[0]  # checked by the search, as the CLI's
    exact = args.get("exact", "")
    if exact not in ("", "0", "1"):
        raise SearchError("exact must be 1 (search the words as typed, no correction) or 0")
    return {
        "q": args.get("q", ""),
        "filters": {f: args.getlist(f) for f in FACETS if args.getlist(f)},
        "page": page, "per_page": per_page,
        "collapse": collapse == "translations",
        "ui": ui_lang(),
        "exact": exact == "1",
        "sort": sort,
    }


def ui_lang() -> str:
    """Return the UI language: ``?ui=``, else Accept-Language, else English.

    ``?ui=`` accepts a region too (``es-EC``); another language is a 400, like any other
    bad parameter.
    """
    chosen = request.args.get("ui", "").strip()
    if chosen:
        code = chosen.lower().replace("_", "-").split("-", 1)[0]
        if code not in UI_LANGS:
            raise SearchError(f"ui must be one of {', '.join(UI_LANGS)}")
        return code
    return request.accept_languages.best_match(UI_LANGS) or "en"
