"""Search-as-you-type benchmark: the requests a person typing sends, over HTTP.

    python -m benchmarks.typing_bench --corpus var/corpus-10000 [--work var/typing-10000] [--json FILE]

Seeded queries (``benchmarks.queries``, 1–3 words of one language, some with filters) are
typed one character at a time; every prefix from two characters of its last word on is one
request, as the search page sends it when no keystroke is debounced away (the worst case).
``m4d-search serve`` (gunicorn, as deployed) answers them on 127.0.0.1 with its caches off
(``M4D_CACHE_SIZE=0``: every prefix is new anyway) and on; one client sends them one at a
time on a kept-alive connection. Reported: p50, p95 and p99 latency of the page
(``/search?q=…``, the HTML fragment the page swaps in) and of ``/api/search``, and how many
prefixes found something. The index is built in ``--work`` (kept for the next run).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from benchmarks import peers
from benchmarks import queries as query_sets
from benchmarks.query_bench import free_port, log, percentile, start_server, stop_server


def typed_prefixes(qs: list[dict], min_chars: int = 2) -> list[dict]:
    """Return each query's keystrokes: the query cut after each character of its last word
    from min_chars on (the words before it whole, as typed before)."""
    out = []
    for q in qs:
        text = q["q"].strip('"')
        head, _, last = text.rpartition(" ")
        for n in range(min_chars, len(last) + 1):
            out.append({"q": (head + " " if head else "") + last[:n], "filters": q["filters"]})
    return out


def path(endpoint: str, q: dict) -> str:
    pairs = [("q", q["q"])] + [(f, v) for f, vs in q["filters"].items() for v in vs]
    return f"{endpoint}?{urlencode(pairs)}"


def time_requests(port: int, paths: list[str]) -> tuple[list[float], int]:
    """Send each path in turn on one connection; return latencies (ms) and how many found something."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times, found = [], 0
    for n, p in enumerate(paths, 1):
        started = time.perf_counter()
        conn.request("GET", p)
        response = conn.getresponse()
        body = response.read()
        times.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise SystemExit(f"{p}: HTTP {response.status}: {body[:200]!r}")
        if p.startswith("/api/"):
            found += json.loads(body)["total"] > 0
        if n % 500 == 0:
            log(f"  {n}/{len(paths)} requests")
    conn.close()
    return times, found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a folder written by benchmarks.make_corpus")
    parser.add_argument("--work", type=Path, help="where the index is built and kept (default: a temp dir)")
    parser.add_argument("--queries", type=int, default=300, help="queries typed")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    started = time.monotonic()
    tmp = None
    if args.work is None:
        tmp = tempfile.TemporaryDirectory(prefix="m4d-typing-bench-")
        args.work = Path(tmp.name)
    args.work.mkdir(parents=True, exist_ok=True)
    rows = peers.extracted_documents(args.corpus, args.work / "extracted.pickle")
    if not (args.work / "m4d" / "m4d-meta.json").exists():
        log(f"indexing {args.corpus} with m4d-search …")
        from indexer.pipeline import run_crawl

        run_crawl([str(args.corpus)], args.work / "m4d", rebuild=True)
    keystrokes = typed_prefixes(query_sets.make_queries(rows, args.queries, seed=7))
    log(f"{len(rows)} documents, {args.queries} queries typed: {len(keystrokes)} requests per endpoint; "
        f"{os.cpu_count()} cores")
    figures = {}
    for system in ("m4d-search-nocache", "m4d-search"):
        port = free_port()
        proc = start_server(system, args.work, port)
        try:
            for endpoint in ("/search", "/api/search"):
                paths = [path(endpoint, q) for q in keystrokes]
                time_requests(port, paths[:50])  # warm-up: first searcher, lexicon, caches
                log(f"{system} {endpoint} …")
                times, found = time_requests(port, paths)
                figures[f"{system} {endpoint}"] = {
                    "requests": len(times), "p50_ms": round(percentile(times, 50), 2),
                    "p95_ms": round(percentile(times, 95), 2), "p99_ms": round(percentile(times, 99), 2),
                    **({"found_share": round(found / len(times), 3)} if endpoint.startswith("/api/") else {})}
        finally:
            stop_server(proc)
    print(f"\nSearch as you type, {len(rows)} documents, {len(keystrokes)} keystrokes, one client over HTTP")
    print(f"{'server, endpoint':<34}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'found':>8}")
    for name, f in figures.items():
        found = f"{f['found_share']:.0%}" if "found_share" in f else ""
        print(f"{name:<34}{f['p50_ms']:>9.2f}{f['p95_ms']:>9.2f}{f['p99_ms']:>9.2f}{found:>8}")
    if args.json:
        args.json.write_text(json.dumps({"documents": len(rows), "keystrokes": len(keystrokes), "figures": figures},
                                        indent=2))
    print(f"done: {len(rows)} documents, {2 * 2 * len(keystrokes)} requests in {time.monotonic() - started:.0f} s, "
          "0 errors")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
