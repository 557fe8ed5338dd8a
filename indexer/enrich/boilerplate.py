"""Boilerplate by repetition: the lines a site repeats on most of its pages (a footer, a
disclaimer, a sidebar in plain ``<div>``s that extraction cannot tell from content).

Run once per crawl over all documents, before enrichment (``strip_repeated``). A document's
text is its passages joined by newlines (``parse.listing``), so a repeated passage is a
repeated line. Per site, a line found in at least half of its whole pages (and in at least
``MIN_REPEATS`` of them) is removed from each; the title is a field of its own and stays.
"""
from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from urllib.parse import urlsplit

from indexer.model import Document
from indexer.parse.listing import structure
from indexer.text.analyzers import fold

log = logging.getLogger(__name__)

#: Whole pages a site must have for its repeated lines to be told from its content.
MIN_PAGES = 5
#: Pages a line must be found in (besides half of the site's pages) to be boilerplate.
MIN_REPEATS = 3
#: A field line ("País: Ecuador", "Área temática: …", "Palabras clave: …"): a short label, a
#: colon, a value. Fields are data, never boilerplate, however often they repeat.
_FIELD = re.compile(r"\s*[^\W\d_][\w'’. -]{0,40}?\s?:\s*\S")


def strip_repeated(docs: list[Document]) -> int:
    """Remove from each whole page the lines repeated across its site (in place); return how
    many lines were removed.

    A site is a URL's host (a local document's: the crawled folder, its id's first segment).
    Documents cut from a listing (``listing`` set) are never read nor changed; neither are
    field lines (``_FIELD``) nor lines naming a country profile (enrichment reads them). A
    page whose every line is repeated keeps its text as it is.
    """
    by_site: dict[str, list[Document]] = defaultdict(list)
    for doc in docs:
        if not doc.listing and doc.text:
            by_site[_site(doc.url)].append(doc)
    removed = 0
    for site, pages in by_site.items():
        if len(pages) >= MIN_PAGES:
            cut = _strip_site(pages)
            if cut:
                log.info("removed %d repeated lines from %d pages of %s", cut, len(pages), site)
            removed += cut
    return removed


def _strip_site(pages: list[Document]) -> int:
    """Remove the lines repeated on pages (one site's whole pages); return how many."""
    lines_of = [doc.text.split("\n") for doc in pages]
    counts: Counter[str] = Counter()
    for lines in lines_of:
        counts.update({line for line in lines if line.strip()})  # a page counts a line once
    least = max(MIN_REPEATS, (len(pages) + 1) // 2)
    repeated = {line for line, n in counts.items() if n >= least and not _kept(line)}
    if not repeated:
        return 0
    removed = 0
    for doc, lines in zip(pages, lines_of, strict=True):
        rest = [line for line in lines if line not in repeated]
        if len(rest) == len(lines) or not any(line.strip() for line in rest):
            continue  # nothing repeated here, or nothing would be left: the page keeps its text
        removed += len(lines) - len(rest)
        doc.text = "\n".join(rest)
    return removed


def _kept(line: str) -> bool:
    """Return whether a repeated line must stay: a field line, or one naming a country profile."""
    if _FIELD.match(line):
        return True
    head = fold(line[:300])
    return any(marker in head for marker in structure()["profile_markers"])


def _site(url: str) -> str:
    """Return the site of a document's URL: its host, or a local id's first segment."""
    parts = urlsplit(url)
    if parts.netloc:
        return parts.netloc.lower()
    return parts.path.lstrip("/").split("/", 1)[0]
