"""Links of the search page: the current search with one thing changed.

Every link keeps the query, the filters and the display settings (``per_page``,
``collapse``, ``ui``) of the current request, so the page works as plain links and forms
without JavaScript. A link that changes what is searched goes back to page 1.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import request, url_for

from indexer.settings import FACETS, MAX_QUERY_CHARS, UI_LANGS

#: The parameters a search link carries, in the order they appear in a URL.
KEPT = ("q", *FACETS, "collapse", "per_page", "ui")


def _pairs(drop_page: bool = True) -> list[tuple[str, str]]:
    args = request.args
    pairs: list[tuple[str, str]] = []
    for name in KEPT:
        if name in FACETS:  # the form the search uses, so a toggle finds its own value
            values = dict.fromkeys(v.strip().lower() for v in args.getlist(name))
        else:
            values = args.getlist(name)[:1]
        pairs += [(name, v) for v in values if v.strip() and (name != "ui" or _valid_ui(v))]
    if not drop_page and args.get("page"):
        pairs.append(("page", args["page"]))
    return pairs


def _valid_ui(value: str) -> bool:
    return value.strip().lower().replace("_", "-").split("-", 1)[0] in UI_LANGS


def _url(pairs: list[tuple[str, str]]) -> str:
    base = url_for("views.search")
    return f"{base}?{urlencode(pairs)}" if pairs else base


def page_url(page: int) -> str:
    """Return the current search at another page."""
    pairs = _pairs()
    if page > 1:
        pairs.append(("page", str(page)))
    return _url(pairs)


def toggle_url(facet: str, value: str) -> str:
    """Return the current search with one facet value added, or removed if chosen."""
    pairs = _pairs()
    if (facet, value) in pairs:
        pairs.remove((facet, value))
    else:
        pairs.append((facet, value))
    return _url(_ordered(pairs))


def clear_url(facet: str | None = None) -> str:
    """Return the current search without one facet's filters, or without any filter."""
    drop = FACETS if facet is None else (facet,)
    return _url([(k, v) for k, v in _pairs() if k not in drop])


def query_url(q: str) -> str:
    """Return the current search with another query (a spelling suggestion)."""
    return _url(_ordered([("q", q)] + [(k, v) for k, v in _pairs() if k != "q"]))


def ui_url(lang: str) -> str:
    """Return the current page in another UI language (same query, filters and page)."""
    pairs = [(k, v) for k, v in _pairs(drop_page=False) if k != "ui"]
    pairs.append(("ui", lang))
    return _url(_ordered(pairs))


def home_url() -> str:
    """Return the empty search page, in the chosen UI language if one was asked for."""
    ui = request.args.get("ui", "")
    return url_for("views.search", ui=ui) if _valid_ui(ui) else url_for("views.search")


def api_url() -> str:
    """Return the current search as /api/search."""
    pairs = _pairs(drop_page=False)
    base = url_for("api.search")
    return f"{base}?{urlencode(_ordered(pairs))}" if pairs else base


def hidden_fields() -> list[tuple[str, str]]:
    """Return the display settings the search form carries as hidden inputs (``collapse``
    is a checkbox of the form, so it is not among them)."""
    return [(k, v) for k, v in _pairs() if k in ("per_page", "ui")]


def _ordered(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    order = {name: i for i, name in enumerate((*KEPT, "page"))}
    return sorted(pairs, key=lambda kv: order.get(kv[0], len(order)))


def init_app(app) -> None:
    """Make the link helpers available to templates."""
    app.jinja_env.globals.update(page_url=page_url, toggle_url=toggle_url, clear_url=clear_url,
                                 query_url=query_url, ui_url=ui_url, home_url=home_url,
                                 api_url=api_url, hidden_fields=hidden_fields, facets=FACETS,
                                 max_query_chars=MAX_QUERY_CHARS,
                                 kept_params=KEPT)
