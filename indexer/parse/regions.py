"""Main text: a page's main region (``main_regions``) and the boilerplate left out of it
(``boilerplate``: navigation, page headers and footers, skip links, language switchers,
banners), with the text helpers extraction reads elements with.
"""
from __future__ import annotations

import re
from itertools import islice

from indexer.text.analyzers import fold, normalize

#: ARIA roles of page furniture: dropped wherever they are (``boilerplate``).
BOILERPLATE_ROLES = frozenset("navigation banner contentinfo complementary search".split())
#: Elements whose own text is not page text (scripts, styles, templates, ruby annotations).
NO_TEXT = frozenset("script style template rt rp".split())
_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """Collapse runs of whitespace (NBSP included) to one space, NFC-normalized."""
    return _SPACE.sub(" ", normalize(text)).strip()


def child_nodes(el):
    """Yield el's children in order: elements, and the text around them as str."""
    if el.text is not None:
        yield el.text
    for child in el:
        yield child
        if child.tail is not None:
            yield child.tail


def strings(el, drop=frozenset()):
    """Yield the text strings inside el in document order, without comments, scripts,
    styles and the elements in drop; iterative, so any depth of nesting is fine."""
    stack = [child_nodes(el)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
        elif isinstance(node, str):
            yield node
        elif isinstance(node.tag, str) and node.tag not in NO_TEXT and node not in drop:
            stack.append(child_nodes(node))


def element_text(el, drop=frozenset()) -> str:
    """Return el's text with a space between its strings (words split at inline tags),
    without the elements in drop."""
    return " ".join(strings(el, drop))


# The main region and its boilerplate


#: Elements (or [role=main]) inside which a header or footer belongs to its section, not to the page.
_SECTIONING = frozenset("article section main aside nav".split())
#: Class names of site banners, announcements and cookie notices ("md-banner", "cookie-consent", …).
_BANNER_CLASS = re.compile(r"(?:^|[-_])(?:banner|announce\w*|cookie\w*)(?:$|[-_])", re.IGNORECASE)
#: Longest text (characters) an element with a banner class may hold and still be a banner.
_BANNER_MAX_CHARS = 1000
#: The text of a skip link, accents folded: "Skip to content", "Saltar a contenido", "Aller au contenu", …
_SKIP_TEXT = re.compile(
    r"(?:skip|jump|go)(?: directly)?(?: to)?(?: the)?(?: main)? (?:content|main|navigation|menu|search)\b.*"
    r"|(?:saltar|ir|pasar)(?: directamente)? (?:a|al)(?: el| la)? (?:contenido|navegacion|menu|busqueda)\b.*"
    r"|(?:aller|passer|acceder)(?: directement)? (?:au|a la) (?:contenu|navigation|menu|recherche)\b.*")
#: Elements a language switcher's links are grouped in.
_SWITCHER_TAGS = frozenset("ul ol menu div p span".split())
#: Letters a language switcher may hold outside its links ("Language:", "Idioma", …).
_SWITCHER_MAX_LETTERS = 25
#: Language names (accents folded), in their own language and in English, Spanish and French.
_LANGUAGE_NAMES = frozenset(fold(name) for name in (
    "english anglais ingles deutsch german allemand aleman espanol spanish espagnol castellano francais french "
    "frances italiano italian italien portugues portuguese portugais nederlands dutch neerlandais polski polish "
    "cesky cestina czech slovensky slovencina romana romanian magyar hungarian suomi finnish svenska swedish "
    "norsk dansk danish turkce turkish ellinika greek russkij russian ukrainian catala catalan euskara galego "
    "bahasa indonesia melayu vietnamese filipino tagalog hindi bengali urdu arabic persian farsi hebrew "
    "japanese chinese korean thai swahili kiswahili hausa yoruba amharic "
    "русский українська български српски ελληνικά עברית العربية فارسی हिन्दी বাংলা ไทย "
    "日本語 中文 简体中文 繁體中文 한국어 tiếng việt").split())
#: A language code such as "en", "pt-BR" or "zh-Hant".
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:[-_][a-z0-9]{2,4})?", re.IGNORECASE)
_LANGUAGE_CODES = frozenset(
    "ar bg bn ca cs cy da de el en es et eu fa fi fil fr ga gl he hi hr hu hy id is it ja ka kk km ko lt lv mk "
    "ml mn mr ms my nb ne nl nn no pa pl ps pt ro ru si sk sl sq sr sv sw ta te th tl tr uk ur uz vi zh zu".split())


def main_regions(body) -> list:
    """Return the elements holding the page's main content: its ``<main>`` elements (the
    outermost ones), else its ``[role=main]`` elements, else its one ``<article>`` when it
    has exactly one (outermost); an empty list when none of these (the whole body is read)."""
    for path in (".//main[not(ancestor::main)]",
                 ".//*[contains(concat(' ', normalize-space(@role), ' '), ' main ')]"
                 "[not(ancestor::*[contains(concat(' ', normalize-space(@role), ' '), ' main ')])]"):
        found = body.xpath(path)
        if found:
            return found
    articles = body.xpath(".//article[not(ancestor::article)]")
    return articles if len(articles) == 1 else []


def boilerplate(body, regions: list, anchors: list) -> set:
    """Return the elements under body whose text is page furniture, not content: navigation
    and asides, page-level headers and footers (not those of an article or section, nor
    those inside the main region), elements with a furniture role, skip links, language
    switchers and site banners (a short element with a banner, announcement or cookie class
    and no h1). An element holding a main region is never dropped.

    :param anchors: the page's ``<a href>`` elements."""
    protected = {el for region in regions for el in (region, *region.iterancestors())}
    protected.add(body)
    drop = set(body.iter("nav", "aside"))
    memo: dict = {}
    for el in body.iter("header", "footer"):
        if el not in protected and not _sectioned(el, memo):
            drop.add(el)
    for el in body.xpath(".//*[@role]"):
        if el not in protected and BOILERPLATE_ROLES.intersection((el.get("role") or "").lower().split()):
            drop.add(el)
    for el in body.xpath(".//*[contains(translate(@class, 'ABCEIKNORU', 'abceiknoru'), 'banner')"
                         " or contains(translate(@class, 'ABCEIKNORU', 'abceiknoru'), 'announce')"
                         " or contains(translate(@class, 'ABCEIKNORU', 'abceiknoru'), 'cookie')]"):
        if el not in protected and el.tag not in ("main", "article") \
                and any(_BANNER_CLASS.search(c) for c in (el.get("class") or "").split()) \
                and next(el.iter("h1"), None) is None and len(element_text(el)) <= _BANNER_MAX_CHARS:
            drop.add(el)
    switchers: dict = {}
    for a in anchors:
        href = (a.get("href") or "").strip()
        text = clean(element_text(a))
        if href.startswith("#") and (_SKIP_TEXT.fullmatch(fold(text)) or "skip" in (a.get("class") or "").lower()):
            drop.add(a)
        elif _language_link(a, text):
            container = _link_group(a)
            if container is not None and container not in protected and container not in switchers:
                switchers[container] = _is_switcher(container)
    drop.update(el for el, is_switcher in switchers.items() if is_switcher)
    return drop


def _sectioned(el, memo: dict) -> bool:
    """Whether el lies inside a sectioning element or a [role=main] (memo: what is known of
    the elements passed on the way up, so that all the checks of one page take linear time)."""
    path, node, inside = [], el.getparent(), False
    while node is not None:
        known = memo.get(node)
        if known is not None:
            inside = known
            break
        if node.tag in _SECTIONING or "main" in (node.get("role") or "").lower().split():
            inside = True
            break
        path.append(node)
        node = node.getparent()
    for node in path:
        memo[node] = inside
    return inside


def _language_link(a, text: str) -> bool:
    """Whether a link is a language switcher's: its text names a language, or it carries
    hreflang with a short text (a listing of works in several languages links each with
    hreflang too, under its title and abstract: not a switcher)."""
    return _is_language(text) or (a.get("hreflang") is not None and len(text) <= _SWITCHER_LINK_CHARS)


def _is_language(text: str) -> bool:
    """Whether a link's text names a language: "English", "es", "en - English", "Português (Brasil)"."""
    if not text or len(text) > 40:
        return False
    for part in re.split(r"[-–—|/()·:,\[\]]", text):
        part = part.strip()
        if fold(part) in _LANGUAGE_NAMES or (_LANGUAGE_CODE.fullmatch(part)
                                              and re.split("[-_]", part)[0].lower() in _LANGUAGE_CODES):
            return True
    return False


def _link_group(a):
    """Return the nearest list or block (up to four levels up) holding a and another link, or None."""
    node = a.getparent()
    for _ in range(4):
        if node is None:
            return None
        if node.tag in _SWITCHER_TAGS and next(islice(node.iter("a"), 1, None), None) is not None:
            return node
        node = node.getparent()
    return None


#: The longest text of an hreflang link read as a language switcher's ("Português (Brasil)").
_SWITCHER_LINK_CHARS = 40


def _is_switcher(el) -> bool:
    """Whether el is a language switcher: two thirds of its links or more (and at least two)
    carry hreflang or name a language, and little text lies outside them."""
    links = list(islice(el.iter("a"), 200))
    languages = sum(1 for a in links if _language_link(a, clean(element_text(a))))
    if languages < 2 or 3 * languages < 2 * len(links):
        return False
    outside = el.xpath(".//text()[not(ancestor::a) and not(ancestor::script) and not(ancestor::style)]")
    return sum(c.isalpha() for t in outside for c in t) <= _SWITCHER_MAX_LETTERS
