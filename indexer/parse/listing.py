"""Listings: a ParsedPage → Documents. A listing page (a country profile) is split into its
items: each project, news excerpt, event and case-study abstract becomes its own Document
with a ``#fragment`` id; the rest of the page is the profile itself.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from indexer.model import Document, ParsedPage, Passage
from indexer.parse import dates
from indexer.parse import labels as label_line
from indexer.parse.sentences import TITLE_LIMIT, first_sentence
from indexer.text.analyzers import fold

_QUOTED = re.compile(r"^[“\"«‘']\s*(.+?)\s*[”\"»’']$")


@lru_cache(maxsize=1)
def structure() -> dict:
    """Return the section-heading vocabulary (``data/structure.json``)."""
    return json.loads(resources.files("indexer").joinpath("data/structure.json").read_text("utf-8"))


def section_kind(heading: str) -> str | None:
    """Return the document type a section heading announces, or None."""
    key = fold(heading).rstrip(" :").strip()
    for kind, names in structure()["sections"].items():
        if key in names:
            return kind
    return None


@dataclass
class _Item:
    kind: str
    anchor: str | None
    heading: Passage | None = None
    passages: list[Passage] = field(default_factory=list)


#: Document types whose text may date them (``dates.text_date``), and whose items without a
#: heading are titled with their whole first sentence, cut at a word boundary only past
#: WHOLE_SENTENCE_CHARS characters (other items: ``sentences.TITLE_LIMIT``).
DATED_BY_TEXT = ("event", "news")
WHOLE_SENTENCE_CHARS = 200
#: Characters of a page's text (after its title) read for a country-profile marker.
MARKER_CHARS = 300
#: A heading that reads as code: a call, a dotted name, backticks, an operator or a bracket.
_CODE_HEADING = re.compile(r"`|\w\s*\(.*\)|\w\.\w|[=<>{}\[\];]|::|=>")


def is_listing(page: ParsedPage) -> bool:
    """Whether a page is a listing to split, as the country profiles are: a profile marker
    ("Country Profile", "Perfil de país", …) in its title or the start of its text, or whole
    section headings of two kinds or more (projects and events, …) where no heading reads as
    code. A page with one "Events" heading (an API reference) is not a listing."""
    head = fold(" ".join([page.title, *(b.text for b in page.passages[:8])]))
    if any(marker in head[:len(fold(page.title)) + MARKER_CHARS] for marker in structure()["profile_markers"]):
        return True
    headings = [b.text for b in page.passages if b.is_heading]
    kinds = {kind for kind in map(section_kind, headings) if kind}
    return len(kinds) >= 2 and not any(_CODE_HEADING.search(h) for h in headings)


def split_listing(page: ParsedPage) -> list[Document]:
    """Cut a page into Documents: the page itself (if it has text) and, on a listing page
    (``is_listing``), its listed items."""
    root: list[Passage] = []
    items: list[_Item] = []
    section: tuple[str, int, str | None] | None = None  # kind, heading level, anchor
    item_level: int | None = None
    current: _Item | None = None
    listing = is_listing(page)
    for b in page.passages:
        kind = section_kind(b.text) if listing and b.is_heading else None
        if kind:
            section, item_level, current = (kind, b.level, b.anchor), None, None
            continue
        if section and b.is_heading and b.level < section[1]:
            section = current = None
        if section is None:
            root.append(b)
            continue
        skind, _, sanchor = section
        if b.teaser and skind not in ("event", "news"):
            # An excerpt standing alone among projects is a news teaser that lost its heading.
            items.append(_Item("news", b.anchor if b.anchor != sanchor else None, passages=[b]))
            current = None
        elif b.is_heading and (item_level is None or b.level <= item_level):
            item_level = b.level
            current = _Item(skind, b.anchor if b.anchor != sanchor else None, heading=b)
            items.append(current)
        elif b.is_heading and current is not None:
            current.passages.append(b)
        elif skind == "case-study" or current is None or _starts_new_item(b, current, sanchor, skind):
            current = _Item(skind, b.anchor if b.anchor != sanchor else None, passages=[b])
            items.append(current)
        else:
            current.passages.append(b)

    docs = []
    root_doc = _document(page, page.url, page.title, root, "page")
    if root_doc is not None:
        root_doc.date = page.date or _time_date(root)
        docs.append(root_doc)
    counters: dict[str, int] = {}
    for item in items:
        if item.kind == "case-study" and item.heading is None and len(item.passages) == 1 \
                and item.passages[0].href:
            continue  # a link to the case study's own page, which is indexed from there
        counters[item.kind] = counters.get(item.kind, 0) + 1
        n = counters[item.kind]
        anchor = item.anchor or f"{item.kind}-{n}"
        title = _item_title(item)
        doc = _document(page, f"{page.url}#{anchor}", title, item.passages, item.kind)
        if doc is not None:
            doc.listing, doc.position = page.url, n
            doc.date = _item_date(item, doc)
            docs.append(doc)
    return docs


def _time_date(passages: list[Passage]) -> str | None:
    """Return the date of the first ``<time>`` among passages."""
    return next((b.date for b in passages if b.date), None)


def _item_date(item: _Item, doc: Document) -> str | None:
    """Return a listing item's date: its own region's first ``<time>``, else, for news and
    events, the first date its text writes."""
    found = _time_date(([item.heading] if item.heading else []) + item.passages)
    if found is None and item.kind in DATED_BY_TEXT:
        found = dates.text_date(doc.text)
    return found


def _starts_new_item(b: Passage, current: _Item, sanchor: str | None, skind: str) -> bool:
    if b.anchor and b.anchor != sanchor and b.anchor != current.anchor:
        return True
    # Events and news without headings or anchors: one paragraph each.
    return skind in ("event", "news") and current.heading is None and not b.anchor


def _item_title(item: _Item) -> str:
    for b in item.passages[:1]:
        m = _QUOTED.match(b.text)
        if m or "title" in b.css:
            return m.group(1) if m else b.text
    if item.heading is not None and not re.fullmatch(r"\D+ \d+", item.heading.text):
        return item.heading.text
    first = next((b.text for b in item.passages if not b.is_heading), "")
    parsed = label_line.parse(first)
    if parsed is not None:
        first = parsed.rest
    limit = WHOLE_SENTENCE_CHARS if item.kind in DATED_BY_TEXT else TITLE_LIMIT
    return first_sentence(first, limit) or (item.heading.text if item.heading else "")


def _document(page: ParsedPage, doc_id: str, title: str, passages: list[Passage],
              kind: str) -> Document | None:
    """Build one Document from passages, reading its label line into fields."""
    parts: list[str] = []
    found = None
    lang = None
    for b in passages:
        if b.is_heading and b.text == title:
            continue
        if lang is None and b.lang:
            lang = b.lang
        if found is None and not b.is_heading:
            parsed = label_line.parse(b.text)
            if parsed is not None:
                found = parsed
                if parsed.rest:
                    parts.append(parsed.rest)
                continue
        if _QUOTED.match(b.text) and _QUOTED.match(b.text).group(1) == title:
            continue
        parts.append(b.text)
    text = "\n".join(parts)
    if not text and found is None:
        return None
    doc = Document(id=doc_id, url=doc_id, title=title, text=text, lang=lang or page.lang or "und",
                   type=kind, source=page.source, alternates=dict(page.alternates) if kind == "page" else {})
    if found is not None:
        doc.country_labels, doc.theme_labels, doc.keywords = found.country, found.theme, found.keywords
        if doc.type == "page":
            doc.type = "case-study"
    return doc
