"""Time a web crawl of the bundled site against a recrawl with nothing changed, and against the
folder crawl of the same files (the peer). Run by hand: python -m benchmarks.bench_recrawl [RUNS] [DELAY]

The site is served by Python's own http.server on 127.0.0.1 (Last-Modified / If-Modified-Since).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from indexer.pipeline import run_crawl
from indexer.settings import CrawlSettings

SITE = Path(__file__).resolve().parent.parent / "corpus" / "site"


class Quiet(SimpleHTTPRequestHandler):
    """python -m http.server, without its log (HTTP/1.0: one connection per request)."""

    def log_message(self, format, *args):
        pass


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(runs: int = 5, delay: float = 0.0) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    settings = CrawlSettings(delay=delay)
    folder, first, again = [], [], []
    try:
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as ix:
                folder.append(timed(lambda ix=ix: run_crawl([str(SITE)], ix)))
            with tempfile.TemporaryDirectory() as ix:
                first.append(timed(lambda ix=ix: run_crawl([url], ix, settings=settings)))
                summary = None

                def recrawl(ix=ix):
                    nonlocal summary
                    summary = run_crawl([url], ix, settings=settings)
                again.append(timed(recrawl))
                assert summary.documents == 0 and summary.unchanged == 10, summary.line()
    finally:
        server.shutdown()
        server.server_close()
    m_folder, m_first, m_again = (statistics.median(x) for x in (folder, first, again))
    print(f"bundled site, {runs} runs, --delay {delay:g}: medians")
    print(f"  folder crawl (peer)   {m_folder * 1000:8.1f} ms")
    print(f"  web crawl, first      {m_first * 1000:8.1f} ms   {m_first / m_folder:.2f}x the folder crawl")
    print(f"  web recrawl, same     {m_again * 1000:8.1f} ms   {m_again / m_first:.2f}x the first web crawl")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="?", type=int, default=5, help="runs of each crawl (median reported)")
    parser.add_argument("delay", nargs="?", type=float, default=0.0, help="seconds between requests (web crawls)")
    args = parser.parse_args()
    main(args.runs, args.delay)
