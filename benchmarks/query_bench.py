"""Query benchmark: m4d-search against SQLite FTS5 and Tantivy in-process, and against
Datasette over HTTP (wrk).

    python -m benchmarks.query_bench --corpus var/corpus-10k [--work var/qb-10k] [--json FILE]

In-process, 1,000 seeded queries (1–3 words per language, two-word phrases, half of them with
one or two facet filters) run one at a time: ``m4d-search`` through ``indexer.search`` with
facet counts (four facets), snippets and translations for the first page, caches off;
``m4d-search+cache`` the same with its answer cache on (the set repeats some queries);
``sqlite-fts5`` with the total, the first page with snippets and four facet counts (six SQL
statements); ``tantivy`` top 10 and the total, no facets. Over HTTP, ``m4d-search serve``
(gunicorn, one sync worker per core) and Datasette (``-i``, ``suggest_facets off``, the same
filters and facets as JSON) are driven by wrk at 1, 8 and 32 connections with a stream of
≥ 4,000 distinct queries repeated with Zipf-like popularity; m4d-search runs with its caches
on (hit rate reported from its ``X-Cache`` header) and off (``M4D_CACHE_SIZE=0``).
Indexes are built in ``--work`` (kept there for the next run) from the corpus folder.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from benchmarks import peers
from benchmarks import queries as query_sets

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
WRK_SCRIPT = HERE / "wrk_paths.lua"
FACETS = ("lang", "type", "theme", "country")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Building the three indexes once


def timed_crawl(corpus: Path, target, name: str) -> float:
    """Crawl corpus into target (an index folder or a store URL) anew; log and return the seconds."""
    from indexer.pipeline import run_crawl

    started = time.monotonic()
    summary = run_crawl([str(corpus)], target, rebuild=True)
    seconds = time.monotonic() - started
    log(f"{name}: {summary.documents} documents in {seconds:.1f} s")
    return seconds


def prepare(corpus: Path, work: Path, rebuild: bool = False, timings: dict | None = None) -> list[dict]:
    """Build in work what it lacks (everything with rebuild): m4d-search's index by a crawl of
    corpus, the SQLite FTS5 database and the Tantivy index from the texts m4d-search extracted;
    return those texts. timings: filled with the seconds of each build made ("whoosh",
    "sqlite-fts5", "tantivy")."""
    work.mkdir(parents=True, exist_ok=True)
    rows = peers.extracted_documents(corpus, work / "extracted.pickle")

    def sqlite():
        peers.sqlite_index(rows, work / "fts.db.tmp")
        (work / "fts.db.tmp").rename(work / "fts.db")

    steps = (("whoosh", work / "m4d", work / "m4d" / "m4d-meta.json",
              lambda: timed_crawl(corpus, work / "m4d", "m4d-search")),
             ("sqlite-fts5", work / "fts.db", work / "fts.db", sqlite),
             ("tantivy", work / "tantivy", work / "tantivy" / "meta.json",
              lambda: peers.tantivy_index(rows, work / "tantivy")))
    for name, where, done, build in steps:
        if done.exists() and not rebuild:
            continue
        log(f"building {name} …")
        if where.is_dir():
            shutil.rmtree(where)
        else:
            where.unlink(missing_ok=True)
        started = time.monotonic()
        build()
        if timings is not None:
            timings[name] = time.monotonic() - started
    return rows


# In-process runners: each takes a query dict and does one page's worth of work


def m4d_runner(work: Path, cache_size: int):
    from indexer.search.engine import SearchIndex

    ix = SearchIndex(work / "m4d", cache_size=cache_size)

    def run(q: dict):
        body = ix.search(q["q"], q["filters"], page=1, per_page=10)
        return body["total"]

    return run, ix


def fts_match(q: dict) -> str:
    if q["phrase"]:
        return '"' + " ".join(q["words"]) + '"'
    return " ".join(f'"{w}"' for w in q["words"])


def fts_where(q: dict) -> tuple[str, list]:
    clauses, params = ["docs_fts MATCH ?"], [fts_match(q)]
    for facet, values in q["filters"].items():
        clauses.append(f"d.{facet} IN ({','.join('?' * len(values))})")
        params += values
    return " AND ".join(clauses), params


def sqlite_runner(work: Path):
    db = sqlite3.connect(work / "fts.db", check_same_thread=False)
    base = "FROM docs_fts JOIN docs d ON d.rowid = docs_fts.rowid WHERE "

    def run(q: dict):
        where, params = fts_where(q)
        total = db.execute(f"SELECT count(*) {base}{where}", params).fetchone()[0]
        db.execute(f"SELECT d.id, d.url, d.title, d.lang, d.type, d.theme, d.country, "
                   f"snippet(docs_fts, 1, '<mark>', '</mark>', '…', 30) {base}{where} "
                   f"ORDER BY rank LIMIT 10", params).fetchall()
        for facet in FACETS:
            db.execute(f"SELECT d.{facet}, count(*) {base}{where} GROUP BY d.{facet}", params).fetchall()
        return total

    return run, db


def tantivy_runner(work: Path):
    import tantivy

    ix = peers.tantivy_open(work / "tantivy")
    ix.reload()
    searcher = ix.searcher()
    schema = ix.schema
    text_fields = [f"{kind}_{lang}" for lang in ("en", "es", "fr", "any") for kind in ("title", "content")]

    def run(q: dict):
        text = ('"' + " ".join(q["words"]) + '"') if q["phrase"] else " ".join(q["words"])
        query = ix.parse_query(text, text_fields, conjunction_by_default=True)
        if q["filters"]:
            parts = [(tantivy.Occur.Must, query)]
            for facet, values in q["filters"].items():
                field = {"lang": "lang", "type": "type", "theme": "theme", "country": "country"}[facet]
                ors = [(tantivy.Occur.Should, tantivy.Query.term_query(schema, field, v)) for v in values]
                parts.append((tantivy.Occur.Must, tantivy.Query.boolean_query(ors)))
            query = tantivy.Query.boolean_query(parts)
        result = searcher.search(query, 10, count=True)
        for _, address in result.hits:
            doc = searcher.doc(address)
            doc["title"], doc["url"]
        return result.count

    return run, None


def time_queries(run, qs: list[dict], warmup: list[dict]) -> list[float]:
    """Time each query of qs, after running the warm-up queries (another seeded set, so a
    cache is not handed the timed queries' answers in advance)."""
    for q in warmup:
        run(q)
    times = []
    for q in qs:
        started = time.perf_counter()
        run(q)
        times.append((time.perf_counter() - started) * 1000)
    return times


# HTTP


def m4d_path(q: dict) -> str:
    params = [("q", q["q"])] + [(f, v) for f, values in q["filters"].items() for v in values]
    return "/api/search?" + urlencode(params)


def datasette_path(q: dict) -> str:
    params = [("_search", fts_match(q)), ("_searchmode", "raw"), ("_size", "10")]
    params += [("_facet", f) for f in FACETS]
    params += [("_col", c) for c in ("id", "url", "title", "lang", "type", "theme", "country")]
    params += [(facet, v) for facet, values in q["filters"].items() for v in values]
    return "/fts/docs.json?" + urlencode(params)


def wait_ready(url: str, proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                r.read()
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not start: {url}") from None
            time.sleep(0.3)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(system: str, work: Path, port: int):
    env = dict(os.environ)
    if system == "datasette":
        cmd = [str(BIN / "datasette"), "serve", "-i", str(work / "fts.db"), "--host", "127.0.0.1",
               "--port", str(port), "--setting", "suggest_facets", "off"]
        ready = f"http://127.0.0.1:{port}/-/versions.json"
    else:
        cmd = [str(BIN / "m4d-search"), "serve", "--index", str(work / "m4d"), "--port", str(port)]
        env["M4D_CACHE_SIZE"] = "0" if system.endswith("nocache") else env.get("M4D_CACHE_SIZE", "")
        ready = f"http://127.0.0.1:{port}/healthz"
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_ready(ready, proc)
    return proc


def stop_server(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stderr:
        proc.stderr.close()


def wrk(port: int, paths_file: Path, connections: int, seconds: int) -> dict:
    threads = max(1, min(2, connections))
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
           "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}", "--", str(paths_file)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line[len("WRKJSON "):])
    raise SystemExit(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")


def http_bench(system: str, work: Path, paths_file: Path, levels: list[int], seconds: int) -> dict[int, dict]:
    port = free_port()
    proc = start_server(system, work, port)
    out = {}
    try:
        wrk(port, paths_file, 8, max(3, seconds // 3))  # warm-up: open searchers, load column data
        for c in levels:
            r = wrk(port, paths_file, c, seconds)
            r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
            seen = r["hits"] + r["misses"]
            r["hit_rate"] = r["hits"] / seen if seen else None
            out[c] = r
            rate = f", cache hits {r['hit_rate']:.0%}" if r["hit_rate"] is not None else ""
            log(f"http {system:22} c={c:<3} {r['rps']:7.1f} req/s  p50 {r['p50_us'] / 1000:7.1f} ms  "
                f"p99 {r['p99_us'] / 1000:7.1f} ms  errors {r['errors']}{rate}")
    finally:
        stop_server(proc)
    return out


def distinct_queries(rows: list[dict], n: int) -> list[dict]:
    seen, out, seed = set(), [], 3
    while len(out) < n:
        for q in query_sets.make_queries(rows, n, seed=seed):
            key = (q["q"], json.dumps(q["filters"], sort_keys=True))
            if key not in seen:
                seen.add(key)
                out.append(q)
        seed += 1
    return out[:n]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a folder written by benchmarks.make_corpus")
    parser.add_argument("--work", type=Path, help="where the indexes are built and kept (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--queries", type=int, default=1000, help="in-process queries")
    parser.add_argument("--distinct", type=int, default=4000, help="distinct queries in the HTTP stream")
    parser.add_argument("--stream", type=int, default=40000, help="length of the HTTP query stream")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per connection level")
    parser.add_argument("--connections", default="1,8,32", help="wrk connection levels")
    parser.add_argument("--no-http", action="store_true", help="in-process figures only")
    parser.add_argument("--systems", default="m4d-search,m4d-search+cache,sqlite-fts5,tantivy",
                        help="in-process systems")
    parser.add_argument("--http-systems", default="m4d-search,m4d-search-nocache,datasette")
    args = parser.parse_args(argv)

    started = time.monotonic()
    tmp = None
    if args.work is None:
        tmp = tempfile.TemporaryDirectory(prefix="m4d-query-bench-")
        args.work = Path(tmp.name)
    loads = [os.getloadavg()[0]]
    rows = prepare(args.corpus, args.work)
    n_docs = len(rows)
    log(f"{n_docs} documents; {os.cpu_count()} cores, load {loads[0]:.2f}")
    records: list[dict] = []

    def record(system, metric, value, **extra):
        records.append({"system": system, "corpus_docs": n_docs, "metric": metric, "value": round(value, 3),
                        **extra})

    qs = query_sets.make_queries(rows, args.queries, seed=1)
    warmup = query_sets.make_queries(rows, 50, seed=99)
    inproc = {}
    for system in [s.strip() for s in args.systems.split(",") if s.strip()]:
        if system == "m4d-search":
            run, _ = m4d_runner(args.work, 0)
        elif system == "m4d-search+cache":
            run, _ = m4d_runner(args.work, 1024)
        elif system == "sqlite-fts5":
            run, _ = sqlite_runner(args.work)
        elif system == "tantivy":
            run, _ = tantivy_runner(args.work)
        else:
            parser.error(f"unknown system {system}")
        loads.append(os.getloadavg()[0])
        times = time_queries(run, qs, warmup)
        inproc[system] = {p: percentile(times, p) for p in (50, 95, 99)}
        for p in (50, 95, 99):
            record(system, f"query_p{p}_ms", inproc[system][p])
        log(f"in-process {system:18} p50 {inproc[system][50]:7.2f} ms  p95 {inproc[system][95]:7.2f} ms  "
            f"p99 {inproc[system][99]:7.2f} ms")

    http: dict[str, dict[int, dict]] = {}
    levels = [int(c) for c in args.connections.split(",")]
    if not args.no_http:
        if shutil.which("wrk") is None:
            raise SystemExit("wrk is not installed (Debian: apt-get install wrk); or pass --no-http")
        distinct = distinct_queries(rows, args.distinct)
        stream = query_sets.zipf_stream(distinct, args.stream)
        for system in [s.strip() for s in args.http_systems.split(",") if s.strip()]:
            paths_file = args.work / f"paths-{system}.txt"
            to_path = datasette_path if system == "datasette" else m4d_path
            paths_file.write_text("\n".join(to_path(q) for q in stream) + "\n", "utf-8")
            loads.append(os.getloadavg()[0])
            http[system] = http_bench(system, args.work, paths_file, levels, args.seconds)
            for c, r in http[system].items():
                record(system, f"http_rps@{c}", r["rps"])
                record(system, f"http_p50_ms@{c}", r["p50_us"] / 1000)
                record(system, f"http_p99_ms@{c}", r["p99_us"] / 1000)
                record(system, f"http_errors@{c}", r["errors"])
                if r["hit_rate"] is not None:
                    record(system, f"http_cache_hit_rate@{c}", r["hit_rate"])

    print(report(n_docs, inproc, http, levels))
    load = statistics.mean(loads)
    line = f"query_bench: {n_docs} docs, {len(qs)} queries in-process"
    if "m4d-search" in inproc and "tantivy" in inproc:
        line += f", m4d-search p50 {inproc['m4d-search'][50] / inproc['tantivy'][50]:.1f}x tantivy's"
    if "m4d-search" in http and "datasette" in http and 8 in levels:
        m, d = http["m4d-search"][8], http["datasette"][8]
        line += (f"; http c=8 m4d-search {m['rps']:.0f} req/s vs datasette {d['rps']:.0f} "
                 f"({m['rps'] / d['rps']:.2f}x), p99 {m['p99_us'] / 1000:.0f} vs {d['p99_us'] / 1000:.0f} ms")
    line += f"; {time.monotonic() - started:.0f} s, load avg {load:.2f} over {os.cpu_count()} cores"
    log(line)
    if args.json:
        args.json.write_text(json.dumps({"runs": records, "machine": {"cores": os.cpu_count(),
                                                                      "load_avg": round(load, 2)}}, indent=1))
    if tmp is not None:
        tmp.cleanup()
    return 0


def report(n_docs: int, inproc: dict, http: dict, levels: list[int]) -> str:
    lines = [f"In-process, {n_docs} documents (ms; ratio = system p50 ÷ m4d-search p50):", "",
             "| system | p50 | p95 | p99 | p50 ratio |", "|---|---|---|---|---|"]
    base = inproc.get("m4d-search")
    for system, r in inproc.items():
        ratio = f"{r[50] / base[50]:.2f}" if base else "–"
        lines.append(f"| {system} | {r[50]:.2f} | {r[95]:.2f} | {r[99]:.2f} | {ratio} |")
    if http:
        lines += ["", f"HTTP, {n_docs} documents (wrk; ratio = req/s ÷ datasette's):", "",
                  "| system | connections | req/s | p50 ms | p99 ms | errors | cache hits | req/s ratio |",
                  "|---|---|---|---|---|---|---|---|"]
        ds = http.get("datasette", {})
        for system, by_c in http.items():
            for c in levels:
                r = by_c[c]
                ratio = f"{r['rps'] / ds[c]['rps']:.2f}" if c in ds else "–"
                hits = f"{r['hit_rate']:.0%}" if r["hit_rate"] is not None else "–"
                lines.append(f"| {system} | {c} | {r['rps']:.1f} | {r['p50_us'] / 1000:.1f} | "
                             f"{r['p99_us'] / 1000:.1f} | {r['errors']} | {hits} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
