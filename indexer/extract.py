"""Extract: a fetched Page (HTML or plain text) → ParsedPage of blocks, links and metadata."""
from __future__ import annotations

import re
from itertools import islice
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag

from . import limits
from .analyze import normalize
from .decode import ExtractError, decode
from .model import Block, Page, ParsedPage

__all__ = ["ExtractError", "decode", "extract", "extract_html", "extract_text", "clean", "first_sentence"]

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


def clean(text: str) -> str:
    """Collapse runs of whitespace (NBSP included) to one space, NFC-normalized."""
    return _SPACE.sub(" ", normalize(text)).strip()


def primary_lang(value: str | None) -> str | None:
    """Return the primary subtag of a language tag ("es-EC" → "es"), or None."""
    if not value:
        return None
    sub = value.strip().replace("_", "-").split("-")[0].lower()
    return sub if re.fullmatch(r"[a-z]{2,3}", sub) else None


def extract(page: Page) -> ParsedPage:
    """Parse a Page into a ParsedPage."""
    if page.content_type == "text/plain":
        return extract_text(page)
    return extract_html(page)


# HTML


def extract_html(page: Page) -> ParsedPage:
    """Parse HTML with BeautifulSoup (lxml) into blocks, links and metadata."""
    markup, limited = limits.cap_markup(decode(page.body, page.encoding, is_html=True))
    soup = BeautifulSoup(markup, "lxml")
    root = soup.find("html") or soup
    base = page.url
    base_tag = soup.find("base", href=True)
    if base_tag is not None:
        base = urljoin(page.url, base_tag["href"])

    url = page.url
    canonical = soup.find("link", rel="canonical", href=True)
    if canonical is not None:
        url = _absolute(base, canonical["href"]) or page.url

    robots_tags = soup.find_all("meta", attrs={"name": re.compile("^robots$", re.I)})
    robots = " ".join(m.get("content", "") for m in robots_tags).lower()
    alternates = {}
    for link in soup.find_all("link", rel="alternate", hreflang=True, href=True):
        target = _absolute(base, link["href"])
        lang = primary_lang(link["hreflang"])
        if target and lang:
            alternates[lang] = target

    links = []
    for a in soup.find_all("a", href=True):
        if "nofollow" in (a.get("rel") or []):
            continue
        target = _absolute(base, a["href"])
        if target:
            links.append(target)
            if len(links) > limits.MAX_LINKS:
                break
    links = limits.cap_links(links, limited)

    title_tag = soup.find("title")
    title = clean(title_tag.get_text()) if title_tag else ""
    body = soup.find("body") or root
    blocks = limits.cap_blocks(_walk(body, base), limited)
    if not title:
        title = next((b.text for b in blocks if b.level == 1), "")
    return ParsedPage(url=url, title=title, lang=primary_lang(root.get("lang") or root.get("xml:lang")),
                      blocks=blocks, links=links, alternates=alternates, source=page.source,
                      noindex="noindex" in robots or "none" in robots,
                      nofollow="nofollow" in robots or "none" in robots, limited=limited)


def _absolute(base: str, href: str) -> str | None:
    href = href.strip()
    try:
        target = urldefrag(urljoin(base, href))[0]
        scheme = urlsplit(target).scheme
    except ValueError:
        return None
    return target if scheme in FOLLOW_SCHEMES else None


def _walk(root: Tag, base: str):
    """Yield blocks in reading order, iteratively and in linear time (pages may nest
    thousands deep): which elements hold a paragraph-level element, and each element's
    anchor and language, are worked out once, not searched for again at every level."""
    holders = _block_holders(root)
    stack = [(iter(root.children), _context(root))]
    loose: list[str] = []
    while stack:
        children, context = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            block = _loose_block(loose, context)
            loose = []
            if block:
                yield block
            continue
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:
                loose.append(str(child))
            continue
        if not isinstance(child, Tag) or child.name in SKIP:
            continue
        if child.name in LEAF_BLOCKS and id(child) not in holders:
            block = _loose_block(loose, context)
            loose = []
            if block:
                yield block
            block = _element_block(child, base, _inner_context(context, child))
            if block:
                yield block
        elif child.name in _INLINE and id(child) not in holders:
            loose.append(child.get_text(" "))
        else:
            block = _loose_block(loose, context)
            loose = []
            if block:
                yield block
            stack.append((iter(child.children), _inner_context(context, child)))


_INLINE = frozenset("a abbr b bdi bdo br cite code data del dfn em i ins kbd mark q s samp small "
                    "span strong sub sup time u var wbr font".split())


def _block_holders(root: Tag) -> set[int]:
    """Return the ids of the elements under root that contain a LEAF_BLOCKS element.

    Marking stops at the first ancestor already marked (its own ancestors are marked
    too), so the whole pass is linear in the size of the tree.
    """
    holders: set[int] = set()
    for node in root.descendants:
        if isinstance(node, Tag) and node.name in LEAF_BLOCKS:
            parent = node.parent
            while parent is not None and id(parent) not in holders:
                holders.add(id(parent))
                if parent is root:
                    break
                parent = parent.parent
    return holders


def _context(tag: Tag) -> tuple[str | None, str | None]:
    """Return (anchor, lang): the nearest article/section id and lang attribute."""
    anchor = lang = None
    node = tag
    while isinstance(node, Tag):
        if anchor is None and node.name in ("article", "section") and node.get("id"):
            anchor = node["id"]
        if lang is None and node.get("lang"):
            lang = primary_lang(node["lang"])
        if anchor is not None and lang is not None:
            break
        node = node.parent
    return anchor, lang


def _inner_context(outer: tuple[str | None, str | None], tag: Tag) -> tuple[str | None, str | None]:
    """Return the context of tag, given the context of its parent (as ``_context`` would)."""
    anchor, lang = outer
    if tag.name in ("article", "section") and tag.get("id"):
        anchor = tag["id"]
    own = primary_lang(tag["lang"]) if tag.get("lang") else None
    return anchor, own or lang


def _element_block(tag: Tag, base: str, context: tuple[str | None, str | None]) -> Block | None:
    text = clean(tag.get_text(" "))
    if not text:
        return None
    anchor, lang = context
    href = None
    anchors = (d for d in tag.descendants if isinstance(d, Tag) and d.name == "a" and d.has_attr("href"))
    links = list(islice(anchors, 2))
    if len(links) == 1 and clean(links[0].get_text(" ")) == text:
        href = _absolute(base, links[0]["href"])
    level = int(tag.name[1]) if re.fullmatch(r"h[1-6]", tag.name) else 0
    return Block(text=text, level=level, anchor=anchor, lang=lang, href=href,
                 css=" ".join(tag.get("class") or []))


def _loose_block(parts: list[str], context: tuple[str | None, str | None]) -> Block | None:
    text = clean(" ".join(parts))
    if not text:
        return None
    anchor, lang = context
    return Block(text=text, anchor=anchor, lang=lang)


# Plain text


def extract_text(page: Page) -> ParsedPage:
    """Read a plain-text page: one block per line, headings and teasers guessed from shape."""
    text, limited = limits.cap_text(decode(page.body, page.encoding, is_html=False).lstrip("\ufeff"))
    blocks = limits.cap_blocks((b for b in (_line_block(line) for line in text.splitlines()) if b), limited)
    title = ""
    if blocks:
        first = blocks[0]
        title = first.text if first.is_heading else first_sentence(first.text)
    return ParsedPage(url=page.url, title=title, lang=None, blocks=blocks, source=page.source, limited=limited)


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
