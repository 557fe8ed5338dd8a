"""HTML pages: the search page renders the same dict as /api/search."""
from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from babel import Locale, UnknownLocaleError
from flask import Blueprint, render_template
from markupsafe import Markup

from indexer.search.results import facet_label
from indexer.settings import FACETS

from .handle import get_index
from .params import search_args

bp = Blueprint("views", __name__)

#: Pages shown around the current one in the pager.
PAGER_SPAN = 2


@bp.get("/")
@bp.get("/search")
def search():
    """Show the search box, results and facets."""
    return render_search()


def render_search(adjust=None) -> str:
    """Run the request's search and render the page (adjust: body → body, for tests)."""
    args = search_args()
    body = get_index().search(**args)
    if adjust is not None:
        body = adjust(body)
    chosen = [(f, v) for f in FACETS for v in args["filters"].get(f, [])]
    return render_template("search.html", body=body, args=args, chosen=chosen,
                           pager=pager(body["page"], body["pages"]))


def pager(page: int, pages: int) -> list[int | None]:
    """Return the page numbers to show, None standing for a gap: 1 … 4 5 [6] 7 8 … 20."""
    shown = {1, pages, *range(max(1, page - PAGER_SPAN), min(pages, page + PAGER_SPAN) + 1)}
    out: list[int | None] = []
    for n in sorted(shown):
        gap = n - out[-1] if out else 1
        if gap == 2:  # a gap of one page: show the page, not an ellipsis
            out.append(n - 1)
        elif gap > 2:
            out.append(None)
        out.append(n)
    return out


@bp.app_template_global()
def label(facet: str, value: str, ui: str) -> str:
    """Return the display label of a facet value in the UI language."""
    return facet_label(facet, value, ui)


#: Languages written right to left, for when Babel does not know a tag's locale.
RTL_LANGS = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ku-Arab", "ps", "sd", "syr", "ug", "ur",
                       "yi"})


@bp.app_template_global()
@lru_cache(maxsize=1024)
def text_dir(lang: str | None) -> str:
    """Return the writing direction of a document's language tag: "rtl", "ltr", or "auto"
    when it is unknown (``und``): the value of a ``dir`` attribute around the document's text."""
    if not lang or lang == "und":
        return "auto"
    try:
        return Locale.parse(lang, sep="-").text_direction
    except (ValueError, TypeError, UnknownLocaleError):
        primary = lang.split("-", 1)[0]
        return "rtl" if lang in RTL_LANGS or primary in RTL_LANGS else "ltr"


@bp.app_template_filter("lang_code")
def lang_code(lang: str | None) -> str:
    """Return a language tag as a result's badge shows it: the language in capitals, its script
    and region as BCP 47 writes them ("es" → "ES", "zh-Hant" → "ZH-Hant", "pt-BR" → "PT-BR")."""
    primary, sep, rest = (lang or "").partition("-")
    return primary.upper() + sep + rest


_MARK = re.compile(r"(</?mark>)")


@bp.app_template_filter("snippet")
def snippet_html(snippet: str) -> Markup:
    """Return a snippet as markup that can hold ``<mark>`` and nothing else.

    The search side already escapes the text; this keeps any other ``<`` inert should a
    snippet ever arrive unescaped.
    """
    parts = _MARK.split(snippet or "")
    return Markup("".join(p if _MARK.fullmatch(p) else p.replace("<", "&lt;").replace(">", "&gt;")
                          for p in parts))


@bp.app_template_global()
def display_url(url: str) -> str:
    """Return a short, readable form of a link: host and path, decoded, without the scheme."""
    parts = urlsplit(url)
    text = (parts.netloc + unquote(parts.path)) if parts.scheme in ("http", "https") else unquote(parts.path)
    return text + (f"#{unquote(parts.fragment)}" if parts.fragment else "")
