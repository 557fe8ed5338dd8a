"""The value types that flow between stages: Page → Passage → Document."""
from __future__ import annotations

from dataclasses import dataclass, field

#: Document types, in the order the UI lists them.
DOC_TYPES = ("country-profile", "project", "case-study", "event", "news", "page")


@dataclass
class Page:
    """One fetched resource, before parsing."""

    url: str
    body: bytes
    content_type: str  # "text/html" or "text/plain"
    source: str = ""  # the crawl source (seed) this page was reached from
    encoding: str | None = None  # charset announced by the transport, if any


@dataclass
class Passage:
    """One heading or paragraph of a page, in reading order.

    HTML and plain text both become passages, so one listing splitter serves both.
    """

    text: str
    level: int = 0  # 1-6 for headings, 0 for paragraphs
    anchor: str | None = None  # id of the enclosing <article>/<section>, if any
    lang: str | None = None  # nearest lang attribute, if any
    href: str | None = None  # absolute URL when the whole passage is one link
    teaser: bool = False  # an indented excerpt ending in an ellipsis (plain text)
    css: str = ""  # class attribute (HTML), a hint such as "labels" or "project-title"
    date: str | None = None  # "YYYY-MM-DD" of the first <time> inside it (``parse.dates``), if any

    @property
    def is_heading(self) -> bool:
        return self.level > 0


@dataclass
class ParsedPage:
    """What extraction reads off a page."""

    url: str  # canonical URL: <link rel=canonical> if present, else the fetched URL
    title: str
    lang: str | None  # <html lang>, normalized to its primary subtag
    passages: list[Passage]
    links: list[str] = field(default_factory=list)  # absolute URLs to follow
    alternates: dict[str, str] = field(default_factory=dict)  # hreflang → absolute URL
    source: str = ""
    noindex: bool = False
    nofollow: bool = False
    limited: list[str] = field(default_factory=list)  # what the per-page caps cut (indexer.parse.limits)
    redirect: str | None = None  # a redirect stub's target (absolute URL): a meta refresh and no text of its own
    date: str | None = None  # "YYYY-MM-DD" the page's meta tags or JSON-LD declare (``parse.dates``), if any


@dataclass
class Document:
    """One searchable unit (DESIGN.md data model)."""

    id: str
    url: str
    title: str
    text: str
    lang: str = "und"
    type: str = "page"
    country: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    group: str = ""
    date: str | None = None  # "YYYY-MM-DD": published, or an event's day; None when the page does not say
    source: str = ""
    alternates: dict[str, str] = field(default_factory=dict)  # hreflang → URL (for grouping)
    listing: str = ""  # id of the listing the document was cut from, with its position
    position: int = 0
    theme_labels: list[str] = field(default_factory=list)  # raw labels as the page wrote them
    country_labels: list[str] = field(default_factory=list)
