"""The PostgreSQL store beside the Whoosh store and the peers (SQLite FTS5, Tantivy;
Datasette over HTTP) on a scale corpus, in one run: indexing (documents a second), size,
in-process p50/p99, and HTTP p50/p99 at 8 connections (``serve --workers 2`` over each
store, caches off; Datasette over the FTS5 database; wrk).

    python -m benchmarks.store_bench --corpus var/corpus-10000 --work var/qb-new --rebuild

The stores and the peers' indexes are kept in ``--work`` (``query_bench``'s layout); what is
missing there, or everything with ``--rebuild``, is built and timed in this run (the peers
index the texts m4d-search extracted: indexing only, as in ``index_bench``). The PostgreSQL
server is a throwaway local cluster (``tests/pgcluster.py``: Debian's server, started for the
run and removed at exit); its store is crawled in every run unless ``--url`` names one.
Ends with one summary line.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

from benchmarks import peers
from benchmarks import queries as query_sets
from benchmarks.query_bench import (
    BIN,
    datasette_path,
    distinct_queries,
    free_port,
    log,
    m4d_path,
    m4d_runner,
    percentile,
    prepare,
    sqlite_runner,
    start_server,
    stop_server,
    tantivy_runner,
    time_queries,
    timed_crawl,
    wait_ready,
    wrk,
)

SYSTEMS = ("whoosh", "postgresql", "sqlite-fts5", "tantivy")


def pg_store(corpus: Path, cluster) -> tuple[str, float]:
    """Crawl the corpus into a new database; return its URL and the crawl's seconds."""
    url = cluster.create_database(f"bench{int(time.time())}")
    os.environ.setdefault("M4D_STATE_DIR", str(cluster.root / "crawl-state"))
    return url, timed_crawl(corpus, url, "PostgreSQL store")


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
    parser.add_argument("--rebuild", action="store_true", help="build and time every index, even those kept")
    args = parser.parse_args(argv)
    from indexer.stores import open_store
    from tests.pgcluster import Cluster

    started = time.monotonic()
    figures: dict[str, dict] = {name: {} for name in SYSTEMS}
    built: dict[str, float] = {}
    rows = prepare(args.corpus, args.work, args.rebuild, built)
    for name, seconds in built.items():
        figures[name]["docs_per_s"] = len(rows) / seconds
        log(f"{name}: {len(rows)} documents, {figures[name]['docs_per_s']:.0f} docs/s")
    qs = query_sets.make_queries(rows, args.queries, seed=1)
    warm = query_sets.make_queries(rows, 100, seed=2)
    distinct = distinct_queries(rows, 4000)
    paths = args.work / "paths-stores.txt"
    paths.write_text("\n".join(m4d_path(q) for q in distinct) + "\n")
    datasette_paths = args.work / "paths-stores-datasette.txt"
    datasette_paths.write_text("\n".join(datasette_path(q) for q in distinct) + "\n")
    cluster = Cluster().init().start() if not args.url else None
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
        figures["sqlite-fts5"]["bytes"] = (args.work / "fts.db").stat().st_size
        figures["tantivy"]["bytes"] = peers.folder_bytes(args.work / "tantivy")

        def pg_run(q):
            return pg.search(q["q"], q["filters"], page=1, per_page=10)["total"]

        runners = (("whoosh", whoosh_run), ("postgresql", pg_run), ("sqlite-fts5", sqlite_runner(args.work)[0]),
                   ("tantivy", tantivy_runner(args.work)[0]))
        for name, run in runners:
            times = time_queries(run, qs, warm)
            figures[name]["p50_ms"], figures[name]["p99_ms"] = percentile(times, 50), percentile(times, 99)
            log(f"in process {name:10} p50 {figures[name]['p50_ms']:.2f} ms  p99 {figures[name]['p99_ms']:.2f} ms")
        pg.close()
        for name, store in (("whoosh", str(args.work / "m4d")), ("postgresql", url), ("sqlite-fts5", None)):
            port = free_port()
            if store is None:  # Datasette over the FTS5 database
                proc = start_server("datasette", args.work, port)
            else:
                proc = serve(store, port, args.threads if name == "postgresql" else 1)
            try:
                each = datasette_paths if store is None else paths
                wrk(port, each, 8, 3)  # warm-up
                r = wrk(port, each, 8, args.seconds)
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
    print(table(figures))
    w, p = figures["whoosh"], figures["postgresql"]
    print(f"store_bench: {len(rows)} documents; PostgreSQL/Whoosh in process p50 "
          f"{p['p50_ms']:.1f}/{w['p50_ms']:.1f} ms, "
          f"HTTP c=8 p50 {p['http_p50_ms']:.1f}/{w['http_p50_ms']:.1f} ms "
          f"({p['http_p50_ms'] / w['http_p50_ms']:.1f}×), size {p['bytes'] / 1e6:.0f}/{w['bytes'] / 1e6:.0f} MB, "
          f"PostgreSQL indexing {p.get('docs_per_s', 0):.0f} docs/s; {time.monotonic() - started:.0f} s")
    return 0


def table(figures: dict) -> str:
    """Return the figures as a Markdown table (blank where a figure was not measured)."""
    def cell(f: dict, key: str, fmt: str) -> str:
        return format(f[key], fmt) if key in f else ""

    lines = ["| system | indexing docs/s | size MB | in process p50 / p99 ms | HTTP c=8 p50 / p99 ms | req/s |",
             "|---|---|---|---|---|---|"]
    names = {"whoosh": "Whoosh store", "postgresql": "PostgreSQL store", "sqlite-fts5": "SQLite FTS5 (Datasette)",
             "tantivy": "Tantivy"}
    for name in SYSTEMS:
        f = figures[name]
        http = (f"{f['http_p50_ms']:.1f} / {f['http_p99_ms']:.1f}" if "http_p50_ms" in f else "")
        lines.append(f"| {names[name]} | {cell(f, 'docs_per_s', '.0f')} | {f['bytes'] / 1e6:.0f} | "
                     f"{f['p50_ms']:.2f} / {f['p99_ms']:.2f} | {http} | {cell(f, 'rps', '.0f')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
