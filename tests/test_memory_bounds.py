"""Issue 17, bounded memory: every read-side cache counts every entry (a word the index lacks
included) and evicts the least recently used, so a stream of distinct queries cannot grow a
process without bound."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from indexer.search.cache import VersionedCache, bounds
from indexer.search.engine import SearchIndex
from indexer.search.matchsets import SET_UNIT, set_cost
from indexer.search.scores import ENTRY_POSTINGS, ArrayScores
from indexer.text.chains import compile_chain

from .conftest import ROOT

#: The stream of the issue: distinct random queries through ``SearchIndex.search``.
QUERIES = 50_000


def test_weighed_cache_counts_empty_entries_and_evicts_the_least_recent():
    cache = VersionedCache(10, weigh=set_cost)
    for n in range(50):
        cache.put(1, f"absent-{n}", frozenset())  # what a word no document holds leaves
    assert len(cache) == 10 and cache.held == 10
    assert cache.get(1, "absent-40") == frozenset()  # now the most recent
    big = frozenset(range(SET_UNIT * 3))  # costs 4
    cache.put(1, "big", big)
    assert cache.held <= 10 and cache.get(1, "big") == big and cache.get(1, "absent-40") == frozenset()
    assert cache.get(1, "absent-41") is None  # the least recent went first
    cache.put(1, "huge", frozenset(range(SET_UNIT * 20)))  # more than the whole bound: not kept
    assert cache.get(1, "huge") is None and cache.get(1, "big") == big


def test_postings_of_terms_the_index_lacks_count_toward_the_budget(site_index_dir):
    ix = SearchIndex(site_index_dir, cache_size=0)
    searcher = ix.searcher()
    generation = searcher.reader().generation()
    scores = ArrayScores(ENTRY_POSTINGS * 40)
    for n in range(2000):
        found = scores.postings(searcher, generation, "content_any", f"zzqx{n}", {})
        assert found is not None and len(found) == 0
    stats = scores.stats()
    assert stats["held"] <= stats["size"] and stats["entries"] <= 40  # was 2000 entries costing 0
    # a word the documents hold is kept too, and used ones stay while older ones go
    word = max(ix.versions.lexicon(searcher).counts.items(), key=lambda kv: kv[1])[0]
    first = scores.postings(searcher, generation, "content_any", word, {})
    assert len(first) > 0
    for n in range(100):
        scores.postings(searcher, generation, "content_any", f"other{n}", {})
        assert scores.postings(searcher, generation, "content_any", word, {}) is first  # from the cache
    assert scores.stats()["held"] <= stats["size"]


def test_bounded_chain_memo_keeps_its_bound_and_its_answers(site_index_dir):
    ix = SearchIndex(site_index_dir, cache_size=0)
    analyzer = ix.searcher().schema["content_es"].analyzer
    small, full = compile_chain(analyzer, memo_size=100), compile_chain(analyzer)
    tokens = [f"migraciones{n}" for n in range(1000)] + ["migraciones", "las", "ciudades"] * 50
    assert [small.term(t) for t in tokens] == [full.term(t) for t in tokens]
    assert [small.token_text(t) for t in tokens] == [full.token_text(t) for t in tokens]
    assert len(small.terms) <= 100 and len(small.texts) <= 100


def test_every_bound_follows_the_cache_size_and_zero_keeps_word_memos_working(site_index_dir):
    limits = bounds(1024)
    assert limits == {"answers": 1024, "plans": 1024, "sets": 4096, "postings": 512_000, "stems": 16_384,
                      "tokens": 32_768}
    off = SearchIndex(site_index_dir, cache_size=0)
    assert off.search("migración")["total"] > 0 and off.search("zzqxw")["total"] == 0
    assert all(held <= bound for held, bound in off.cache_usage().values())
    assert off.cache_usage()["answers"] == (0, 0) and off.cache_usage()["postings"] == (0, 0)


def test_fifty_thousand_distinct_queries_keep_every_cache_and_rss_bounded(site_index_dir):
    """The issue's stream: 50,000 distinct random queries (letter strings, word pairs,
    prefixes, quoted pairs; seeded) through SearchIndex.search in a fresh process at the
    default cache size. Each cache stays within its bound, the ones the stream fills reach
    it (so the bound, not the stream, is what stops them), and RSS at the end stays under
    twice what it was after 2,000 queries."""
    env = dict(os.environ, M4D_CACHE_SIZE="1024")
    done = subprocess.run([sys.executable, "-m", "benchmarks.memory", "--in-process", "--index", str(site_index_dir),
                           "--queries", str(QUERIES), "--warm-up", "2000", "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    report = json.loads(done.stdout)
    caches = report["caches"]
    for name, c in caches.items():
        assert c["peak"] <= c["bound"], (name, c)
    for name in ("answers", "plans", "postings", "stems", "tokens"):
        assert caches[name]["peak"] >= 0.9 * caches[name]["bound"], (name, caches[name])
    assert report["rss_end_mb"] < 2 * report["rss_warm_mb"], report
    assert report["rss_end_mb"] - report["rss_start_mb"] < 150, report  # README: Reliability
    assert done.returncode == 0
