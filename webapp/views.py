"""HTML pages: the search page renders the same dict as /api/search."""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal
from flask import Blueprint, render_template, request
from flask_babel import format_date, get_locale
from markupsafe import Markup

from indexer.search.results import facet_label
from indexer.settings import FACETS

from .handle import get_index
from .params import search_args

bp = Blueprint("views", __name__)

#: Pages shown around the current one in the pager.
PAGER_SPAN = 2

#: The markup a snippet or a highlighted title may hold: a word typed (or its correction or
#: completion) and, with class "alt", its translation or another language's form.
_ALT = '<mark class="alt">'
_MARK = re.compile(r'(<mark>|<mark class="alt">|</mark>)')


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
    shown, folded = facet_groups(body, args["filters"])
    return render_template("search.html", body=body, args=args, chosen=chosen, error=None,
                           shown_facets=shown, folded_facets=folded,
                           pager=pager(body["page"], body["pages"]))


def render_refused(message: str) -> str:
    """Render the search page for a search that cannot be run (a 400): the form keeps the
    query, and the message takes the place of the results."""
    empty = {"query": request.args.get("q", ""), "total": 0, "page": 1, "per_page": 0, "pages": 1,
             "results": [], "facets": {}}
    return render_template("search.html", body=empty, args={"filters": {}, "collapse": False}, chosen=[],
                           error=message, shown_facets=[], folded_facets=[], pager=[])


def facet_groups(body: dict, filters: dict[str, list[str]]) -> tuple[list[str], list[tuple[str, dict]]]:
    """Split the facets into those worth a list and those folded to a note: a facet whose one
    value holds every result, and is not a chosen filter, tells nothing to choose from."""
    shown: list[str] = []
    folded: list[tuple[str, dict]] = []
    for facet in FACETS:
        items = body["facets"].get(facet) or []
        if not items:
            continue
        only = items[0]
        if (len(items) == 1 and body["total"] and only["count"] == body["total"]
                and only["value"] not in filters.get(facet, [])):
            folded.append((facet, only))
        else:
            shown.append(facet)
    return shown, folded


_WORDS = re.compile(r"\w+")


@bp.app_template_global()
def match_notes(hit: dict) -> list[dict]:
    """Return why a hit matched, as far as its marks do not show it: the ``matched`` entries
    that came through a translation or a label (its theme or country named by the query),
    and the words typed too when neither the title nor the snippet marks one (a word also
    named as a label is told once, as the label)."""
    matched = hit.get("matched") or []
    marked = "<mark" in (hit.get("title_html") or "") or "<mark" in (hit.get("snippet") or "")
    others = [m for m in matched if m.get("via") != "typed"]
    if marked:  # the marks show the words typed: tell only what they cannot
        shown = {w for m in matched if m.get("via") in ("typed", "translation")
                 for w in _WORDS.findall(m.get("text", "").casefold())}
        # a label whose every word is already marked ("Ecuador" on a page saying Ecuador) is not
        # told again; one the page does not say ("Ecuador" on a French page saying Equateur) is
        return [m for m in others if m.get("via") != "label"
                or not set(_WORDS.findall(m.get("text", "").casefold())) <= shown]
    named = {m.get("text", "").casefold() for m in others}
    return [m for m in matched if m.get("via") != "typed" or m.get("text", "").casefold() not in named]


@bp.app_template_global()
def has_alt_marks(results: list[dict]) -> bool:
    """Return whether a hit marks a translation (``<mark class="alt">``): the page explains it."""
    return any(_ALT in (hit.get("snippet") or "") or _ALT in (hit.get("title_html") or "") for hit in results)


@bp.app_template_filter("date_text")
def date_text(iso: str | None) -> str:
    """Return a YYYY-MM-DD date as the UI language writes it (CLDR's long form: "November 12,
    2015", "12 de noviembre de 2015", "12 novembre 2015"), "" when absent or not a date."""
    try:
        return format_date(date.fromisoformat(iso or ""), "long")
    except (TypeError, ValueError):
        return ""


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


@bp.app_template_filter("snippet")
def snippet_html(snippet: str) -> Markup:
    """Return a snippet as markup that can hold ``<mark>`` (a word typed, or its correction
    or completion), ``<mark class="alt">`` (its translation or another language's form) and
    ``</mark>``, and nothing else.

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


@bp.app_template_filter("whole")
def count_text(number) -> str:
    """Return a whole number as the interface's language writes it ("1,234", "1 234"), as
    Flask-Babel's ``numberformat`` does, kept per number and locale (Babel looks up the
    locale's symbols on every call: a fifth of a page's rendering with 30 facet counts)."""
    return _count_text(int(number), str(get_locale() or "en"))


@lru_cache(maxsize=4096)
def _count_text(number: int, locale: str) -> str:
    return format_decimal(number, locale=locale)
