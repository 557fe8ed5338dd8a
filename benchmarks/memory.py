"""Memory under a stream of distinct queries: every read-side cache is bounded.

A query the caches have not seen costs an entry in several of them (its answer, its plan, the
postings of each of its words, the words' stems and analysis), a word the index lacks
included; the bounds (``indexer.search.cache.bounds``, from ``M4D_CACHE_SIZE``) keep that
finite. Two runs, by hand:

    python -m benchmarks.memory --index var/index                 # over HTTP, 2 workers
    python -m benchmarks.memory --index var/index --in-process    # one SearchIndex

Over HTTP, ``m4d-search serve --workers 2`` runs on 127.0.0.1 and gets --queries distinct
queries over a few connections; each worker's RSS is printed at the start (warmed up by
``serve``), after --warm-up queries and at the end. In-process (``tests/test_memory_bounds.py``
runs it so), the same stream goes through ``SearchIndex.search`` and each cache's usage is
printed against its bound (``--json``: one JSON object). The stream is seeded: random letter
strings, random pairs of the index's words, prefixes and quoted pairs, never the same twice.
Exit status 1 when the end RSS is 2× the warmed-up one or more.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.soak import BIN, free_port, process_tree, rss_mb

LETTERS = "abcdefghijklmnopqrstuvwxyzéèñçü"


def distinct_queries(words: list[str], count: int, seed: int = 17):
    """Yield count distinct queries: half random letter strings (words no index holds), the
    rest pairs of the index's words, with a prefix (``abc*``) or a quoted pair now and then."""
    rng = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < count:
        kind = rng.randrange(8)
        if kind < 4 or not words:
            q = "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 12)))
        elif kind == 4:
            q = "".join(rng.choice(LETTERS) for _ in range(3)) + "*"
        elif kind == 5:
            q = f'"{rng.choice(words)} {rng.choice(words)}"'
        else:
            q = f"{rng.choice(words)} {rng.choice(words)}"
        if q not in seen:
            seen.add(q)
            yield q


def vocabulary(index: Path) -> list[str]:
    """Return the index's words (accent-folded), sorted."""
    from indexer.search.engine import SearchIndex

    ix = SearchIndex(index, cache_size=0)
    words = sorted(ix.versions.lexicon(ix.searcher()).counts)
    ix.close()
    return words


def in_process(index: Path, count: int, warm_up: int) -> dict:
    """Run the stream through one SearchIndex (its cache size from ``M4D_CACHE_SIZE``)."""
    from indexer.search.engine import SearchIndex

    ix = SearchIndex(index)
    ix.warm()
    words = sorted(ix.versions.lexicon(ix.searcher()).counts)
    me = os.getpid()
    start, warmed, peak = rss_mb(me), None, {}
    started = time.perf_counter()
    for n, q in enumerate(distinct_queries(words, count), 1):
        ix.search(q)
        if n == warm_up:
            warmed = rss_mb(me)
        if n % 1000 == 0:  # the highest each cache reached
            for name, (held, _) in ix.cache_usage().items():
                peak[name] = max(peak.get(name, 0), held)
    usage = ix.cache_usage()
    return {"queries": count, "seconds": round(time.perf_counter() - started, 1),
            "rss_start_mb": round(start, 1), "rss_warm_mb": round(warmed or rss_mb(me), 1),
            "rss_end_mb": round(rss_mb(me), 1),
            "caches": {name: {"held": held, "peak": max(held, peak.get(name, 0)), "bound": bound}
                       for name, (held, bound) in usage.items()}}


def over_http(index: Path, count: int, warm_up: int, connections: int) -> dict:
    """Serve the index with two workers and send the stream; each worker's RSS."""
    words = vocabulary(index)
    queries = list(distinct_queries(words, count))
    port = free_port()
    server = subprocess.Popen([str(BIN / "m4d-search"), "serve", "--port", str(port), "--index", str(index),
                               "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workers = _ready(server, port)
        start = {pid: rss_mb(pid) for pid in workers}
        errors, took = [0], []
        lock = threading.Lock()

        def send(part: list[str]) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for q in part:
                t = time.perf_counter()
                try:
                    conn.request("GET", "/api/search?" + urlencode({"q": q}))
                    response = conn.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):
                    conn.close()
                    ok = False
                with lock:
                    took.append(time.perf_counter() - t)
                    errors[0] += not ok
            conn.close()

        def run(batch: list[str]) -> None:
            threads = [threading.Thread(target=send, args=(batch[i::connections],)) for i in range(connections)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()

        started = time.perf_counter()
        run(queries[:warm_up])
        warm = {pid: rss_mb(pid) for pid in workers}
        run(queries[warm_up:])
        seconds = time.perf_counter() - started
        end = {pid: rss_mb(pid) for pid in workers}
        if sorted(process_tree(server.pid)[1:]) != sorted(workers):
            raise SystemExit("memory: a worker was replaced during the run; its figures would mean nothing")
    finally:
        server.terminate()
        server.wait(timeout=30)
    took.sort()
    return {"queries": count, "seconds": round(seconds, 1), "errors": errors[0],
            "p50_ms": round(took[len(took) // 2] * 1000, 1), "p99_ms": round(took[int(len(took) * 0.99)] * 1000, 1),
            "workers": [{"pid": pid, "rss_start_mb": round(start[pid], 1), "rss_warm_mb": round(warm[pid], 1),
                         "rss_end_mb": round(end[pid], 1)} for pid in workers]}


def _ready(server: subprocess.Popen, port: int) -> list[int]:
    """Wait until the server answers and both workers run; return the workers' pids."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("memory: the server did not start")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            workers = process_tree(server.pid)[1:]
            if len(workers) == 2:
                time.sleep(1)  # both warmed up (``serve`` warms each worker before it accepts)
                return sorted(workers)
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("memory: the server did not start within 60 s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="an index folder (not written)")
    parser.add_argument("--queries", type=int, default=50_000, help="distinct queries to send")
    parser.add_argument("--warm-up", type=int, default=2_000, help="queries before the warmed-up RSS")
    parser.add_argument("--connections", type=int, default=4, help="HTTP connections at once")
    parser.add_argument("--in-process", action="store_true", help="one SearchIndex in this process")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.in_process:
        report = in_process(args.index, args.queries, args.warm_up)
        grown = report["rss_end_mb"] / report["rss_warm_mb"]
    else:
        report = over_http(args.index, args.queries, args.warm_up, args.connections)
        grown = max(w["rss_end_mb"] / w["rss_warm_mb"] for w in report["workers"])
    if args.json:
        print(json.dumps(report))
    elif args.in_process:
        print(f"{report['queries']} distinct queries in {report['seconds']} s: RSS {report['rss_start_mb']} MB "
              f"at start, {report['rss_warm_mb']} after {args.warm_up}, {report['rss_end_mb']} at the end")
        for name, c in report["caches"].items():
            print(f"  {name}: {c['held']} held (peak {c['peak']}) of {c['bound']}")
    else:
        print(f"{report['queries']} distinct queries over HTTP in {report['seconds']} s, {report['errors']} errors, "
              f"p50 {report['p50_ms']} ms, p99 {report['p99_ms']} ms")
        for w in report["workers"]:
            print(f"  worker {w['pid']}: RSS {w['rss_start_mb']} MB at start, {w['rss_warm_mb']} after "
                  f"{args.warm_up} queries, {w['rss_end_mb']} at the end")
    return 0 if grown < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
