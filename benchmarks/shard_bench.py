"""Sharding tried once: the PostgreSQL store split across two local clusters (shards) behind a
third (the coordinator), with postgres_fdw, against the same store on one cluster.

    python -m benchmarks.shard_bench --corpus var/corpus-10000 --work var/qb-new

The layout ARCHITECTURE.md ("Beyond one machine") describes: on the coordinator,
``documents``, ``labels`` and ``postings`` are hash-partitioned by the document number ``n``
and every partition is a foreign table on a shard (``async_capable``, so the shards are
scanned at once; ``use_remote_estimate``, so the planner asks them); a document, its labels
and its postings land on one shard. ``terms`` and ``field_stats`` (BM25's statistics) stay on
the coordinator: global, so scores do not depend on the shard. Each shard holds the project's
own schema (the migrations) and vacuums its part.

The corpus is crawled into both stores with the project's writer (through the foreign tables
for the sharded one); then the seeded query set runs in process through each, and the
answers are compared (totals and first page). Three throwaway clusters
(``tests/pgcluster.py``) are removed at exit. Ends with one summary line.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from benchmarks import queries as query_sets
from benchmarks.query_bench import log, percentile, prepare, time_queries, timed_crawl

SHARDS = 2
#: The tables split across the shards (by hash of n), with their columns as 0001_store.sql has them.
SPLIT = {
    "documents": "n bigint NOT NULL DEFAULT nextval('documents_n_seq'), id text NOT NULL, url text NOT NULL, "
                 "source text NOT NULL DEFAULT '', title text NOT NULL DEFAULT '', body text NOT NULL DEFAULT '', "
                 "keywords text[] NOT NULL DEFAULT '{}', themes text[] NOT NULL DEFAULT '{}', "
                 "countries text[] NOT NULL DEFAULT '{}', lang text NOT NULL, type text NOT NULL, grp text NOT NULL, "
                 "date date, tsv tsvector NOT NULL",
    "labels": "n bigint NOT NULL, grp bigint NOT NULL, lang text NOT NULL, type text NOT NULL, themes text[] NOT NULL, "
              "countries text[] NOT NULL, day date",
    "postings": "field text COLLATE \"C\" NOT NULL, term text COLLATE \"C\" NOT NULL, n bigint NOT NULL, "
                "tf real NOT NULL, dl real NOT NULL, pos integer[] NOT NULL DEFAULT '{}'",
}


def shard_layout(coordinator: str, shards: list) -> None:
    """Turn the coordinator's migrated store into the sharded layout over the shards' stores."""
    import psycopg

    with psycopg.connect(coordinator, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgres_fdw")
        conn.execute("CREATE SEQUENCE documents_n_seq_global")
        conn.execute("DROP TABLE postings, labels, documents CASCADE")
        conn.execute("ALTER SEQUENCE documents_n_seq_global RENAME TO documents_n_seq")
        for table, columns in SPLIT.items():
            conn.execute(f"CREATE TABLE {table} ({columns}) PARTITION BY HASH (n)")
        for i, shard in enumerate(shards):
            conn.execute(f"CREATE SERVER shard{i} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', "
                         f"port '{shard.port}', dbname 'm4d', async_capable 'true', use_remote_estimate 'true', "
                         "fetch_size '10000', batch_size '1000')")
            conn.execute(f"CREATE USER MAPPING FOR CURRENT_USER SERVER shard{i} OPTIONS (user 'postgres')")
            for table in SPLIT:
                conn.execute(f"CREATE FOREIGN TABLE {table}_{i} PARTITION OF {table} "
                             f"FOR VALUES WITH (MODULUS {len(shards)}, REMAINDER {i}) "
                             f"SERVER shard{i} OPTIONS (table_name '{table}')")


def vacuum(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) postings, labels, documents")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True, help="query_bench's work folder")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="leave the clusters running (print their URLs), "
                        "measure nothing")
    args = parser.parse_args(argv)
    from indexer.pgstore.migrations import migrate
    from indexer.stores import open_store
    from tests.pgcluster import Cluster

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a killed run still removes its clusters
    started = time.monotonic()
    rows = prepare(args.corpus, args.work)
    qs = query_sets.make_queries(rows, args.queries, seed=1)
    warm = query_sets.make_queries(rows, 50, seed=2)
    clusters = []
    try:
        coordinator, *shards = clusters = [Cluster().init().start() for _ in range(SHARDS + 1)]
        os.environ.setdefault("M4D_STATE_DIR", str(coordinator.root / "crawl-state"))
        single = coordinator.create_database("single")
        sharded = coordinator.create_database("sharded")
        for shard in shards:
            migrate(shard.create_database("m4d"))
        migrate(sharded)
        shard_layout(sharded, shards)
        figures = {"single": {"seconds": timed_crawl(args.corpus, single, "one cluster")},
                   "sharded": {"seconds": timed_crawl(args.corpus, sharded, f"{SHARDS} shards")}}
        for shard in shards:
            vacuum(shard.url("m4d"))
        if args.keep:
            print(f"single {single}\nsharded {sharded}")
            clusters = []
            return 0
        stores = {"single": open_store(single, cache_size=0), "sharded": open_store(sharded, cache_size=0)}
        differ = 0
        for q in qs:
            a, b = (stores[k].search(q["q"], q["filters"]) for k in ("single", "sharded"))
            if a["total"] != b["total"] or [r["id"] for r in a["results"]] != [r["id"] for r in b["results"]]:
                differ += 1
        for name, store in stores.items():
            times = time_queries(lambda q, s=store: s.search(q["q"], q["filters"])["total"], qs, warm)
            figures[name].update(p50=percentile(times, 50), p99=percentile(times, 99))
            log(f"{name:8} p50 {figures[name]['p50']:.1f} ms  p99 {figures[name]['p99']:.1f} ms")
            store.close()
    finally:
        for cluster in clusters:
            cluster.stop()
    one, two = figures["single"], figures["sharded"]
    print(f"shard_bench: {len(rows)} documents, {len(qs)} queries; {SHARDS} shards / one cluster: "
          f"in process p50 {two['p50']:.1f}/{one['p50']:.1f} ms ({two['p50'] / one['p50']:.1f}×), "
          f"p99 {two['p99']:.1f}/{one['p99']:.1f} ms; indexing {two['seconds']:.0f}/{one['seconds']:.0f} s; "
          f"{differ} answers differ; {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
