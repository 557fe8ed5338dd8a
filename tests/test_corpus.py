"""Extraction and listing splits of the bundled site and the seed's plain-text page."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.enrich.facets import enrich
from indexer.model import Page
from indexer.parse.extract import extract
from indexer.parse.listing import split_listing

from .conftest import SEED, SITE

EXPECTED_TYPES = {"country-profile": 1, "project": 2, "news": 1, "event": 1, "case-study": 8}


def documents(path: Path, content_type: str):
    page = Page(url=path.resolve().as_uri(), body=path.read_bytes(), content_type=content_type,
                source=path.resolve().as_uri())
    return split_listing(extract(page))


def site_documents():
    docs = documents(SITE / "index.html", "text/html")
    for page in sorted((SITE / "case-studies").glob("*.html")):
        docs += documents(page, "text/html")
    return enrich(docs)


def count(docs, attr):
    out = {}
    for d in docs:
        out[getattr(d, attr)] = out.get(getattr(d, attr), 0) + 1
    return out


@pytest.mark.parametrize("source", ["site", "seed"])
def test_both_sources_give_the_same_thirteen_documents(source):
    docs = site_documents() if source == "site" else enrich(documents(SEED, "text/plain"))
    assert len(docs) == 13
    assert count(docs, "type") == EXPECTED_TYPES
    assert count(docs, "lang") == {"en": 7, "es": 3, "fr": 3}
    assert all(d.country == ["ec"] for d in docs)
    themes = {}
    for d in docs:
        for t in d.themes:
            themes[t] = themes.get(t, 0) + 1
    assert themes == {"social-inclusion": 3,
                      "mainstreaming-migration-into-local-development-planning": 3,
                      "partnerships-for-effective-migration-management-for-local-development": 2}
    groups = {}
    for d in docs:
        if d.type == "case-study":
            groups.setdefault(d.group, set()).add(d.lang)
    assert sorted(map(sorted, groups.values())) == [["en", "es", "fr"], ["en", "es", "fr"], ["es", "fr"]]


def test_profile_items_have_fragment_ids_and_titles():
    docs = {d.id.rsplit("/", 1)[-1]: d for d in documents(SITE / "index.html", "text/html")}
    assert set(docs) == {"index.html", "index.html#project-1", "index.html#project-2",
                         "index.html#news-1", "index.html#event-1"}
    assert docs["index.html#project-1"].title.startswith("Strengthening the Decentralized Autonomous")
    assert "Sucumbíos" in docs["index.html#project-1"].text
    assert docs["index.html#news-1"].title.startswith("Ms. Riallant argues")
    profile = docs["index.html"]
    assert "Political and decentralization context" in profile.text
    # Items and the resource list are not indexed twice inside the profile.
    assert "Sucumbíos" not in profile.text and "Este estudio" not in profile.text


def test_case_study_label_line_becomes_fields_not_text():
    [doc] = documents(SITE / "case-studies" / "social-inclusion-es.html", "text/html")
    assert doc.type == "case-study"
    assert doc.keywords == ["Sensibilización", "integración", "cohabitación", "empoderamiento"]
    assert doc.theme_labels == ["Inclusión social"]
    assert doc.text.startswith("Este estudio de caso se centra")
    assert "Palabras clave" not in doc.text


def test_seed_text_case_studies_are_cut_from_the_listing():
    docs = enrich(documents(SEED, "text/plain"))
    cases = [d for d in docs if d.type == "case-study"]
    assert [d.lang for d in cases] == ["es", "fr", "en", "es", "fr", "en", "es", "fr"]
    assert all("#case-study-" in d.id for d in cases)
    assert cases[1].text.startswith("Cette étude de cas se concentre")
    assert cases[1].keywords == ["Sensibilisation", "Intégration", "Vivre-Ensemble", "Autonomisation"]


def test_site_texts_are_verbatim_from_the_seed():
    """Every paragraph of the bundled site appears in the seed text (nothing invented)."""
    import re

    seed = re.sub(r"\s+", " ", SEED.read_text("utf-8"))
    for doc in site_documents():
        for paragraph in doc.text.split("\n"):
            assert re.sub(r"\s+", " ", paragraph) in seed, paragraph[:80]


@pytest.mark.parametrize(("markup", "lang"), [
    ("<html lang='de'><title>Migration</title><p>This English text is marked as German.</p></html>", "de"),
    ("<html lang='es-EC'><title>Migración</title><p>La migración en Ecuador.</p></html>", "es"),
    ("<html><title>Migration</title><p>Cette étude de cas décrit les leçons apprises.</p></html>", "fr"),
    ("<html><title>Migration</title><p>This case study outlines key lessons learnt.</p></html>", "en"),
    ("<html><title>1999</title><p>2015 — 86</p></html>", "und"),
])
def test_lang_attribute_first_then_detection(tmp_path, markup, lang):
    path = tmp_path / "page.html"
    path.write_text(markup, "utf-8")
    [doc] = enrich(documents(path, "text/html"))
    assert doc.lang == lang
