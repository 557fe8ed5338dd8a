"""Extract: a fetched Page (HTML or plain text) → ParsedPage of blocks, links and metadata."""
from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag, UnicodeDammit

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


def extract_html(page: Page) -> ParsedPage:
    """Parse HTML with BeautifulSoup (lxml) into blocks, links and metadata."""
    markup = decode(page.body, page.encoding, is_html=True)
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

    title_tag = soup.find("title")
    title = clean(title_tag.get_text()) if title_tag else ""
    body = soup.find("body") or root
    blocks = list(_walk(body, base))
    if not title:
        title = next((b.text for b in blocks if b.level == 1), "")
    return ParsedPage(url=url, title=title, lang=primary_lang(root.get("lang") or root.get("xml:lang")),
                      blocks=blocks, links=links, alternates=alternates, source=page.source,
                      noindex="noindex" in robots or "none" in robots,
                      nofollow="nofollow" in robots or "none" in robots)


def _absolute(base: str, href: str) -> str | None:
    href = href.strip()
    try:
        target = urldefrag(urljoin(base, href))[0]
        scheme = urlsplit(target).scheme
    except ValueError:
        return None
    return target if scheme in FOLLOW_SCHEMES else None


def _walk(root: Tag, base: str):
    """Yield blocks in reading order, iteratively (pages may nest thousands deep)."""
    stack = [iter(root.children)]
    loose: list[str] = []
    loose_owner: list[Tag] = [root]
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
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:
                loose.append(str(child))
            continue
        if not isinstance(child, Tag) or child.name in SKIP:
            continue
        if child.name in LEAF_BLOCKS and child.find(LEAF_BLOCKS) is None:
            block = _loose_block(loose, loose_owner[-1])
            loose = []
            if block:
                yield block
            block = _element_block(child, base)
            if block:
                yield block
        elif _is_inline(child):
            loose.append(child.get_text(" "))
        else:
            block = _loose_block(loose, loose_owner[-1])
            loose = []
            if block:
                yield block
            stack.append(iter(child.children))
            loose_owner.append(child)


_INLINE = frozenset("a abbr b bdi bdo br cite code data del dfn em i ins kbd mark q s samp small "
                    "span strong sub sup time u var wbr font".split())


def _is_inline(tag: Tag) -> bool:
    return tag.name in _INLINE and tag.find(LEAF_BLOCKS) is None


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


def _element_block(tag: Tag, base: str) -> Block | None:
    text = clean(tag.get_text(" "))
    if not text:
        return None
    anchor, lang = _context(tag)
    href = None
    links = tag.find_all("a", href=True)
    if len(links) == 1 and clean(links[0].get_text(" ")) == text:
        href = _absolute(base, links[0]["href"])
    level = int(tag.name[1]) if re.fullmatch(r"h[1-6]", tag.name) else 0
    return Block(text=text, level=level, anchor=anchor, lang=lang, href=href,
                 css=" ".join(tag.get("class") or []))


def _loose_block(parts: list[str], owner: Tag) -> Block | None:
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
