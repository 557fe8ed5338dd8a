"""Both stores check proximity bonuses lazily, only for the documents whose upper bound can
reach the page (the Whoosh store: ``search.topk.ScoredMatches``; the PostgreSQL store:
``indexer/pgstore/phrases.py``). Whatever page is asked, it must be the slice of the whole
ranking (every match on one page, where every bonus is checked), on a corpus where many
documents hold a query's words, some near each other and some apart: with and without
filters, collapsed, by relevance and by date."""
from __future__ import annotations

import random
from html import escape

import pytest
from bs4 import BeautifulSoup

from indexer.pipeline import run_crawl
from indexer.stores import open_store

from .conftest import SITE, crawled_store

SEARCHES = [
    ("migration development", {}),
    ("migration development", {"page": 2, "per_page": 4}),
    ("migration development", {"page": 5, "per_page": 3}),
    ("local development", {"per_page": 5}),
    ("local development", {"filters": {"lang": ["en"]}, "per_page": 4}),
    ("desarrollo local", {"filters": {"lang": ["es"]}, "page": 2, "per_page": 3}),
    ("migrants development", {"filters": {"lang": ["fr"]}}),
    ("human mobility", {"per_page": 3, "page": 3}),
    ("migration development", {"sort": "date", "per_page": 5}),
    ("développement local", {"collapse": True, "per_page": 4}),
    ("local development migration", {"filters": {"lang": ["es"]}, "per_page": 3}),
    ("migration development", {"filters": {"lang": ["fr"]}, "per_page": 2, "page": 2}),
    ("migrants development", {"filters": {"lang": ["es", "fr"]}, "collapse": True, "per_page": 2}),
    ("desarrollo migración", {"filters": {"lang": ["en"]}, "per_page": 3}),
    ("migration development", {"filters": {"theme": ["social-inclusion"]}, "per_page": 3}),
    # pages that the bonuses checked first (the best of all matches) cannot settle: filtered,
    # they end lower, and a bonus of a match checked after them lifts it onto the page
    ("migration development", {"filters": {"theme": ["social-inclusion"]}, "page": 3, "per_page": 3}),
    ("migration development", {"filters": {"lang": ["en"]}, "per_page": 2}),
    ("migration development", {"filters": {"lang": ["en"]}, "page": 3, "per_page": 1}),
    ("local development", {"filters": {"theme": ["social-inclusion"], "lang": ["en"]}, "per_page": 2, "page": 2}),
    ("migration development", {"filters": {"theme": ["mainstreaming-migration-into-local-development-planning"]},
                               "per_page": 3}),
]


THEMES = ["Social Inclusion", "Partnerships for effective migration management for local development",
          "Mainstreaming migration into local development planning"]


def paragraphs() -> dict[str, list[str]]:
    """Return the bundled site's paragraphs by language (verbatim)."""
    out: dict[str, list[str]] = {}
    for page in sorted(SITE.rglob("*.html")):
        soup = BeautifulSoup(page.read_text("utf-8"), "html.parser")
        lang = soup.html.get("lang", "en")[:2]
        out.setdefault(lang, []).extend(p.get_text(" ", strip=True) for p in soup.find_all(["p", "li"])
                                        if len(p.get_text().split()) > 12)
    return out


@pytest.fixture(scope="module")
def mixed_site(tmp_path_factory):
    """90 pages, each three of the site's paragraphs of one language in a seeded order, a
    date each: the same words near each other in some pages, apart in others."""
    folder = tmp_path_factory.mktemp("mixed-site")
    texts, rng = paragraphs(), random.Random(7)
    for i in range(90):
        lang = ("en", "es", "fr")[i % 3]
        chosen = rng.sample(texts[lang], 3)
        title = " ".join(chosen[0].split()[:6])
        body = "".join(f"<p>{escape(p)}</p>" for p in chosen)
        if i % 4:  # three pages in four carry a thematic area (a filter that cuts across languages)
            body = f'<p class="labels">Thematic area: {THEMES[i % 4 - 1]}</p>' + body
        (folder / f"page-{i:03}.html").write_text(
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="date" content="2015-{1 + i % 12:02}-{1 + i % 27:02}"></head>'
            f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>", "utf-8")
    return folder


@pytest.fixture(scope="module")
def whoosh(mixed_site, tmp_path_factory):
    index = tmp_path_factory.mktemp("mixed-index")
    run_crawl([str(mixed_site)], index)
    store = open_store(index)
    yield store
    store.close()


@pytest.fixture(scope="module")
def postgres(mixed_site, pg_cluster):
    store = open_store(crawled_store(pg_cluster, "mixed_store", mixed_site))
    yield store
    store.close()


@pytest.fixture(scope="module", params=["whoosh", "postgres"])
def store(request):
    return request.getfixturevalue(request.param)


def ranked(body: dict) -> list[tuple[str, float]]:
    return [(r["id"], r["score"]) for r in body["results"]]


@pytest.mark.parametrize(("q", "options"), SEARCHES, ids=[f"{q} {o}" for q, o in SEARCHES])
def test_a_page_is_the_slice_of_the_whole_ranking(store, q, options):
    page, per_page = options.get("page", 1), options.get("per_page", 10)
    rest = {k: v for k, v in options.items() if k not in ("page", "per_page")}
    whole = store.search(q, per_page=100, **rest)
    assert per_page < whole["total"] <= 100  # more than a page: some bonuses are never checked
    body = store.search(q, page=page, per_page=per_page, **rest)
    assert body["total"] == whole["total"] and body["facets"] == whole["facets"]
    assert ranked(body) == ranked(whole)[(page - 1) * per_page:page * per_page]
    assert body["results"] == whole["results"][(page - 1) * per_page:page * per_page]


def test_the_bonus_splits_the_matches(whoosh, postgres):
    """The pages above mean something only if some matches hold the two words next to each
    other and others apart; and both stores rank the same matches alike (scores within 5 %:
    field lengths are exact in PostgreSQL, a byte in Whoosh, so near ties may swap)."""
    a, b = whoosh.search("migration development", per_page=100), postgres.search("migration development", per_page=100)
    plain = [r["snippet"].replace("<mark>", "").replace("</mark>", "").lower() for r in a["results"]]
    together = sum("migration and development" in text for text in plain)
    assert 0 < together < len(plain)
    assert {r["id"] for r in a["results"]} == {r["id"] for r in b["results"]}
    scores = {r["id"]: r["score"] for r in a["results"]}
    for r in b["results"]:
        assert r["score"] == pytest.approx(scores[r["id"]], rel=0.05)
