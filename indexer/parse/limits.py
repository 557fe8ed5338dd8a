"""Bounds on what one page may cost the crawl.

A page nobody controls may be 20 MB, nested thousands deep, one enormous word, a hundred
thousand links or a label line with ten thousand themes. Each cap below keeps the work on
one page linear in a bounded input, so a page costs bounded time and memory whatever it
holds. What a cap cuts is noted on the page (``ParsedPage.limited``) and in the crawl
report; the readable part is still indexed. ``page_budget`` adds a wall-clock bound on top,
for anything the caps miss.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

from indexer.errors import PageTimeout

#: Characters of decoded markup (or plain text) parsed per page; the rest is not read.
MAX_MARKUP_CHARS = 2_000_000
#: Tags parsed per page: the parse tree, and so memory, grows with them.
MAX_ELEMENTS = 50_000
#: Characters of extracted text kept per page.
MAX_TEXT_CHARS = 500_000
#: Links per page handed to the crawler.
MAX_LINKS = 5_000
#: Characters of a title.
MAX_TITLE_CHARS = 300
#: Values of one label (countries, themes, keywords) per document, and characters of each.
MAX_LABEL_VALUES = 50
MAX_LABEL_CHARS = 120
#: Wall-clock seconds for extracting one page and splitting its listing.
PAGE_SECONDS = 30.0



def cap_markup(markup: str) -> tuple[str, list[str]]:
    """Cut markup to MAX_MARKUP_CHARS characters and MAX_ELEMENTS tags; return it and notes."""
    notes = []
    if len(markup) > MAX_MARKUP_CHARS:
        markup = markup[:MAX_MARKUP_CHARS]
        notes.append(f"read the first {MAX_MARKUP_CHARS} characters")
    if markup.count("<") > MAX_ELEMENTS:
        at = -1
        for _ in range(MAX_ELEMENTS + 1):
            at = markup.find("<", at + 1)
        markup = markup[:at]
        notes.append(f"read the first {MAX_ELEMENTS} tags")
    return markup, notes


def cap_text(text: str, limit: int = MAX_MARKUP_CHARS) -> tuple[str, list[str]]:
    """Cut plain text to limit characters; return it and notes."""
    if len(text) <= limit:
        return text, []
    return text[:limit], [f"read the first {limit} characters"]


def cap_passages(passages, notes: list[str]) -> list:
    """Take passages in order until MAX_TEXT_CHARS characters of text; the generator stops there."""
    kept, total = [], 0
    for passage in passages:
        room = MAX_TEXT_CHARS - total
        if len(passage.text) > room:
            if room > 0:
                passage.text = shorten(passage.text, room)
                kept.append(passage)
            notes.append(f"kept the first {MAX_TEXT_CHARS} characters of text")
            break
        kept.append(passage)
        total += len(passage.text)
    return kept


def cap_links(links: list[str], notes: list[str]) -> list[str]:
    """Keep the first MAX_LINKS links."""
    if len(links) > MAX_LINKS:
        notes.append(f"followed the first {MAX_LINKS} links")
        return links[:MAX_LINKS]
    return links


def shorten(text: str, limit: int) -> str:
    """Cut text to at most limit characters, at a space when one is near the end."""
    if len(text) <= limit:
        return text
    cut = text[:max(limit - 1, 0)]
    space = cut.rfind(" ", max(0, len(cut) - 40))
    if space > 0:
        cut = cut[:space]
    return cut.rstrip() + "…"


def cap_document(doc) -> None:
    """Bound a Document's title and label values in place."""
    doc.title = shorten(doc.title, MAX_TITLE_CHARS)
    for name in ("keywords", "theme_labels", "country_labels"):
        values = [shorten(v, MAX_LABEL_CHARS) for v in getattr(doc, name)[:MAX_LABEL_VALUES]]
        setattr(doc, name, values)


@contextmanager
def page_budget(seconds: float | None = None):
    """Raise PageTimeout in the ``with`` body once it has run for seconds (default PAGE_SECONDS).

    It uses SIGALRM, so it works in the main thread of a POSIX process (the CLI); elsewhere
    the body runs unbounded in time, still bounded by the caps above.
    """
    seconds = PAGE_SECONDS if seconds is None else seconds
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise PageTimeout(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
