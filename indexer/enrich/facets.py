"""Enrich: raw labels → canonical facet values (theme, country, type), the document's
language, and translation groups.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from indexer.enrich import language
from indexer.model import Document
from indexer.parse.listing import structure
from indexer.text import taxonomy
from indexer.text.analyzers import fold


@dataclass
class EnrichReport:
    """What a maintainer should see: labels the taxonomy or Babel did not know."""

    unknown_themes: dict[str, int] = field(default_factory=dict)
    unknown_countries: dict[str, int] = field(default_factory=dict)
    #: Documents whose text overruled their declared language, by "declared→detected" ("es→en").
    relabelled: dict[str, int] = field(default_factory=dict)


def enrich(docs: list[Document], report: EnrichReport | None = None) -> list[Document]:
    """Fill lang, themes, country, type and group of a batch of documents (in place)."""
    report = report if report is not None else EnrichReport()
    by_url = {d.id: d for d in docs}
    for doc in docs:
        # the declared language (the page's lang attribute) is a hint: plain text in another wins
        lang = language.by_content(f"{doc.title}\n{doc.text}", doc.lang)
        if doc.lang != "und" and lang != doc.lang:
            key = f"{doc.lang}→{lang}"
            report.relabelled[key] = report.relabelled.get(key, 0) + 1
        doc.lang = lang
        doc.themes = _unique(_theme(label, report) for label in doc.theme_labels)
        doc.country = _unique(c for c in (_country(label, report) for label in doc.country_labels) if c)
        if doc.type == "page" and _is_profile(doc):
            doc.type = "country-profile"
            code = taxonomy.find_country(doc.title) or taxonomy.find_country(doc.text[:300])
            doc.country = [code] if code else []
    for doc in docs:
        parent = by_url.get(doc.listing)
        if not doc.country and parent is not None:
            doc.country = list(parent.country)
    _group(docs)
    return docs


def _unique(values) -> list[str]:
    return list(dict.fromkeys(values))


def _theme(label: str, report: EnrichReport) -> str:
    theme, known = taxonomy.theme_id(label)
    if not known:
        report.unknown_themes[label] = report.unknown_themes.get(label, 0) + 1
    return theme


def _country(label: str, report: EnrichReport) -> str | None:
    code = taxonomy.country_code(label)
    if code is None:
        report.unknown_countries[label] = report.unknown_countries.get(label, 0) + 1
    return code


def _is_profile(doc: Document) -> bool:
    head = fold(f"{doc.title} {doc.text[:300]}")
    return any(marker in head for marker in structure()["profile_markers"])


def _group(docs: list[Document]) -> None:
    """Give the versions of one case study a shared group id.

    From hreflang alternates where a page has them (the smallest URL of the set, so every
    version computes the same id); else, in a listing, the k-th version in each language
    of the same country and theme; else a whole page is grouped with the pages at its URL
    in other languages (``_group_by_url``: a language prefix, subdomain or query parameter);
    else the document is its own group.
    """
    seen: dict[tuple, int] = defaultdict(int)
    for doc in docs:
        if doc.alternates:
            doc.group = min([doc.url, *doc.alternates.values()])
        elif doc.type == "case-study" and doc.listing and doc.themes:
            key = (doc.listing, tuple(doc.country), tuple(doc.themes), doc.lang)
            seen[key] += 1
            doc.group = f"{doc.listing}#{'+'.join(doc.themes)}-{seen[key]}"
        else:
            doc.group = doc.id
    named = {url for doc in docs for url in doc.alternates.values()}  # pages in an hreflang set: hreflang wins
    _group_by_url([d for d in docs if not d.alternates and not d.listing and d.url not in named])


#: Query parameters that name a page's language (``?lang=es``, ``?hl=fr``, ``?locale=pt-BR``).
LANGUAGE_PARAMS = frozenset({"lang", "hl", "locale"})


def _group_by_url(docs: list[Document]) -> None:
    """Group whole pages whose URLs differ only by their language (``neutral_key``).

    Pages sharing a key are versions of one work when their languages differ; the group id
    is the smallest of their URLs, so every version computes the same. A language with more
    than one page under a key is ambiguous (which of them does the other translate?): those
    pages keep their own groups, and the other languages' pages are grouped without them.
    A page whose language is unknown ("und") is never grouped so.
    """
    by_key: dict[tuple, dict[str, list[Document]]] = defaultdict(lambda: defaultdict(list))
    for doc in docs:
        if doc.lang and doc.lang != "und":
            by_key[neutral_key(doc.url, doc.lang)][doc.lang].append(doc)
    for by_lang in by_key.values():
        versions = [found[0] for found in by_lang.values() if len(found) == 1]
        if len(versions) > 1:
            group = min(d.url for d in versions)
            for doc in versions:
                doc.group = group


def neutral_key(url: str, lang: str) -> tuple[str, str, str]:
    """Return a page's URL without its language: (site, path, query).

    Dropped, when they name the page's own language (``lang``, a primary subtag): the first
    path segment that is a language tag (``/es/guide/`` → ``/guide/``; ``pt-BR``, ``zh_TW``
    and ``zh-Hant`` name pt and zh), and a subdomain that is one (``es.example.org`` →
    ``example.org``); always dropped: ``www.``, the scheme, the fragment, and the ``lang``,
    ``hl`` and ``locale`` query parameters. A local page's id has no host: its first path
    segment (the crawled folder's name) is its site, never dropped. A page in the default
    language at the unprefixed path has the key of its prefixed translations.
    """
    from urllib.parse import parse_qsl, urlencode, urlsplit

    parts = urlsplit(url)
    lang = lang.lower().replace("_", "-").split("-")[0]  # "zh-Hant" → "zh"
    host, _, port = parts.netloc.lower().rpartition("@")[2].partition(":")
    labels = host.split(".")
    if labels[0] == "www":
        labels = labels[1:]
    if len(labels) > 2 and is_language_tag(labels[0], lang):
        labels = labels[1:]
    segments = [s for s in parts.path.split("/") if s]
    first = 0 if parts.netloc or url.startswith("/") else 1  # a local id: "folder/es/guide.html"
    for i in range(first, len(segments)):
        if is_language_tag(segments[i], lang):
            del segments[i]
            break
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k.lower() not in LANGUAGE_PARAMS])
    site = ".".join(labels) + (f":{port}" if port else "")
    return site, "/".join(segments), query


def is_language_tag(text: str, lang: str) -> bool:
    """Return whether text is a BCP-47-like language tag whose language is lang: "es", "ES",
    "pt-BR", "pt-br", "zh-Hant", "zh_TW", "es-419" (a primary subtag, then a script and/or
    a region)."""
    subtags = text.replace("_", "-").split("-")
    if len(subtags) > 3 or subtags[0].lower() != lang or not (lang.isascii() and lang.isalpha()):
        return False
    return all(s.isascii() and ((s.isalpha() and len(s) in (2, 4)) or (s.isdigit() and len(s) == 3))
               for s in subtags[1:])
