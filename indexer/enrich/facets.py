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


def enrich(docs: list[Document], report: EnrichReport | None = None) -> list[Document]:
    """Fill lang, themes, country, type and group of a batch of documents (in place)."""
    report = report if report is not None else EnrichReport()
    by_url = {d.id: d for d in docs}
    for doc in docs:
        if doc.lang == "und":  # the page's lang attribute wins; detect only without one
            doc.lang = language.detect(f"{doc.title}\n{doc.text}")
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
    of the same country and theme; else the document is its own group.
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
