"""Extract: a fetched Page (HTML or plain text) → ParsedPage of passages, links and metadata.

HTML is parsed once with lxml (libxml2's lenient HTML parser, the one BeautifulSoup's "lxml"
builder uses) and walked directly; the bytes are decoded first (``decode``).
"""
from __future__ import annotations

import re
from itertools import islice
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree

from indexer.errors import ExtractError
from indexer.model import Page, ParsedPage, Passage
from indexer.parse import dates, limits
from indexer.parse.decode import decode
from indexer.parse.regions import NO_TEXT as _NO_TEXT
from indexer.parse.regions import boilerplate, clean, main_regions
from indexer.parse.regions import child_nodes as _nodes
from indexer.parse.regions import element_text as _text
from indexer.parse.sentences import first_sentence
from indexer.text import taxonomy

__all__ = ["ExtractError", "decode", "extract", "extract_html", "extract_text", "clean", "first_sentence"]

#: Elements whose text is a paragraph of its own when they hold no other such element.
PASSAGE_TAGS = frozenset(
    "p h1 h2 h3 h4 h5 h6 li dt dd blockquote pre td th figcaption caption address summary".split())
#: Elements whose text never reaches the index.
SKIP = frozenset("script style noscript template svg math iframe object embed nav aside head "
                 "select button form input textarea canvas audio video".split())
#: Visible text (characters) a page with a meta refresh may hold and still be a redirect stub.
STUB_MAX_CHARS = 200
#: Longest meta refresh delay (seconds) that makes a redirect stub.
STUB_MAX_DELAY = 10.0
#: Schemes worth following.
FOLLOW_SCHEMES = ("http", "https", "file")

_ELLIPSIS_END = re.compile(r"(\.\.\.|…)\s*$")
_QUOTES = "“\"«‘'„"


def primary_lang(value: str | None) -> str | None:
    """Return a page's language tag as the index keeps it, or None when value is not one
    (``taxonomy.language_tag``): the primary subtag alone for en, es and fr ("es-EC" → "es"),
    script and region kept for the others ("zh_hant" → "zh-Hant", "pt-br" → "pt-BR")."""
    return taxonomy.language_tag(value)


def extract(page: Page) -> ParsedPage:
    """Parse a Page into a ParsedPage."""
    if page.content_type == "text/plain":
        return extract_text(page)
    return extract_html(page)


# HTML


def parse_html(markup: str):
    """Return the lxml document (``<html>`` root) of markup; None when it holds nothing."""
    parser = _PARSER
    try:
        root = lxml.html.document_fromstring(markup, parser=parser)
    except ValueError:  # a str with an XML encoding declaration: hand lxml the bytes
        parser = _UTF8_PARSER
        try:
            root = lxml.html.document_fromstring(markup.encode("utf-8"), parser=parser)
        except (ValueError, etree.ParserError):
            return None
    except etree.ParserError:  # "Document is empty"
        return None
    if any(e.type == _TOO_DEEP for e in parser.error_log):
        return _parse_deep(markup) or root
    return root


def _parse_deep(markup: str):
    """Parse a page nested deeper than libxml2 builds trees (2,048 levels, even with
    ``huge_tree``): its parser still reads it all when it hands the events to a Python tree
    builder, as BeautifulSoup does, only slower."""
    for data, encoding in ((markup, None), (markup.encode("utf-8"), "utf-8")):
        parser = etree.HTMLParser(target=etree.TreeBuilder(), huge_tree=True, encoding=encoding)
        try:
            parser.feed(data)
            return parser.close()
        except (ValueError, etree.LxmlError):
            continue
    return None


# huge_tree: no depth limit (libxml2 otherwise drops what lies past 256 levels).
_PARSER = lxml.html.HTMLParser(huge_tree=True)
_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8", huge_tree=True)
_TOO_DEEP = etree.ErrorTypes.ERR_RESOURCE_LIMIT  # libxml2's "Excessive depth in document"
_META_TAGS = ("a", "link", "meta", "base", "title", "script")


def extract_html(page: Page) -> ParsedPage:
    """Parse HTML with lxml into passages, links and metadata: one pass over the tags that
    carry metadata (the page's date too: meta tags, JSON-LD; ``dates``), one walk over the
    main region of the body (``main_regions``) without its boilerplate (``boilerplate``).

    A page whose meta refresh sends the reader on at once and which says little else is a
    redirect stub: its ``redirect`` is the target, and its canonical link is ignored (a stub
    names its target there, and must not stand for it)."""
    markup, limited = limits.cap_markup(decode(page.body, page.encoding, is_html=True))
    root = parse_html(markup)
    if root is None:
        return ParsedPage(url=page.url, title="", lang=None, passages=[], source=page.source, limited=limited)
    title = None
    robots, alternates, hrefs, anchors, dated = [], [], [], [], []
    canonical = base_href = refresh = None
    json_ld = 0
    for el in root.iter(*_META_TAGS):
        tag = el.tag
        if tag == "a":
            href = el.get("href")
            if href is not None:
                if len(anchors) < limits.MAX_LINKS:
                    anchors.append(el)
                if "nofollow" not in (el.get("rel") or "").split() and len(hrefs) <= limits.MAX_LINKS:
                    hrefs.append(href)
        elif tag == "link":
            href, rel = el.get("href"), (el.get("rel") or "").split()
            if href is None:
                continue
            if canonical is None and "canonical" in rel:
                canonical = href
            if "alternate" in rel and el.get("hreflang") is not None:
                alternates.append((el.get("hreflang"), href))
        elif tag == "meta":
            if (el.get("name") or "").strip().lower() == "robots":
                robots.append(el.get("content") or "")
            elif refresh is None and (el.get("http-equiv") or "").strip().lower() == "refresh":
                refresh = el.get("content") or ""
            else:
                dated += dates.meta_dates(el)
        elif tag == "script":
            if json_ld < dates.MAX_JSON_LD_SCRIPTS and (el.get("type") or "").strip().lower() == "application/ld+json":
                json_ld += 1
                dated += dates.json_ld_dates(el.text or "")
        elif tag == "base":
            if base_href is None and el.get("href") is not None:
                base_href = el.get("href")
        elif tag == "title" and title is None:
            title = clean(_text(el))
    base = urljoin(page.url, base_href) if base_href is not None else page.url
    url = (_absolute(base, canonical) or page.url) if canonical is not None else page.url
    robots_text = " ".join(robots).lower()
    alternate_urls = {}
    for hreflang, href in alternates:
        target, lang = _absolute(base, href), primary_lang(hreflang)
        if target and lang:
            alternate_urls[lang] = target
    links = limits.cap_links([t for t in (_absolute(base, h) for h in hrefs) if t], limited)
    body = root.find("body")
    body = body if body is not None else root
    regions = main_regions(body)
    drop = boilerplate(body, regions, anchors)
    passages = limits.cap_passages(_region_passages(body, regions, base, drop), limited)
    if not title:
        title = next((b.text for b in passages if b.level == 1), "") or _first_h1(body)
    redirect = _refresh_target(refresh, base) if refresh is not None else None
    if redirect is not None and (redirect == urldefrag(page.url)[0]
                                 or sum(len(b.text) for b in passages) > STUB_MAX_CHARS):
        redirect = None  # a page that reloads itself, or one with text of its own: not a stub
    if redirect is not None:
        url = page.url
    return ParsedPage(url=url, title=title, lang=primary_lang(root.get("lang") or root.get("xml:lang")),
                      passages=passages, links=links, alternates=alternate_urls, source=page.source,
                      noindex="noindex" in robots_text or "none" in robots_text,
                      nofollow="nofollow" in robots_text or "none" in robots_text, limited=limited,
                      redirect=redirect, date=dates.best_date(dated))


_REFRESH = re.compile(r"\s*(\d+(?:\.\d*)?)\s*(?:[;,]\s*(?:url\s*=\s*)?(.*))?", re.IGNORECASE | re.DOTALL)


def _refresh_target(content: str, base: str) -> str | None:
    """Return the absolute URL a meta refresh's content sends the reader to within
    STUB_MAX_DELAY seconds ("0; url='…'", "3;URL=…", "0; …"), else None."""
    m = _REFRESH.fullmatch(content)
    if m is None or m.group(2) is None or float(m.group(1)) > STUB_MAX_DELAY:
        return None
    target = m.group(2).strip().strip("'\"").strip()
    return _absolute(base, target) if target else None


def _region_passages(body, regions: list, base: str, drop: set):
    """Yield the passages of the main regions, or of the whole body when there are none or
    they hold no text."""
    found = False
    for region in regions:
        if region in drop:
            continue
        for passage in _walk(region, base, drop):
            found = True
            yield passage
    if not found:
        yield from _walk(body, base, drop)


def _first_h1(body) -> str:
    """Return the text of the page's first h1 outside navigation (a page-level header's
    too: the title a page without <title> had before boilerplate was dropped), or ""."""
    for el in body.iter("h1"):
        if next(el.iterancestors(*SKIP), None) is None:
            text = clean(_text(el))
            if text:
                return text
    return ""


def _absolute(base: str, href: str) -> str | None:
    href = href.strip()
    try:
        target = urldefrag(urljoin(base, href))[0]
        scheme = urlsplit(target).scheme
    except ValueError:
        return None
    return target if scheme in FOLLOW_SCHEMES else None


def _walk(root, base: str, drop=frozenset()):
    """Yield passages in reading order, iteratively and in linear time (pages may nest
    thousands deep): which elements hold a paragraph-level element, and each element's
    anchor and language, are worked out once, not searched for again at every level.
    The elements in drop (``boilerplate``) are left out, with their text."""
    holders = _passage_holders(root)
    stack = [(_nodes(root), _context(root))]
    loose: list[str] = []
    timed = next(root.iter("time"), None) is not None  # whether passages need looking into for <time>
    loose_date = None
    while stack:
        children, context = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            passage = _loose_passage(loose, context, loose_date)
            loose, loose_date = [], None
            if passage:
                yield passage
            continue
        if isinstance(child, str):
            loose.append(child)
            continue
        name = child.tag
        if not isinstance(name, str) or name in SKIP or name in _NO_TEXT or child in drop:
            continue  # comments, processing instructions, skipped elements (their tails stay)
        if name in PASSAGE_TAGS and child not in holders:
            passage = _loose_passage(loose, context, loose_date)
            loose, loose_date = [], None
            if passage:
                yield passage
            passage = _element_passage(child, base, _inner_context(context, child), drop, timed)
            if passage:
                yield passage
        elif name in _INLINE and child not in holders:
            loose.append(_text(child, drop))
            if timed and loose_date is None:
                loose_date = dates.time_date(child)
        else:
            passage = _loose_passage(loose, context, loose_date)
            loose, loose_date = [], None
            if passage:
                yield passage
            stack.append((_nodes(child), _inner_context(context, child)))


_INLINE = frozenset("a abbr b bdi bdo br cite code data del dfn em i ins kbd mark q s samp small "
                    "span strong sub sup time u var wbr font".split())


def _passage_holders(root) -> set:
    """Return the elements under root that contain a PASSAGE_TAGS element.

    Marking stops at the first ancestor already marked (its own ancestors are marked
    too), so the whole pass is linear in the size of the tree. (The set holds lxml's
    element proxies, which keeps each one the same object while the walk runs.)
    """
    holders: set = set()
    for node in root.iterdescendants(*PASSAGE_TAGS):
        parent = node.getparent()
        while parent is not None and parent not in holders:
            holders.add(parent)
            if parent is root:
                break
            parent = parent.getparent()
    return holders


def _context(el) -> tuple[str | None, str | None]:
    """Return (anchor, lang): the nearest article/section id and lang attribute."""
    anchor = lang = None
    node = el
    while node is not None:
        if anchor is None and node.tag in ("article", "section") and node.get("id"):
            anchor = node.get("id")
        if lang is None and node.get("lang"):
            lang = primary_lang(node.get("lang"))
        if anchor is not None and lang is not None:
            break
        node = node.getparent()
    return anchor, lang


def _inner_context(outer: tuple[str | None, str | None], el) -> tuple[str | None, str | None]:
    """Return the context of el, given the context of its parent (as ``_context`` would)."""
    anchor, lang = outer
    if el.tag in ("article", "section") and el.get("id"):
        anchor = el.get("id")
    own = primary_lang(el.get("lang")) if el.get("lang") else None
    return anchor, own or lang


def _element_passage(el, base: str, context: tuple[str | None, str | None],
                     drop=frozenset(), timed: bool = False) -> Passage | None:
    text = clean(_text(el, drop))
    if not text:
        return None
    anchor, lang = context
    href = None
    links = list(islice((a for a in el.iterdescendants("a") if a.get("href") is not None), 2))
    if len(links) == 1 and clean(_text(links[0])) == text:
        href = _absolute(base, links[0].get("href"))
    level = int(el.tag[1]) if re.fullmatch(r"h[1-6]", el.tag) else 0
    return Passage(text=text, level=level, anchor=anchor, lang=lang, href=href,
                   css=" ".join((el.get("class") or "").split()), date=dates.time_date(el) if timed else None)


def _loose_passage(parts: list[str], context: tuple[str | None, str | None],
                   date: str | None = None) -> Passage | None:
    text = clean(" ".join(parts))
    if not text:
        return None
    anchor, lang = context
    return Passage(text=text, anchor=anchor, lang=lang, date=date)


# Plain text


def extract_text(page: Page) -> ParsedPage:
    """Read a plain-text page: one passage per line, headings and teasers guessed from shape."""
    text, limited = limits.cap_text(decode(page.body, page.encoding, is_html=False).lstrip("\ufeff"))
    passages = limits.cap_passages((b for b in (_line_passage(line) for line in text.splitlines()) if b), limited)
    title = ""
    if passages:
        first = passages[0]
        title = first.text if first.is_heading else first_sentence(first.text)
    return ParsedPage(url=page.url, title=title, lang=None, passages=passages, source=page.source, limited=limited)


def _line_passage(line: str) -> Passage | None:
    text = clean(line)
    if not text:
        return None
    indented = line[:1].isspace()
    if indented and _ELLIPSIS_END.search(text):
        return Passage(text=text, teaser=True)
    words = text.split()
    if text[0] in _QUOTES or len(words) > 14:
        return Passage(text=text)
    if text.endswith(":") and ": " not in text[:-1]:
        return Passage(text=text, level=3)  # a sub-heading such as "Development context:"
    if len(words) <= 8 and ":" not in text and text[-1] not in ".!?;,…" and text[0].isupper():
        return Passage(text=text, level=2)
    return Passage(text=text)
