"""The store contract: a folder (Whoosh) and a PostgreSQL store answer alike.

The same corpus crawled into both; every search below runs against each, and the bodies
must agree: totals, pages, the results in order, their translations and marks, the facets
(values, counts, labels, order), corrections, suggestions, nearby searches. The property
tests that follow run once per store (parametrized), so a store that breaks a rule fails
on its own."""
from __future__ import annotations

import pytest

from indexer.errors import SearchError
from indexer.stores import open_store

SEARCHES = [
    ("migration", {}),
    ("migrasion", {}),
    ("migrasion", {"exact": True}),
    ("Ecuador", {}),
    ("", {}),
    ("", {"collapse": True}),
    ("migration", {"filters": {"lang": ["fr"]}}),
    ("migración", {"filters": {"lang": ["es", "fr"]}}),
    ("", {"filters": {"type": ["case-study"], "lang": ["en"]}}),
    ("desarrollo", {"collapse": True}),
    ("remesas", {"ui": "es"}),
    ("", {"page": 2, "per_page": 3}),
    ("", {"sort": "date"}),
    ("migration", {"sort": "date", "collapse": True}),
    ("xenof", {}),
    ('"desarrollo local"', {}),
    ("what is the role of migrants in local development?", {}),
    ("zzzzqqq", {}),
    ("mobilité", {}),
    ("inclusión social", {"ui": "fr"}),
    ("", {"filters": {"theme": ["social-inclusion"]}}),
    ("migrantes", {"filters": {"theme": ["social-inclusion", "mainstreaming-migration-into-local-development-planning"],
                               "type": ["case-study"]}}),
    ("Equateur", {"ui": "fr"}),
]


@pytest.fixture(scope="module")
def whoosh(site_index_dir):
    store = open_store(site_index_dir)
    yield store
    store.close()


@pytest.fixture(scope="module")
def postgres(site_store_url):
    store = open_store(site_store_url)
    yield store
    store.close()


@pytest.fixture(scope="module", params=["whoosh", "postgresql"])
def store(request):
    return request.getfixturevalue("whoosh" if request.param == "whoosh" else "postgres")


def comparable(body: dict) -> dict:
    """The body without what may differ between stores: timing, score digits."""
    out = {k: v for k, v in body.items() if k != "took_ms"}
    out["results"] = [{k: v for k, v in r.items() if k != "score"} for r in body["results"]]
    return out


@pytest.mark.parametrize(("q", "options"), SEARCHES, ids=[f"{q or '(browse)'} {o}" for q, o in SEARCHES])
def test_both_stores_answer_alike(whoosh, postgres, q, options):
    a, b = whoosh.search(q, **options), postgres.search(q, **options)
    assert set(a) == set(b)
    assert comparable(b) == comparable(a)
    if '"' in q:  # query syntax: PostgreSQL's ts_rank_cd, not BM25 (README, "Deploying")
        return
    for x, y in zip(a["results"], b["results"], strict=True):
        assert y["score"] == pytest.approx(x["score"], rel=0.05)


def test_a_body_has_the_contracts_keys(store):
    body = store.search("migration")
    assert set(body) == {"query", "total", "page", "per_page", "pages", "took_ms", "results", "facets",
                         "corrected", "suggestion", "nearby"}
    assert set(body["results"][0]) == {"id", "url", "title", "title_html", "lang", "type", "country", "themes",
                                       "keywords", "date", "snippet", "score", "translations", "matched"}
    assert set(body["facets"]) == {"lang", "theme", "country", "type"}


def test_facets_are_or_within_and_across_and_ignore_their_own_filter(store):
    everything = store.search("")
    by_lang = {v["value"]: v["count"] for v in everything["facets"]["lang"]}
    both = store.search("", filters={"lang": ["es", "fr"]})
    assert both["total"] == by_lang["es"] + by_lang["fr"]  # OR within a facet
    # the language facet ignores its own filter: every language still counted
    assert {v["value"]: v["count"] for v in both["facets"]["lang"]} == by_lang
    narrowed = store.search("", filters={"lang": ["es", "fr"], "type": ["case-study"]})
    types = {v["value"]: v["count"] for v in both["facets"]["type"]}
    assert narrowed["total"] == types["case-study"]  # AND across facets
    assert all(r["lang"] in ("es", "fr") and r["type"] == "case-study"
               for r in store.search("", filters={"lang": ["es", "fr"], "type": ["case-study"]},
                                     per_page=50)["results"])


def test_a_language_filter_brings_the_versions_of_matched_works(store):
    direct = store.search("xenophobic", per_page=50)
    french = store.search("xenophobic", filters={"lang": ["fr"]}, per_page=50)
    assert french["total"] > 0 and {r["lang"] for r in french["results"]} == {"fr"}
    # the direct French matches, and the French versions of works matched in other languages
    found = {r["id"] for r in french["results"]}
    assert found <= {r["id"] for r in direct["results"]} | {t["id"] for r in direct["results"]
                                                             for t in r["translations"]}


def test_collapse_counts_and_shows_works(store):
    every = store.search("", per_page=50)
    works = store.search("", collapse=True, per_page=50)
    assert works["total"] < every["total"]
    assert works["total"] == len(works["results"])
    groups = set()
    for r in works["results"]:
        key = frozenset([r["id"], *(t["id"] for t in r["translations"])])
        assert key not in groups
        groups.add(key)


def test_bad_arguments_are_search_errors(store):
    with pytest.raises(SearchError, match="past the last page"):
        store.search("migration", page=99)
    with pytest.raises(SearchError):
        store.search("", filters={"lang": ["xx"]})
    with pytest.raises(SearchError):
        store.search("", per_page=0)
    with pytest.raises(SearchError):
        store.search("", sort="size")
    with pytest.raises(SearchError):
        store.search("x" * 10_000)


def test_stats_and_suggestions(store, whoosh, postgres):
    stats = store.stats()
    assert stats["documents"] == 13 and stats["index_bytes"] > 0
    assert stats["by"] == whoosh.stats()["by"] == postgres.stats()["by"]
    assert store.suggest("migr") == whoosh.suggest("migr")
    assert store.suggest("desarrollo mi")[0].startswith("desarrollo mi")
    assert store.doc_count() == 13
