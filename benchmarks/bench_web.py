"""Benchmark the web app over HTTP: the search page against the JSON API it renders.

Builds an index of the bundled corpus in a temporary folder, serves it with `m4d-search
serve` (gunicorn, one worker, answer cache off so every request searches) on 127.0.0.1, and
times each route over one client connection (reopened per request: sync workers close it).
Prints the median and 90th percentile per route and the page/API ratio, i.e. what rendering
HTML (templates, translations, links) costs on top of the search itself.

    .venv/bin/python -m benchmarks.bench_web [--requests 200]
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from indexer.pipeline import run_crawl

ROOT = Path(__file__).resolve().parent.parent

ROUTES = [
    ("api", "/api/search?q=migration"),
    ("page", "/search?q=migration"),
    ("api, es+fr filter", "/api/search?q=migration&lang=es&lang=fr&ui=fr"),
    ("page, es+fr filter", "/search?q=migration&lang=es&lang=fr&ui=fr"),
    ("api, browse", "/api/search"),
    ("page, browse", "/search"),
    ("suggest", "/api/suggest?q=migr"),
    ("healthz", "/healthz"),
]


def timed(conn: http.client.HTTPConnection, path: str) -> float:
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}")
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per route")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_crawl([str(ROOT / "corpus" / "site")], Path(tmp))
        exe = Path(sys.executable).parent / "m4d-search"
        server = subprocess.Popen([str(exe), "serve", "--port", "0", "--workers", "1", "--index", tmp],
                                  stderr=subprocess.PIPE, text=True, env=dict(os.environ, M4D_CACHE_SIZE="0"))
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", server.stderr.readline()).group(1))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        deadline = time.monotonic() + 30
        while True:  # until the worker answers
            try:
                timed(conn, "/healthz")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        medians = {}
        try:
            print(f"{'route':<22} {'median ms':>10} {'p90 ms':>8}")
            for name, path in ROUTES:
                for _ in range(10):  # warm caches (facet sets, catalogues, templates)
                    timed(conn, path)
                times = sorted(timed(conn, path) for _ in range(opts.requests))
                medians[name] = statistics.median(times)
                p90 = times[int(len(times) * 0.9) - 1]
                print(f"{name:<22} {medians[name]:>10.2f} {p90:>8.2f}", flush=True)
        finally:
            conn.close()
            server.terminate()
            server.wait(timeout=30)
        ratios = ", ".join(f"{page} {medians[page] / medians[api]:.2f}×"
                           for api, page in (("api", "page"), ("api, es+fr filter", "page, es+fr filter"),
                                             ("api, browse", "page, browse")))
        print(f"page/API median ratio over {opts.requests} requests per route: {ratios}")


if __name__ == "__main__":
    main()
