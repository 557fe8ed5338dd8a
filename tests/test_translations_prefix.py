"""Translation groups without hreflang: the versions of a page at the same path after a
language prefix (``/es/guide/routing.html`` ↔ ``/guide/routing.html``), on a language
subdomain or with a ``?lang=`` parameter share a group, so each result lists the others as
its translations and ``collapse`` shows the work once. The fixture site
(tests/data/prefix-site/) is crawled for real, as a folder and over HTTP.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.enrich.facets import _group, neutral_key
from indexer.model import Document
from indexer.pipeline import run_crawl
from indexer.search.engine import SearchIndex

from .crawlkit import crawl
from .httpsite import Site

PREFIX_SITE = Path(__file__).resolve().parent / "data" / "prefix-site"
ROUTING = ("guide/routing.html", "es/guide/routing.html", "fr/guide/routing.html")
NOTES = ("notes.html", "en/notes.html", "es/notes.html")


@pytest.fixture(scope="module")
def folder_index(tmp_path_factory) -> SearchIndex:
    """The fixture site crawled as a folder: ids are "prefix-site/es/guide/routing.html"."""
    tmp = tmp_path_factory.mktemp("prefix")
    shutil.copytree(PREFIX_SITE, tmp / "prefix-site")
    run_crawl([str(tmp / "prefix-site")], tmp / "ix", procs=1)
    return SearchIndex(tmp / "ix")


def by_id(body: dict) -> dict[str, dict]:
    return {r["id"]: r for r in body["results"]}


def test_every_version_of_a_prefixed_page_lists_the_others(folder_index):
    found = by_id(folder_index.search("quarvelin"))
    ids = {f"prefix-site/{p}" for p in ROUTING}
    assert set(found) == ids
    for doc_id, result in found.items():
        assert {t["id"] for t in result["translations"]} == ids - {doc_id}
        assert sorted(t["lang"] for t in result["translations"]) == sorted({"en", "es", "fr"} - {result["lang"]})


def test_collapse_shows_a_prefixed_work_once(folder_index):
    body = folder_index.search("quarvelin", collapse=True)
    assert body["total"] == 1 and len(body["results"]) == 1


def test_a_language_filter_brings_the_translation_of_a_match(folder_index):
    # "drivers" is in the English version only: the Spanish one comes as its translation.
    assert [r["id"] for r in folder_index.search("drivers", filters={"lang": ["es"]})["results"]] == [
        "prefix-site/es/guide/routing.html"]


def test_a_page_in_one_language_only_is_its_own_group(folder_index):
    (result,) = folder_index.search("brenmoor")["results"]
    assert result["id"] == "prefix-site/guide/lighthouse.html" and result["translations"] == []
    assert folder_index.search("brenmoor", collapse=True)["total"] == 1


def test_two_pages_of_one_language_under_one_key_are_not_grouped(folder_index):
    # notes.html and en/notes.html are both English: which one es/notes.html translates is
    # ambiguous, so none of the three is grouped.
    found = by_id(folder_index.search("velmaric"))
    assert set(found) == {f"prefix-site/{p}" for p in NOTES}
    assert all(r["translations"] == [] for r in found.values())
    assert folder_index.search("velmaric", collapse=True)["total"] == 3


def test_the_prefix_site_over_http_is_grouped_too(tmp_path):
    site = Site(root=PREFIX_SITE)
    try:
        crawl([site.url("/")], tmp_path / "ix")
        found = by_id(SearchIndex(tmp_path / "ix").search("quarvelin"))
        urls = {site.url(f"/{p}") for p in ROUTING}
        assert {r["url"] for r in found.values()} == urls
        for result in found.values():
            assert {t["url"] for t in result["translations"]} == urls - {result["url"]}
    finally:
        site.close()


@pytest.mark.parametrize(("url", "lang", "key"), [
    ("https://example.org/es/guide/routing.html", "es", ("example.org", "guide/routing.html", "")),
    ("https://example.org/guide/routing.html", "en", ("example.org", "guide/routing.html", "")),
    ("http://www.example.org/guide", "en", ("example.org", "guide", "")),
    ("https://es.example.org/guide", "es", ("example.org", "guide", "")),
    ("https://fr.docs.example.org/guide#top", "fr", ("docs.example.org", "guide", "")),
    ("https://example.org/guide?lang=es&page=2", "es", ("example.org", "guide", "page=2")),
    ("https://example.org/guide?hl=fr", "fr", ("example.org", "guide", "")),
    ("https://example.org/guide?LOCALE=pt-BR", "pt", ("example.org", "guide", "")),
    ("https://example.org/pt-BR/guide", "pt", ("example.org", "guide", "")),
    ("https://example.org/pt-br/guide", "pt", ("example.org", "guide", "")),
    ("https://example.org/zh-Hant/guide", "zh", ("example.org", "guide", "")),
    ("https://example.org/zh_TW/guide", "zh", ("example.org", "guide", "")),
    ("https://example.org/es-419/guide", "es", ("example.org", "guide", "")),
    ("https://example.org:8080/docs/v2/fr/guide", "fr", ("example.org:8080", "docs/v2/guide", "")),
    # Kept: a segment or subdomain that is not the page's own language, or not a tag at all.
    ("https://example.org/it/guide", "en", ("example.org", "it/guide", "")),
    ("https://example.org/es/guide", "fr", ("example.org", "es/guide", "")),
    ("https://example.org/espana/guide", "es", ("example.org", "espana/guide", "")),
    ("https://es.org/guide", "es", ("es.org", "guide", "")),
    # A local id: the first segment is the crawled folder, never dropped.
    ("es/guide.html", "es", ("", "es/guide.html", "")),
    ("site/es/guide.html", "es", ("", "site/guide.html", "")),
])
def test_neutral_key(url, lang, key):
    assert neutral_key(url, lang) == key


def doc(url: str, lang: str, **fields) -> Document:
    return Document(id=url, url=url, title="t", text="x", lang=lang, **fields)


def test_subdomains_and_query_parameters_group_within_one_site():
    docs = [doc("https://example.org/guide", "en"), doc("https://es.example.org/guide", "es"),
            doc("https://www.example.org/guide?hl=fr", "fr"), doc("https://example.net/es/guide", "es"),
            doc("https://example.org/guide?lang=und", "und")]
    _group(docs)
    assert [d.group for d in docs[:3]] == ["https://es.example.org/guide"] * 3
    assert docs[3].group == docs[3].id  # another site
    assert docs[4].group == docs[4].id  # language unknown


def test_hreflang_wins_and_listing_items_keep_their_groups():
    alternates = {"en": "https://example.org/a", "es": "https://example.org/es/a-es"}
    docs = [doc("https://example.org/a", "en", alternates=alternates),
            doc("https://example.org/es/a-es", "es"),  # named by an hreflang set
            doc("https://example.org/es/a", "es"),  # shares /a's key, but /a has hreflang
            doc("https://example.org/p#1", "en", listing="https://example.org/p#0", type="case-study",
                themes=["health"]),
            doc("https://example.org/es/p#1", "es", listing="https://example.org/es/p#0", type="case-study",
                themes=["health"])]
    _group(docs)
    assert docs[0].group == "https://example.org/a"
    assert docs[1].group == docs[1].id and docs[2].group == docs[2].id  # as before: no prefix group
    assert docs[3].group == "https://example.org/p#0#health-1"
    assert docs[4].group == "https://example.org/es/p#0#health-1"
