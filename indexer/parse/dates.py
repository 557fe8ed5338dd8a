"""Dates: when a document was published, or when its event takes place, as ISO "YYYY-MM-DD".

Read from what a page declares (``page_date``: its meta tags and JSON-LD), from its
``<time>`` elements (``time_date``, per passage, so each document of a listing gets the
times of its own region) and, for news and event items, from a date written in their text
in English, Spanish or French (``text_date``: "November 12-13, 2015", "12 de noviembre de
2015", "12 novembre 2015"), with the month names of Babel's CLDR data.

Only certain dates count: a day, a month and a year, or a month and a year (dated to its
first day); a year alone ("since 2008") never does, nor a date that is ambiguous in the
three languages ("12/11/2015").
"""
from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache

from babel.dates import get_month_names

from indexer.parse.regions import clean, element_text
from indexer.text.analyzers import fold

#: The languages whose month names a text date may use.
MONTH_LOCALES = ("en", "es", "fr")
#: Characters of a meta tag's or a ``<time>``'s value read; of one JSON-LD script; JSON-LD
#: scripts read per page; how deep into one the dates are looked for.
MAX_VALUE_CHARS = 64
MAX_JSON_LD_CHARS = 100_000
MAX_JSON_LD_SCRIPTS = 5
MAX_JSON_LD_DEPTH = 6
#: Characters of a text read for a date written in it (a news item's or event's is near its start).
MAX_TEXT_CHARS = 5_000
#: Years a date may have.
MIN_YEAR, MAX_YEAR = 1000, 2999

#: Meta tags (``name``, ``property`` or ``itemprop``, lower case) that date a page, by rank:
#: the date it was published (or an event's start), then a date of unstated kind, then the
#: date it was last changed. The best rank wins; within one, the first in the page.
META_RANKS = {
    **dict.fromkeys(("article:published_time", "og:published_time", "datepublished", "citation_publication_date",
                     "citation_online_date", "dc.date.issued", "dcterms.issued", "pubdate", "publishdate",
                     "publish_date", "publish-date", "startdate"), 0),
    **dict.fromkeys(("date", "dc.date", "dcterms.date", "dc.date.created", "dcterms.created", "citation_date",
                     "datecreated"), 1),
    **dict.fromkeys(("article:modified_time", "og:updated_time", "dc.date.modified", "dcterms.modified",
                     "datemodified", "last-modified"), 2),
}
#: JSON-LD keys that date the object holding them, by the same ranks (``startDate`` only on
#: an event).
JSON_LD_RANKS = {"datePublished": 0, "dateCreated": 1, "dateModified": 2}

#: A date value: year first, "-" or "/" between its parts ("2015/11/12": citation_date's),
#: then any time of day.
_ISO = re.compile(r"\s*(\d{4})([-/])(\d{1,2})(?:\2(\d{1,2}))?(?:[T\s].*)?\s*", re.S)
_ISO_IN_TEXT = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")


def iso_date(value: str | None) -> str | None:
    """Return a date or date-time value, year first ("2015-11-12", "2015-11-12T09:00:00+01:00",
    "2015/11/12", "2015-11": its first day) as "YYYY-MM-DD"; None for anything else (a year
    alone, a time, a duration, a value that is no calendar date)."""
    if not value:
        return None
    m = _ISO.fullmatch(value[:MAX_VALUE_CHARS])
    if m is None:
        return None
    return _checked(int(m.group(1)), int(m.group(3)), int(m.group(4) or 1))


def _checked(year: int, month: int, day: int) -> str | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def meta_dates(el) -> list[tuple[int, str]]:
    """Return the (rank, date) a ``<meta>`` element gives the page (``META_RANKS``: by its
    ``property``, ``name`` or ``itemprop``), or nothing."""
    for attribute in ("property", "name", "itemprop"):
        rank = META_RANKS.get((el.get(attribute) or "").strip().lower())
        if rank is not None:
            value = (el.get("content") or "")[:MAX_VALUE_CHARS]
            day = iso_date(value) or text_date(value)
            return [(rank, day)] if day else []
    return []


def time_date(el) -> str | None:
    """Return the date of the first ``<time>`` in el (el itself included) that gives one: its
    ``datetime`` attribute, else its text."""
    for t in el.iter("time"):
        value = t.get("datetime")
        if value is not None:
            day = iso_date(value)
        else:
            text = clean(element_text(t))[:MAX_VALUE_CHARS]
            day = iso_date(text) or text_date(text)
        if day:
            return day
    return None


def json_ld_dates(script: str) -> list[tuple[int, str]]:
    """Return the (rank, date) pairs a JSON-LD script gives its objects, in their order: an
    object's ``datePublished``, ``dateCreated``, ``dateModified``, and an event's
    ``startDate`` (rank 0). A script that is not JSON gives none."""
    if len(script) > MAX_JSON_LD_CHARS:
        return []
    try:
        data = json.loads(script)
    except (ValueError, RecursionError):
        return []
    found: list[tuple[int, str]] = []
    _walk_json(data, found, 0)
    return found


def _walk_json(node, found: list, depth: int) -> None:
    if depth > MAX_JSON_LD_DEPTH:
        return
    if isinstance(node, list):
        for item in node:
            _walk_json(item, found, depth + 1)
        return
    if not isinstance(node, dict):
        return
    kinds = node.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    keys = dict(JSON_LD_RANKS)
    if any(isinstance(k, str) and k.endswith("Event") for k in kinds):
        keys["startDate"] = 0
    for key, rank in keys.items():
        value = node.get(key)
        day = iso_date(value) if isinstance(value, str) else None
        if day:
            found.append((rank, day))
    for value in node.values():
        if isinstance(value, (dict, list)):
            _walk_json(value, found, depth + 1)


def best_date(candidates: list[tuple[int, str]]) -> str | None:
    """Return the date of the best rank (the first of that rank), or None."""
    best = None
    for rank, day in candidates:
        if best is None or rank < best[0]:
            best = (rank, day)
    return best[1] if best else None


# Dates written in text


@lru_cache(maxsize=1)
def month_numbers() -> dict[str, int]:
    """Return each month name of ``MONTH_LOCALES`` (wide and abbreviated, as CLDR writes them
    in running text and alone), folded and without a final dot → its month number."""
    names: dict[str, int] = {}
    for locale in MONTH_LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale).items():
                    names.setdefault(fold(name).rstrip("."), number)
    return names


_ORDINAL = r"(?:st|nd|rd|th|er|re|e|º|ª|°|o|\.º)?"
_DAY = r"(?P<{}>[0-3]?\d)" + _ORDINAL
_YEAR = r"(?P<year>\d{4})(?!\d)"
#: Words that join the first and last day of a range: "12-13", "12 to 13", "del 12 al 13", "du 12 au 13".
_RANGE = r"\s*(?:-|–|—|/|&|to|and|through|until|y|al|a|hasta|et|au)\s*"


@lru_cache(maxsize=1)
def _text_patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    """Return the patterns of a date in folded text: month first (English), day first (the
    three languages), and a month with its year alone."""
    names = sorted(month_numbers(), key=len, reverse=True)
    month = r"(?P<month>" + "|".join(map(re.escape, names)) + r")\.?"
    other_month = r"(?:" + "|".join(map(re.escape, names)) + r")\.?"
    # "November 12, 2015", "Nov. 12-13, 2015", "November 30 – December 2, 2015", "November 12th 2015"
    month_first = re.compile(
        r"(?<!\w)" + month + r"\s+" + _DAY.format("day") + r"(?!\d)"
        + r"(?:" + _RANGE + r"(?:" + other_month + r"\s+)?[0-3]?\d" + _ORDINAL + r"(?!\d))?"
        + r",?\s+" + _YEAR)
    # "12 November 2015", "12-13 novembre 2015", "12 de noviembre de 2015", "1er novembre 2015",
    # "12 de noviembre al 2 de diciembre de 2015"
    day_first = re.compile(
        r"(?<![\w.,])" + _DAY.format("day") + r"(?:" + _RANGE + r"(?:[0-3]?\d" + _ORDINAL + r"))?"
        + r"\s+(?:(?:de|of)\s+)?" + month
        + r"(?:" + _RANGE + r"[0-3]?\d" + _ORDINAL + r"\s+(?:(?:de|of)\s+)?" + other_month + r")?"
        + r",?\s+(?:(?:de|del)\s+)?" + _YEAR)
    # "November 2015", "noviembre de 2015", "novembre 2015"
    month_year = re.compile(r"(?<!\w)" + month + r",?\s+(?:(?:de|del)\s+)?" + _YEAR)
    return month_first, day_first, month_year


def text_date(text: str) -> str | None:
    """Return the first date written in text (English, Spanish or French month names, or ISO
    "2015-11-12"), as "YYYY-MM-DD": a range's first day ("from November 12-13, 2015" →
    2015-11-12); a month and year alone when the text has no full date ("noviembre de 2015"
    → 2015-11-01). None when there is none: a year alone is not a date. Reads the first
    ``MAX_TEXT_CHARS`` characters."""
    if not text:
        return None
    folded = fold(text[:MAX_TEXT_CHARS])
    month_first, day_first, month_year = _text_patterns()
    numbers = month_numbers()
    found: list[tuple[int, str]] = []  # (where, date) of each pattern's first whole date
    spans = []  # where whole dates are written, valid or not ("31 February 2015")
    for pattern in (month_first, day_first):
        for m in pattern.finditer(folded):
            spans.append(m.span("month"))
            day = _checked(int(m.group("year")), numbers[m.group("month")], int(m.group("day")))
            if day:
                found.append((m.start(), day))
                break
    for m in _ISO_IN_TEXT.finditer(folded):
        day = _checked(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if day:
            found.append((m.start(), day))
            break
    if found:
        return min(found)[1]
    for m in month_year.finditer(folded):
        day = _checked(int(m.group("year")), numbers[m.group("month")], 1)
        if day and m.span("month") not in spans:
            return day
    return None
