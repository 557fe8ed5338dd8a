"""Links of the search page: the current search with one thing changed.

Every link keeps the query, the filters and the display settings (``collapse``, ``sort``,
``exact``, ``per_page``, ``ui``) of the current request, so the page works as plain links
and forms without JavaScript. A link that changes what is searched goes back to page 1; a
link to another query (a suggestion, a nearby word) drops ``exact``, so that query is
corrected as any typed one.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import request, url_for

from indexer.search.query import MIN_PREFIX_CHARS
from indexer.settings import FACETS, MAX_PER_PAGE, MAX_QUERY_CHARS, SORTS, UI_LANGS

#: The parameters a search link carries, in the order they appear in a URL.
KEPT = ("q", "exact", *FACETS, "collapse", "sort", "per_page", "ui")


def _pairs(drop_page: bool = True) -> list[tuple[str, str]]:
    args = request.args
    pairs: list[tuple[str, str]] = []
    for name in KEPT:
        if name in FACETS:  # the form the search uses, so a toggle finds its own value
            values = dict.fromkeys(v.strip().lower() for v in args.getlist(name))
        else:
            values = args.getlist(name)[:1]
        pairs += [(name, v) for v in values if v.strip() and _valid(name, v)]
    if not drop_page and args.get("page"):
        pairs.append(("page", args["page"]))
    return pairs


def _valid(name: str, value: str) -> bool:
    """Whether a link may carry this value: a refused setting (an unknown ``ui``, a
    ``per_page`` out of range) is not passed on, and defaults are left out."""
    if name == "ui":
        return _valid_ui(value)
    if name == "sort":
        return value in SORTS[1:]
    if name == "exact":
        return value == "1"
    if name == "per_page":
        return value.isascii() and value.isdigit() and len(value) <= 6 and 1 <= int(value) <= MAX_PER_PAGE
    return True


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
    """Return the current search with another query (a spelling suggestion, a nearby word)."""
    return _url(_ordered([("q", q)] + [(k, v) for k, v in _pairs() if k not in ("q", "exact")]))


def exact_url(q: str) -> str:
    """Return the current search with another query searched as typed (``exact=1``: no word
    of it corrected): "Search instead for …"."""
    return _url(_ordered([("q", q), ("exact", "1")] + [(k, v) for k, v in _pairs() if k not in ("q", "exact")]))


def sort_url(order: str) -> str:
    """Return the current search in another order (``relevance``, the default, or ``date``),
    from page 1."""
    pairs = [(k, v) for k, v in _pairs() if k != "sort"]
    if order != SORTS[0]:
        pairs.append(("sort", order))
    return _url(_ordered(pairs))


def current_sort() -> str:
    """Return the order the current search asks for."""
    order = request.args.get("sort", "")
    return order if order in SORTS else SORTS[0]


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
    """Return the settings the search form carries as hidden inputs (``collapse`` is a
    checkbox of the form, so it is not among them). ``exact`` is among them, so ticking a
    filter keeps the query uncorrected; the page's script drops it once the query is edited."""
    return [(k, v) for k, v in _pairs() if k in ("exact", "sort", "per_page", "ui")]


def _ordered(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    order = {name: i for i, name in enumerate((*KEPT, "page"))}
    return sorted(pairs, key=lambda kv: order.get(kv[0], len(order)))


def init_app(app) -> None:
    """Make the link helpers available to templates."""
    app.jinja_env.globals.update(page_url=page_url, toggle_url=toggle_url, clear_url=clear_url,
                                 query_url=query_url, exact_url=exact_url, sort_url=sort_url,
                                 current_sort=current_sort, sorts=SORTS, ui_url=ui_url, home_url=home_url,
                                 api_url=api_url, hidden_fields=hidden_fields, facets=FACETS,
                                 max_query_chars=MAX_QUERY_CHARS, min_prefix_chars=MIN_PREFIX_CHARS,
                                 kept_params=KEPT)
