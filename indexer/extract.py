"""Extract: a fetched Page (HTML or plain text) → ParsedPage of blocks, links and metadata.

HTML is parsed once with lxml (libxml2's lenient HTML parser) and walked directly;
BeautifulSoup's UnicodeDammit only decodes the bytes.
"""
from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from bs4 import UnicodeDammit
from lxml import etree

from .analyze import normalize
from .model import Block, Page, ParsedPage

#: Elements whose text is a paragraph of its own when they hold no other such element.
LEAF_BLOCKS = frozenset(
    "p h1 h2 h3 h4 h5 h6 li dt dd blockquote pre td th figcaption caption address summary".split())
#: Elements whose text never reaches the index.
SKIP = frozenset("script style noscript template svg math iframe object embed nav head "
                 "select button form input textarea canvas audio video".split())
#: Schemes worth following.
FOLLOW_SCHEMES = ("http", "https", "file")

_SPACE = re.compile(r"\s+")
_ELLIPSIS_END = re.compile(r"(\.\.\.|…)\s*$")
_QUOTES = "“\"«‘'„"


class ExtractError(Exception):
    """The page cannot be read as text (binary data, undecodable)."""


def clean(text: str) -> str:
    """Collapse runs of whitespace (NBSP included) to one space, NFC-normalized."""
    return _SPACE.sub(" ", normalize(text)).strip()


def primary_lang(value: str | None) -> str | None:
    """Return the primary subtag of a language tag ("es-EC" → "es"), or None."""
    if not value:
        return None
    sub = value.strip().replace("_", "-").split("-")[0].lower()
    return sub if re.fullmatch(r"[a-z]{2,3}", sub) else None


def decode(body: bytes, declared: str | None = None, is_html: bool = True) -> str:
    """Decode bytes: the transport's charset, then the page's own meta, then detection."""
    if b"\x00" in body[:4096] and not body.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractError("binary content (NUL bytes)")
    dammit = UnicodeDammit(body, known_definite_encodings=[declared] if declared else [],
                           is_html=is_html)
    if dammit.unicode_markup is None:
        raise ExtractError("undecodable content")
    return dammit.unicode_markup


def extract(page: Page) -> ParsedPage:
    """Parse a Page into a ParsedPage."""
    if page.content_type == "text/plain":
        return extract_text(page)
    return extract_html(page)


# HTML


def parse_html(markup: str):
    """Return the lxml document (``<html>`` root) of markup; None when it holds nothing."""
    try:
        return lxml.html.document_fromstring(markup, parser=_PARSER)
    except ValueError:  # a str with an XML encoding declaration: hand lxml the bytes
        try:
            return lxml.html.document_fromstring(markup.encode("utf-8"), parser=_UTF8_PARSER)
        except (ValueError, etree.ParserError):
            return None
    except etree.ParserError:  # "Document is empty"
        return None


# huge_tree: no depth limit (libxml2 otherwise drops what lies past 256 levels).
_PARSER = lxml.html.HTMLParser(huge_tree=True)
_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8", huge_tree=True)


def extract_html(page: Page) -> ParsedPage:
    """Parse HTML with lxml into blocks, links and metadata."""
    markup = decode(page.body, page.encoding, is_html=True)
    root = parse_html(markup)
    if root is None:
        return ParsedPage(url=page.url, title="", lang=None, blocks=[], source=page.source)
    base = page.url
    url = page.url
    title = None
    robots, alternates, links = [], [], []
    canonical = None
    base_href = None
    for el in root.iter(*_META_TAGS):
        tag = el.tag
        if tag == "a":
            href = el.get("href")
            if href is not None and "nofollow" not in (el.get("rel") or "").split():
                links.append(href)
        elif tag == "link":
            href, rel = el.get("href"), (el.get("rel") or "").split()
            if href is None:
                continue
            if canonical is None and "canonical" in rel:
                canonical = href
            if "alternate" in rel and el.get("hreflang") is not None:
                alternates.append((el.get("hreflang"), href))
        elif tag == "meta":
            if (el.get("name") or "").lower() == "robots":
                robots.append(el.get("content") or "")
        elif tag == "base":
            if base_href is None and el.get("href") is not None:
                base_href = el.get("href")
        elif tag == "title" and title is None:
            title = clean("".join(_strings(el)))
    if base_href is not None:
        base = urljoin(page.url, base_href)
    if canonical is not None:
        url = _absolute(base, canonical) or page.url
    robots_text = " ".join(robots).lower()
    alternate_urls = {}
    for hreflang, href in alternates:
        target, lang = _absolute(base, href), primary_lang(hreflang)
        if target and lang:
            alternate_urls[lang] = target
    links = [t for t in (_absolute(base, h) for h in links) if t]
    body = root.find("body")
    blocks = list(_walk(body if body is not None else root, base))
    title = title or ""
    if not title:
        title = next((b.text for b in blocks if b.level == 1), "")
    return ParsedPage(url=url, title=title, lang=primary_lang(root.get("lang") or root.get("xml:lang")),
                      blocks=blocks, links=links, alternates=alternate_urls, source=page.source,
                      noindex="noindex" in robots_text or "none" in robots_text,
                      nofollow="nofollow" in robots_text or "none" in robots_text)


_META_TAGS = ("a", "link", "meta", "base", "title")
#: Elements whose own text is not page text (scripts, styles, templates, ruby annotations).
_NO_TEXT = frozenset("script style template rt rp".split())


def _absolute(base: str, href: str) -> str | None:
    href = href.strip()
    try:
        target = urldefrag(urljoin(base, href))[0]
        scheme = urlsplit(target).scheme
    except ValueError:
        return None
    return target if scheme in FOLLOW_SCHEMES else None


def _strings(el):
    """Yield the text strings inside el in document order (no comments, scripts, styles)."""
    if el.tag in _NO_TEXT:
        return
    if el.text is not None:
        yield el.text
    for child in el:
        if isinstance(child.tag, str):
            yield from _strings(child)
        if child.tail is not None:
            yield child.tail


def _text(el) -> str:
    """Return el's text with a space between its strings (words split at inline tags)."""
    return " ".join(_strings(el))


def _has_leaf(el) -> bool:
    return next(el.iterdescendants(*LEAF_BLOCKS), None) is not None


def _nodes(el):
    """Yield el's children in order: elements, and the text between them as str."""
    if el.text is not None:
        yield el.text
    for child in el:
        yield child
        if child.tail is not None:
            yield child.tail


def _walk(root, base: str):
    """Yield blocks in reading order, iteratively (pages may nest thousands deep)."""
    stack = [_nodes(root)]
    loose: list[str] = []
    loose_owner = [root]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            owner = loose_owner.pop()
            block = _loose_block(loose, owner)
            loose = []
            if block:
                yield block
            continue
        if isinstance(child, str):
            loose.append(child)
            continue
        name = child.tag
        if not isinstance(name, str) or name in SKIP or name in _NO_TEXT:
            continue  # comments, processing instructions, skipped elements
        if name in LEAF_BLOCKS and not _has_leaf(child):
            block = _loose_block(loose, loose_owner[-1])
            loose = []
            if block:
                yield block
            block = _element_block(child, base)
            if block:
                yield block
        elif name in _INLINE and not _has_leaf(child):
            loose.append(_text(child))
        else:
            block = _loose_block(loose, loose_owner[-1])
            loose = []
            if block:
                yield block
            stack.append(_nodes(child))
            loose_owner.append(child)


_INLINE = frozenset("a abbr b bdi bdo br cite code data del dfn em i ins kbd mark q s samp small "
                    "span strong sub sup time u var wbr font".split())


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


def _element_block(el, base: str) -> Block | None:
    text = clean(_text(el))
    if not text:
        return None
    anchor, lang = _context(el)
    href = None
    links = [a for a in el.iterdescendants("a") if a.get("href") is not None]
    if len(links) == 1 and clean(_text(links[0])) == text:
        href = _absolute(base, links[0].get("href"))
    level = int(el.tag[1]) if re.fullmatch(r"h[1-6]", el.tag) else 0
    return Block(text=text, level=level, anchor=anchor, lang=lang, href=href,
                 css=" ".join((el.get("class") or "").split()))


def _loose_block(parts: list[str], owner) -> Block | None:
    text = clean(" ".join(parts))
    if not text:
        return None
    anchor, lang = _context(owner)
    return Block(text=text, anchor=anchor, lang=lang)


# Plain text


def extract_text(page: Page) -> ParsedPage:
    """Read a plain-text page: one block per line, headings and teasers guessed from shape."""
    text = decode(page.body, page.encoding, is_html=False).lstrip("\ufeff")
    blocks = [b for b in (_line_block(line) for line in text.splitlines()) if b]
    title = ""
    if blocks:
        first = blocks[0]
        title = first.text if first.is_heading else first_sentence(first.text)
    return ParsedPage(url=page.url, title=title, lang=None, blocks=blocks, source=page.source)


def _line_block(line: str) -> Block | None:
    text = clean(line)
    if not text:
        return None
    indented = line[:1].isspace()
    if indented and _ELLIPSIS_END.search(text):
        return Block(text=text, teaser=True)
    words = text.split()
    if text[0] in _QUOTES or len(words) > 14:
        return Block(text=text)
    if text.endswith(":") and ": " not in text[:-1]:
        return Block(text=text, level=3)  # a sub-heading such as "Development context:"
    if len(words) <= 8 and ":" not in text and text[-1] not in ".!?;,…" and text[0].isupper():
        return Block(text=text, level=2)
    return Block(text=text)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“«¿¡(]?[A-ZÀ-Ý0-9])")
_ABBREVIATION = re.compile(r"(?:^|\s)(?:[A-Z]|Mr|Ms|Mrs|Dr|Sr|Sra|Srta|St|Mme|Mlle|Prof|No|Nr)\.$")


def first_sentence(text: str, limit: int = 90) -> str:
    """Return the first sentence of text, cut at a word boundary to at most limit chars."""
    text = text.strip()
    sentence = text
    for m in _SENTENCE_END.finditer(text):
        if not _ABBREVIATION.search(text[:m.start()]):
            sentence = text[:m.start()]
            break
    sentence = sentence.rstrip(".…")
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0] + "…"
    return sentence
