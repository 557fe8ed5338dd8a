"""Snippet benchmark: the snippets of a page of hits, three ways, on an existing index.

    python -m benchmarks.bench_snippets [--index var/qb-10000/m4d] [--rows var/qb-10000/extracted.pickle]
                                          [--queries 300] [--rounds 5] [--seed 1]

(the index and rows ``benchmarks.query_bench --work var/qb-10000`` builds; the index is only read).

Seeded queries (``queries.make_queries`` over the extracted rows the index was built from)
run once through ``SearchIndex.search`` (caches off, index opened read-only) to collect each
page's hits; then the snippets of each page are timed, per page and per hit, built by:

- ``whoosh``: Whoosh's ``Highlighter.highlight_hit`` (the whole text re-analyzed);
- ``previous``: the cheap path before this one (every token looked up in the compiled chain's
  memo, windows of tokens fed to Whoosh's fragmenter), as of commit 3703d79;
- ``m4d-search``: ``indexer.search.snippets`` now (candidates by folded prefixes, fragments replayed
  from match to match).

Per-query memos (query words, candidate prefixes, and re's compiled patterns) are cleared
before each page, so their cost is counted. Prints medians over the pages (each page's time
the median of ``--rounds``), p90, the mean per hit, ratios, and how many snippets differ from
Whoosh's (must be 0). Last, the whole ``SearchIndex.search`` is timed with the previous
snippet path and with this one.
"""
from __future__ import annotations

import argparse
import pickle
import re
import statistics
import sys
import time
from pathlib import Path

from whoosh.highlight import ContextFragmenter, Highlighter, top_fragments

from benchmarks import queries as query_sets
from indexer.search import snippets
from indexer.search.engine import SearchIndex

HERE = Path(__file__).resolve().parent
#: What ``benchmarks.query_bench --work var/qb-10000`` leaves: the index and the extracted rows.
WORK = HERE.parent / "var" / "qb-10000"


class _OldToken:
    __slots__ = ("text", "startchar", "endchar", "matched", "boost", "pos", "stopped")

    def __init__(self, text, startchar, endchar, matched, pos, stopped):
        self.text, self.startchar, self.endchar = text, startchar, endchar
        self.matched, self.pos, self.stopped, self.boost = matched, pos, stopped, 1.0

    def copy(self):
        return _OldToken(self.text, self.startchar, self.endchar, self.matched, self.pos, self.stopped)


def previous_highlight(highlighter, hit, fieldname, text, chain, top=2, minscore=1):
    """The previous cheap path (commit 3703d79), for comparison."""
    words = snippets.query_words(hit, fieldname)
    if not words:
        return ""
    words_in = chain.expression.findall(text)
    marked = [chain.texts.get(t) or chain.token_text(t) for t in words_in]
    hits = [i for i, (term, _) in enumerate(marked) if term in words]
    if not hits:
        return ""
    surround = highlighter.fragmenter.surround
    before, after = surround + 2, 2 * surround + 2
    ranges = []
    for i in hits:
        lo, hi = max(0, i - before), min(len(words_in), i + after + 1)
        if ranges and lo <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], hi))
        else:
            ranges.append((lo, hi))
    tokens, spans, at = [], chain.expression.finditer(text), 0
    for lo, hi in ranges:
        for _ in range(lo - at):
            next(spans)
        for i in range(lo, hi):
            start, end = next(spans).span()
            term, stopped = marked[i]
            tokens.append(_OldToken(term, start, end, term in words, i, stopped))
        at = hi
    fragments = ContextFragmenter.fragment_tokens(highlighter.fragmenter, text,
                                                  Highlighter._merge_matched_tokens(tokens))
    fragments = top_fragments(fragments, top, highlighter.scorer, highlighter.order, minscore=minscore)
    return highlighter.formatter.format(fragments)


def whoosh_highlight(highlighter, hit, fieldname, text, chain, top=2, minscore=1):
    return highlighter.highlight_hit(hit, fieldname, text=text, top=top, minscore=minscore)


METHODS = {"whoosh": whoosh_highlight, "previous": previous_highlight, "m4d-search": snippets.highlight}


def collect_pages(ix: SearchIndex, queries: list[dict]) -> list[list[tuple]]:
    """Return, per query with hits, the arguments of ``snippets.snippet`` for its page."""
    pages, calls = [], []
    real = snippets.snippet

    def record(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    snippets.snippet = record
    try:
        for n, q in enumerate(queries, 1):
            calls.clear()
            ix.search(q["q"], filters=q["filters"])
            if calls:
                pages.append(list(calls))
            if n % 100 == 0:
                print(f"  searched {n}/{len(queries)}", file=sys.stderr, flush=True)
    finally:
        snippets.snippet = real
    return pages


def forget(page: list[tuple]) -> None:
    """Drop the per-query memos a page's results hold (and re's compiled patterns), so each
    timing pays for them."""
    re.purge()
    for args, _ in page:
        results = getattr(args[3], "results", None)
        if results is not None:
            results.__dict__.pop("_m4d_words", None)
            results.__dict__.pop("_m4d_candidates", None)


def run_page(page: list[tuple], method) -> list[str]:
    real = snippets.highlight
    snippets.highlight = method
    try:
        return [snippets.snippet(*args, **kwargs) for args, kwargs in page]
    finally:
        snippets.highlight = real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, default=WORK / "m4d")
    parser.add_argument("--rows", type=Path, default=WORK / "extracted.pickle")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with open(args.rows, "rb") as f:
        rows = pickle.load(f)
    queries = query_sets.make_queries(rows, args.queries, seed=args.seed)
    ix = SearchIndex(args.index, cache_size=0)
    pages = collect_pages(ix, queries)
    hits = sum(len(p) for p in pages)
    print(f"{len(pages)} pages with hits, {hits} snippets, index {args.index}", file=sys.stderr)

    expected = {}
    differ = {name: 0 for name in METHODS}
    per_page = {name: [] for name in METHODS}
    for n, page in enumerate(pages):
        for name, method in METHODS.items():
            times = []
            for _ in range(args.rounds):
                forget(page)
                started = time.perf_counter()
                out = run_page(page, method)
                times.append(time.perf_counter() - started)
            per_page[name].append(statistics.median(times) * 1000)
            if name == "whoosh":
                expected[n] = out
            else:
                differ[name] += sum(a != b for a, b in zip(out, expected[n], strict=True))
        if (n + 1) % 50 == 0:
            print(f"  timed {n + 1}/{len(pages)} pages", file=sys.stderr, flush=True)

    print(f"\nSnippets of the first page ({hits / len(pages):.1f} hits a page), {len(pages)} queries, "
          f"median of {args.rounds} rounds per page")
    print(f"{'system':<12} {'page p50 ms':>12} {'page p90 ms':>12} {'mean/hit µs':>11} {'differ':>7}")
    new = statistics.median(per_page["m4d-search"])
    for name, values in per_page.items():
        p50 = statistics.median(values)
        p90 = sorted(values)[int(0.9 * (len(values) - 1))]
        per_hit = sum(values) / hits * 1000
        print(f"{name:<12} {p50:>12.3f} {p90:>12.3f} {per_hit:>11.1f} {differ[name]:>7}")
    ratios = ", ".join(f"{name} {statistics.median(v) / new:.1f}x" for name, v in per_page.items()
                       if name != "m4d-search")
    print(f"\nm4d-search page p50 {new:.3f} ms; slower peers: {ratios}")

    # The whole in-process search (facets, snippets of the page, translations; caches off),
    # with the previous snippet path and with this one.
    whole = {}
    for name in ("previous", "m4d-search"):
        real = snippets.highlight
        snippets.highlight = METHODS[name]
        try:
            per_query = []
            for q in queries:
                times = []
                for _ in range(3):
                    re.purge()
                    started = time.perf_counter()
                    ix.search(q["q"], filters=q["filters"])
                    times.append(time.perf_counter() - started)
                per_query.append(statistics.median(times) * 1000)
        finally:
            snippets.highlight = real
        whole[name] = per_query
    print(f"\nSearchIndex.search, {len(queries)} queries, median of 3 runs each (ms):")
    for name, values in whole.items():
        print(f"{name:<12} p50 {statistics.median(values):7.2f}  mean {statistics.mean(values):7.2f}")
    print(f"summary: snippets of a page p50 {new:.3f} ms ({ratios}); search p50 "
          f"{statistics.median(whole['previous']):.2f} → {statistics.median(whole['m4d-search']):.2f} ms")


if __name__ == "__main__":
    main()
