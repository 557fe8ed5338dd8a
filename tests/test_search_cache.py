"""The read path's machinery: the answer cache and its invalidation, match sets and
snippets computed the cheap way but equal to Whoosh's, the X-Cache header."""
from __future__ import annotations

import time

import numpy as np
import pytest
from whoosh import scoring

from indexer.pipeline import run_crawl
from indexer.search import snippets
from indexer.search.cache import VersionedCache, configured_size
from indexer.search.engine import SearchIndex, exact_top
from indexer.search.topk import count_matches, top

from .conftest import SITE

QUERIES = ["xenófobo", "migración", "inclusion sociale", '"social inclusion"', "migra*", "Ecuador NOT Loja",
           "remesas OR remittances", "lang:fr", "desarrollo local", "the", "Sucumbios",
           "¿dónde está la migración zzyzxq?"]  # a word no field holds (snippets skip the look-ups)


def test_lru_keeps_the_most_recent_entries_of_one_generation():
    cache = VersionedCache(2)
    cache.put(1, "a", 1)
    cache.put(1, "b", 2)
    assert cache.get(1, "a") == 1  # a is now the most recent
    cache.put(1, "c", 3)
    assert cache.get(1, "b") is None and cache.get(1, "a") == 1 and cache.get(1, "c") == 3
    assert cache.get(2, "a") is None  # another generation never reads these
    cache.put(0, "old", 0)  # computed from an older index: not kept
    assert cache.get(0, "old") is None and cache.get(1, "a") == 1
    cache.put(2, "new", 4)  # a newer index empties the cache
    assert len(cache) == 1 and cache.get(1, "a") is None and cache.get(2, "new") == 4
    assert cache.stats()["hits"] == 5


def test_size_zero_caches_nothing(monkeypatch):
    cache = VersionedCache(0)
    cache.put(1, "a", 1)
    assert cache.get(1, "a") is None and len(cache) == 0
    monkeypatch.setenv("M4D_CACHE_SIZE", "7")
    assert configured_size() == 7 and configured_size(3) == 3
    monkeypatch.setenv("M4D_CACHE_SIZE", "many")
    with pytest.raises(ValueError, match="M4D_CACHE_SIZE"):
        configured_size()


def test_repeated_search_is_answered_from_the_cache(site_index_dir):
    ix = SearchIndex(site_index_dir, cache_size=16)
    first = ix.search("xenófobo", {"lang": ["es"]})
    assert not ix.last_search_cached()
    first["results"][0]["title"] = "changed by the caller"
    first["facets"]["lang"].clear()
    again = ix.search("xenófobo", {"lang": ["es"]})
    assert ix.last_search_cached()
    fresh = SearchIndex(site_index_dir, cache_size=0).search("xenófobo", {"lang": ["es"]})
    assert {k: v for k, v in again.items() if k != "took_ms"} == {k: v for k, v in fresh.items() if k != "took_ms"}
    ix.search("xenófobo", {"lang": ["es"]}, per_page=1)
    assert not ix.last_search_cached()  # another page is another answer


def test_caches_off_never_hit(site_index_dir):
    ix = SearchIndex(site_index_dir, cache_size=0)
    ix.search("migración")
    ix.search("migración")
    assert not ix.last_search_cached() and ix.cache_stats()["hits"] == 0


def test_a_crawl_invalidates_cached_answers(make_index, site_copy):
    index_dir = make_index(site_copy)
    ix = SearchIndex(index_dir, cache_size=64)
    before = ix.search("xenófobo")
    assert before["total"] >= 1 and ix.search("xenófobo")["total"] == before["total"]
    assert ix.last_search_cached()
    removed = [h["id"] for h in before["results"] if h["lang"] == "es"][0]
    (site_copy / removed.split("/", 1)[1]).unlink()  # the id: the folder's name, then the path
    run_crawl([str(site_copy)], index_dir)
    time.sleep(0.6)  # searchers look for a new index version at most twice a second
    after = ix.search("xenófobo")
    assert not ix.last_search_cached()
    assert removed not in [h["id"] for h in after["results"]]
    assert after["total"] == before["total"] - 1


@pytest.mark.parametrize("q", QUERIES)
def test_match_sets_equal_whoosh(site_index, q):
    query = site_index.parse(q).query
    searcher = site_index.searcher()
    generation = searcher.reader().generation()
    assert site_index._sets.docs(searcher, generation, query) == set(searcher.docs_for_query(query))


@pytest.mark.parametrize("q", QUERIES + ["desarrollo local Loja", "¿qué proyectos apoyan a los migrantes?",
                                         "migrasion", "human mobility"])
def test_plan_matches_from_score_tables_equal_postings(site_index, q):
    """search() reads each clause's matches from the score tables it built for ranking;
    they must be the documents the clause's postings give."""
    plan = site_index.parse(q)
    searcher = site_index.searcher()
    generation = searcher.reader().generation()
    memo = {}
    scores = site_index._scores.scores(searcher, generation, plan.query, memo)
    assert scores is not None  # every part of these plans is scored as arrays
    assert list(scores.ids) == sorted(set(scores.ids.tolist()))  # sorted, unique
    clause_ids = []
    for clause in plan.clauses:
        ids = site_index._scores.scores(searcher, generation, clause.query, memo).ids
        assert set(ids.tolist()) == set(searcher.docs_for_query(clause.query))
        clause_ids.append(ids)
    if plan.clauses:
        matched = count_matches(clause_ids, plan.required, plan.relax, searcher.doc_count_all())
    else:  # a query in Whoosh's syntax: its matches are the query's
        matched = scores.ids
    assert set(matched.tolist()) == plan.matches(searcher)


def test_snippets_equal_whoosh_highlighter(site_index):
    compared = sum(compare_snippets(site_index, q) for q in QUERIES)
    assert compared >= 10, "too few non-empty snippets compared"


def compare_snippets(site_index, q: str) -> int:
    """Assert the cheap snippets equal Whoosh's for q's hits; return how many were non-empty."""
    query = site_index.parse(q).query
    with site_index._ix.searcher(weighting=scoring.BM25F()) as searcher:
        results = searcher.search(query, limit=10)
        compared = 0
        for hit in results:
            fields = hit.fields()
            for field in (f"content_{fields['lang']}", "content_any"):
                if field not in site_index._schema:
                    continue
                chain = site_index._chains[field]
                assert chain is not None
                expected = site_index._highlighter.highlight_hit(hit, field, text=fields["text"], top=2)
                assert snippets.highlight(site_index._highlighter, hit, field, fields["text"], chain, top=2) \
                    == expected
                compared += bool(expected)
    return compared


def test_snippets_of_long_texts_equal_whoosh_highlighter(make_index):
    """Matches far apart in a long text: the token windows must not change the fragments."""
    import random

    rng = random.Random(5)
    words = ("el la de que y en los se del las un por con no una su para es al lo como más o pero sus "
             "migración desarrollo local comunidad proyecto apoyo jóvenes mujeres , ; . « » – 1 2 a").split()
    pages = {}
    for n in range(3):
        body = [rng.choice(words) for _ in range(2500)]
        for at in rng.sample(range(2500), 6):
            body[at] = rng.choice(["xenófobas", "racistas", "actitudes"])
        pages[f"p{n}.html"] = f"<html lang='es'><title>Página {n}</title><p>{' '.join(body)}</p></html>"
    ix = SearchIndex(make_index(pages), cache_size=0)
    assert sum(compare_snippets(ix, q) for q in ["xenófobas", "racistas actitudes", "xenófobas OR racistas",
                                                   "jóvenes xenófobas"]) >= 6


def test_top_hits_are_exact_across_segments(tmp_path):
    """Whoosh's default collector can skip the best documents of a later segment; ours cannot."""
    import random

    rng = random.Random(3)
    site = tmp_path / "site"
    site.mkdir()
    filler = "la de que y en los se del las un por con una su para es al lo como pero sus desarrollo".split()
    for n in range(40):
        words = [rng.choice(filler) for _ in range(rng.randint(20, 400))]
        for _ in range(rng.randint(1, 6)):
            words[rng.randrange(len(words))] = rng.choice(["tratados", "incluyen"])
        (tmp_path / "site" / f"p{n:02d}.html").write_text(
            f"<html lang='es'><title>P {n}</title><p>{' '.join(words)}</p></html>", "utf-8")
    from indexer.crawl.local import LocalCrawler
    from indexer.enrich.facets import enrich
    from indexer.parse.extract import extract
    from indexer.parse.listing import split_listing
    from indexer.write import write_documents

    crawler = LocalCrawler(str(site))
    docs = []
    for page in crawler:
        docs += split_listing(extract(page))
    write_documents(tmp_path / "ix", enrich(docs), [], rebuild=True, procs=1)
    write_documents(tmp_path / "ix2", enrich(docs), [], rebuild=True, procs=2)
    for path in (tmp_path / "ix", tmp_path / "ix2"):
        ix = SearchIndex(path, cache_size=0)
        searcher = ix.searcher()
        for q in ["tratados", "tratados incluyen", "tratados OR incluyen", '"tratados incluyen"']:
            plan = ix.parse(q)
            query, matched = plan.query, plan.matches(searcher)
            every = sorted(((-h.score, h.docnum) for h in searcher.search(query, limit=None)
                            if h.docnum in matched))[:5]
            top = [(-h.score, h.docnum) for h in exact_top(searcher, query, None, 5)]
            assert top == every
            body = ix.search(q, per_page=5)
            assert [r["score"] for r in body["results"]] == [round(-s, 4) for s, _ in every]


def test_api_tells_whether_the_answer_was_cached(client):
    first = client.get("/api/search?q=remesas")
    second = client.get("/api/search?q=remesas")
    assert first.headers["X-Cache"] == "miss" and second.headers["X-Cache"] == "hit"
    assert first.get_json()["results"] == second.get_json()["results"]


@pytest.mark.parametrize("q", QUERIES + ["desarrollo", "proyecto migrantes", "inclusion"])
@pytest.mark.parametrize("allowed", [None, "es"])
def test_leaf_scores_rank_as_whoosh(site_index, q, allowed):
    query = site_index.parse(q).query
    searcher = site_index.searcher()
    allow = None
    if allowed:
        allow = set(searcher.docs_for_query(site_index.parse(f"lang:{allowed}").query))
    scored = site_index._scores.scores(searcher, searcher.reader().generation(), query)
    if scored is None:
        assert q == "migra*"  # a part left to Whoosh
        return
    keep = np.array([allow is None or d in allow for d in scored.ids.tolist()], dtype=bool)
    mine = top(scored.ids[keep], scored.scores[keep], 10)
    theirs = [(hit.score, hit.docnum) for hit in exact_top(searcher, query, allow, 10)]
    assert [d for _, d in mine] == [d for _, d in theirs]
    assert [s for s, _ in mine] == pytest.approx([s for s, _ in theirs], rel=1e-9)


def test_field_lengths_read_in_one_piece_equal_whoosh(site_index):
    from indexer.codec.postingfile import field_lengths

    reader = site_index.searcher().reader()
    for field in ("content_es", "title_any", "content_any"):
        expected = [reader.doc_field_length(d, field, 1) or 1 for d in range(reader.doc_count_all())]
        assert field_lengths(reader, field) == expected
    site_index.warm()  # loads the same lengths and the facet sets without error


def check_links(ix, searcher) -> None:
    """The per-version links table says what each live document's stored fields say."""
    links = ix.versions.links(searcher)
    reader = searcher.reader()
    for docnum in reader.all_doc_ids():
        f = reader.stored_fields(docnum)
        assert links[docnum] == {"id": f["id"], "lang": f["lang"], "url": f["url"], "title": f["title"]}


def test_links_of_an_index_without_the_link_column_come_from_stored_fields(tmp_path, site_index_dir):
    """An index made before the ``link`` column: crawls into it write none, and translation
    links come from the stored fields."""
    from whoosh import index
    from whoosh.fields import Schema

    from indexer.schema import build_schema

    schema = build_schema()
    (tmp_path / "ix").mkdir()
    index.create_in(tmp_path / "ix", Schema(**{n: schema[n] for n in schema.names()
                                               if n != "link" and not n.startswith("spell_")}))
    run_crawl([str(SITE)], tmp_path / "ix")
    ix = SearchIndex(tmp_path / "ix", cache_size=0)
    searcher = ix.searcher()
    assert "link" not in searcher.schema
    check_links(ix, searcher)
    fresh = SearchIndex(site_index_dir, cache_size=0)  # the same pages crawled into a new index
    assert fresh.searcher().reader().has_column("link")
    check_links(fresh, fresh.searcher())
    for q in ("xenófobo", "inclusion sociale", ""):
        old, new = ix.search(q), fresh.search(q)
        assert [h["translations"] for h in old["results"]] == [h["translations"] for h in new["results"]]
        assert any(h["translations"] for h in new["results"])


def test_per_segment_caches_equal_reading_the_whole_index(tmp_path):
    """Facet sets, the vocabulary and the translation links are read per segment and kept for
    the segments a new index version keeps; they must equal what reading the whole index
    gives."""
    from dataclasses import replace

    from whoosh.query import Term

    from indexer.pipeline import read_documents
    from indexer.search.lexicon import Lexicon
    from indexer.write import write_documents

    docs = read_documents(str(SITE))
    docs = [replace(d, source="file:///a" if n < 7 else "file:///b") for n, d in enumerate(docs)]
    write_documents(tmp_path / "ix", docs[:7], ["file:///a"], procs=1)
    write_documents(tmp_path / "ix", docs[7:], ["file:///b"], procs=1)  # a second segment
    ix = SearchIndex(tmp_path / "ix", cache_size=0)
    searcher = ix.searcher()
    assert len(searcher.leaf_searchers()) == 2
    whole = Lexicon(searcher.reader())
    merged = ix.versions.lexicon(searcher)
    assert merged.counts == whole.counts and merged.letters == whole.letters and merged.forms == whole.forms
    for field in ("lang", "theme", "country", "type", "group"):
        expected = {v.decode() if isinstance(v, bytes) else v for v in searcher.lexicon(field)}
        sets = ix.versions.facet_sets(searcher, field)
        assert set(sets) == expected
        for value, found in sets.items():
            assert found == frozenset(searcher.docs_for_query(Term(field, value)))
    check_links(ix, searcher)
    kept = set(ix.versions._by_segment)
    # A new version that deletes a document in the first segment and adds one: the second
    # segment's entries are reused, the first one's read again, the old ones forgotten.
    changed = [d for d in docs[:7] if d is not docs[0]]
    write_documents(tmp_path / "ix", changed, ["file:///a"], procs=1)
    time.sleep(0.6)
    searcher = ix.searcher()
    sets = ix.versions.facet_sets(searcher, "lang")
    assert sum(len(d) for d in sets.values()) == searcher.doc_count() == len(docs) - 1
    for value, found in sets.items():
        assert found == frozenset(searcher.docs_for_query(Term("lang", value)))
    check_links(ix, searcher)
    assert not {k[:2] for k in ix.versions._by_segment} - {(s.segment().segment_id(), s.segment().deleted_count())
                                                    for s in (sub.reader() for sub, _ in searcher.leaf_searchers())}
    assert kept & set(ix.versions._by_segment) or len(searcher.leaf_searchers()) == 1
