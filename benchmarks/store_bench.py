"""The PostgreSQL store beside the Whoosh store on a scale corpus: indexing (documents a
second), store size, in-process p50/p99, and HTTP p50/p99 at 8 connections (``serve`` over
each store, caches off, wrk).

    python -m benchmarks.store_bench --corpus var/corpus-10000 --work var/qb-new

The PostgreSQL server is a throwaway local cluster (``tests/pgcluster.py``: Debian's
server, started for the run and removed at exit). Ends with one summary line.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

from benchmarks import queries as query_sets
from benchmarks.query_bench import (
    BIN,
    distinct_queries,
    free_port,
    log,
    m4d_path,
    m4d_runner,
    percentile,
    prepare,
    stop_server,
    time_queries,
    wait_ready,
    wrk,
)


def pg_store(rows_corpus: Path, cluster) -> tuple[str, float]:
    """Crawl the corpus into a new database; return its URL and the crawl's seconds."""
    from indexer.pipeline import run_crawl

    url = cluster.create_database(f"bench{int(time.time())}")
    os.environ.setdefault("M4D_STATE_DIR", str(cluster.root / "crawl-state"))
    started = time.monotonic()
    summary = run_crawl([str(rows_corpus)], url, rebuild=True)
    seconds = time.monotonic() - started
    log(f"PostgreSQL store: {summary.documents} documents in {seconds:.1f} s")
    return url, seconds


def serve(store: str, port: int, threads: int = 1):
    """Start ``m4d-search serve`` over store (two worker processes, caches off)."""
    env = dict(os.environ, M4D_CACHE_SIZE="0")
    proc = subprocess.Popen([str(BIN / "m4d-search"), "serve", "--store", store, "--port", str(port),
                             "--workers", "2", "--threads", str(threads)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
    return proc


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True, help="query_bench's work folder (indexes kept)")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--url", help="a PostgreSQL store already holding the corpus: measure searches only")
    parser.add_argument("--threads", type=int, default=1, help="serve --threads for the PostgreSQL store")
    args = parser.parse_args(argv)
    from indexer.stores import open_store
    from tests.pgcluster import Cluster

    started = time.monotonic()
    rows = prepare(args.corpus, args.work)
    qs = query_sets.make_queries(rows, args.queries, seed=1)
    warm = query_sets.make_queries(rows, 100, seed=2)
    paths = args.work / "paths-stores.txt"
    paths.write_text("\n".join(m4d_path(q) for q in distinct_queries(rows, 4000)) + "\n")
    cluster = Cluster().init().start() if not args.url else None
    figures: dict[str, dict] = {"whoosh": {}, "postgresql": {}}
    try:
        if args.url:
            url = args.url
        else:
            url, seconds = pg_store(args.corpus, cluster)
            figures["postgresql"]["docs_per_s"] = len(rows) / seconds
        whoosh_run, ix = m4d_runner(args.work, 0)
        pg = open_store(url, cache_size=0)
        figures["whoosh"]["bytes"] = ix.stats()["index_bytes"]
        figures["postgresql"]["bytes"] = pg.stats()["index_bytes"]

        def pg_run(q):
            return pg.search(q["q"], q["filters"], page=1, per_page=10)["total"]

        for name, run in (("whoosh", whoosh_run), ("postgresql", pg_run)):
            times = time_queries(run, qs, warm)
            figures[name]["p50_ms"], figures[name]["p99_ms"] = percentile(times, 50), percentile(times, 99)
            log(f"in process {name:10} p50 {figures[name]['p50_ms']:.2f} ms  p99 {figures[name]['p99_ms']:.2f} ms")
        pg.close()
        for name, store in (("whoosh", str(args.work / "m4d")), ("postgresql", url)):
            port = free_port()
            proc = serve(store, port, args.threads if name == "postgresql" else 1)
            try:
                wrk(port, paths, 8, 3)  # warm-up
                r = wrk(port, paths, 8, args.seconds)
            finally:
                stop_server(proc)
            figures[name].update(http_p50_ms=r["p50_us"] / 1000, http_p99_ms=r["p99_us"] / 1000,
                                 rps=r["requests"] / (r["duration_us"] / 1e6), errors=r["errors"])
            log(f"http c=8 {name:10} {figures[name]['rps']:7.1f} req/s  p50 {figures[name]['http_p50_ms']:.1f} ms  "
                f"p99 {figures[name]['http_p99_ms']:.1f} ms  errors {r['errors']}")
    finally:
        if cluster is not None:
            cluster.stop()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    w, p = figures["whoosh"], figures["postgresql"]
    print(f"store_bench: {len(rows)} documents; PostgreSQL/Whoosh in process p50 "
          f"{p['p50_ms']:.1f}/{w['p50_ms']:.1f} ms, "
          f"HTTP c=8 p50 {p['http_p50_ms']:.1f}/{w['http_p50_ms']:.1f} ms "
          f"({p['http_p50_ms'] / w['http_p50_ms']:.1f}×), size {p['bytes'] / 1e6:.0f}/{w['bytes'] / 1e6:.0f} MB, "
          f"PostgreSQL indexing {p.get('docs_per_s', 0):.0f} docs/s; {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
