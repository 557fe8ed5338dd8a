"""Soak test: the production server under steady load while crawls rewrite its index.

Runs ``m4d-search serve`` (gunicorn, one worker per core) on 127.0.0.1 over a scale corpus, drives it with wrk
(Debian: ``apt-get install -y wrk``) for a fixed time and concurrency over a rotating set of
searches, browses, filters, pages and suggestions, while ``m4d-search crawl`` rewrites the
index in a loop (alternately updating every document in place and ``--rebuild``). Reports
requests, errors (must be 0: any non-200, socket error or timeout), p50/p99 latency, the
server's memory at start and end, and the crawls done. Memory is measured after a warm-up
that includes one index switch; the bound is on the heap (RssAnon): the rest of RSS is pages
of the mapped index files, which follow the index's size and segment count. By hand:

    python -m benchmarks.soak --seconds 60 --connections 16
    python -m benchmarks.soak --corpus var/corpus-10k --seconds 600   # a longer, larger run

Exit status 1 when there was an error, a crawl failed or RSS grew past --max-growth-mb.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATA = ROOT.parent / "shared" / "data" / "retrieval"

QUERIES = ["migration", "migración", "migrations", "inclusión social", "social inclusion", "développement local",
           "human mobility", "remesas", "xenófobo", "Sucumbios", "migra*", "desarrollo local", "\"local development\"",
           "ciudad", "ville", "city", "derechos humanos", "droits", "women", "mujeres", "education", "éducation",
           "history", "historia", "population", "war", "guerra", "empleo OR emploi", "university"]
FILTERS = [{}, {"lang": "es"}, {"lang": "fr"}, {"lang": ["en", "fr"]}, {"theme": "social-inclusion"},
           {"collapse": "translations"}, {"page": "2"}, {"per_page": "50"}, {"ui": "es"}]

LUA = """
local paths = {%s}
local counter = 0
non200 = 0  -- a global: done() reads it from each thread
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end

response = function(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end

done = function(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non200") end
  local e = summary.errors
  io.write(string.format(
    'SOAK {"requests": %%d, "duration_us": %%d, "non200": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"status": %%d, "timeout": %%d, "p50_ms": %%.2f, "p90_ms": %%.2f, "p99_ms": %%.2f, "max_ms": %%.2f}\\n',
    summary.requests, summary.duration, bad, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
"""


def paths() -> list[str]:
    """The request mix: every query with every filter on the API, some on the page, suggestions."""
    out = []
    for n, q in enumerate(QUERIES):
        for f in FILTERS:
            out.append("/api/search?" + urlencode({"q": q, **f}, doseq=True))
        out.append("/search?" + urlencode({"q": q, **FILTERS[n % len(FILTERS)]}, doseq=True))
        out.append("/api/suggest?q=" + quote(q[:4]))
    out += ["/api/search?" + urlencode(f, doseq=True) for f in FILTERS]  # browsing, no query
    return out


def rss_mb(pid: int, kind: str = "VmRSS") -> float:
    """Return the resident memory in MB of a process and its children (gunicorn's arbiter and
    its workers): all of it (VmRSS), the heap (RssAnon) or the pages of mapped files (RssFile:
    Whoosh maps the index files)."""
    total = 0.0
    for one in process_tree(pid):
        try:
            with open(f"/proc/{one}/status") as f:
                for line in f:
                    if line.startswith(kind + ":"):
                        total += int(line.split()[1]) / 1024
        except OSError:  # a worker that just ended
            continue
    return total


def process_tree(pid: int) -> list[int]:
    """Return pid and its descendants (from /proc's children lists)."""
    out, todo = [], [pid]
    while todo:
        one = todo.pop()
        out.append(one)
        try:
            for task in os.listdir(f"/proc/{one}/task"):
                with open(f"/proc/{one}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            continue
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def crawl(corpus: Path, index: Path, rebuild: bool = False) -> tuple[int, float, str]:
    """Run one crawl; return its exit status, seconds and last line of output."""
    started = time.monotonic()
    done = subprocess.run([str(BIN / "m4d-search"), "crawl", str(corpus), "--index", str(index)]
                          + (["--rebuild"] if rebuild else []), capture_output=True, text=True)
    lines = done.stderr.strip().splitlines()
    return done.returncode, time.monotonic() - started, lines[-1] if lines else ""


class CrawlLoop(threading.Thread):
    """Re-crawl the corpus into the served index until stopped."""

    def __init__(self, corpus: Path, index: Path):
        super().__init__(daemon=True)
        self.corpus, self.index = corpus, index
        self.stop = threading.Event()
        self.runs: list[tuple[int, float, str]] = []

    def run(self):
        while not self.stop.is_set():
            self.runs.append(crawl(self.corpus, self.index, rebuild=len(self.runs) % 2 == 1))


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long wrk drives the server")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--server-threads", type=int, default=1, help="threads per server worker (1: sync workers)")
    parser.add_argument("--corpus", type=Path, help="a folder to crawl (default: 200 pages by benchmarks.make_corpus)")
    parser.add_argument("--docs", type=int, default=200, help="pages to generate when --corpus is not given")
    parser.add_argument("--max-growth-mb", type=float, default=64, help="allowed heap (RssAnon) growth")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("soak: wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="m4d-soak-"))
    corpus, index = args.corpus, work / "index"
    if corpus is None:
        corpus = work / "corpus"
        subprocess.run([sys.executable, "-m", "benchmarks.make_corpus", "--data", str(DATA),
                        "--docs", str(args.docs), "--out", str(corpus)], check=True, capture_output=True, cwd=ROOT)
    code, seconds, line = crawl(corpus, index)
    if code:
        print(f"soak: the first crawl failed: {line}", file=sys.stderr)
        return 1
    print(f"first crawl ({seconds:.1f} s): {line}", file=sys.stderr)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(BIN / "m4d-search"), "serve", "--port", str(port), "--index", str(index),
                               "--threads", str(args.server_threads)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    loop = CrawlLoop(corpus, index)
    try:
        for _ in range(100):
            try:
                documents = json.loads(get(base + "/healthz"))["documents"]
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("soak: the server did not start")
        mix = paths()
        for path in mix:  # warm up: every request, then an index switch, then every request again
            get(base + path)
        crawl(corpus, index)
        time.sleep(1)
        for path in mix:
            get(base + path)
        rss_start, heap_start = rss_mb(server.pid), rss_mb(server.pid, "RssAnon")
        load_start = os.getloadavg()

        script = work / "mix.lua"
        script.write_text(LUA % ", ".join(json.dumps(p) for p in mix), "utf-8")
        loop.start()
        peak = [rss_start]

        def sample():
            started = time.monotonic()
            while wrk.poll() is None:
                peak.append(rss_mb(server.pid))
                if len(peak) % 10 == 0:
                    print(f"{time.monotonic() - started:3.0f} s: {len(loop.runs)} crawls done, server RSS "
                          f"{peak[-1]:.0f} MB", file=sys.stderr, flush=True)
                time.sleep(1)

        wrk = subprocess.Popen(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s",
                                "--timeout", "10s", "--latency", "-s", str(script), base + "/"],
                               stdout=subprocess.PIPE, text=True)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out, _ = wrk.communicate()
        sampler.join()
        loop.stop.set()
        loop.join()
        load_end = os.getloadavg()
        rss_end, heap_end = rss_mb(server.pid), rss_mb(server.pid, "RssAnon")
        healthy = json.loads(get(base + "/healthz"))
    finally:
        loop.stop.set()
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    result = json.loads(next(line for line in out.splitlines() if line.startswith("SOAK "))[5:])
    errors = sum(result[k] for k in ("non200", "connect", "read", "write", "timeout"))
    failed = [r for r in loop.runs if r[0] != 0]
    growth = heap_end - heap_start
    rps = result["requests"] / (result["duration_us"] / 1e6)
    print(json.dumps({**result, "errors": errors, "requests_per_s": round(rps, 1), "documents": documents,
                      "crawls": len(loop.runs), "crawls_failed": len(failed),
                      "crawl_seconds": [round(r[1], 1) for r in loop.runs],
                      "rss_start_mb": round(rss_start, 1), "rss_end_mb": round(rss_end, 1),
                      "rss_peak_mb": round(max(peak), 1), "heap_start_mb": round(heap_start, 1),
                      "heap_end_mb": round(heap_end, 1), "load_start": [round(x, 2) for x in load_start],
                      "load_end": [round(x, 2) for x in load_end], "healthz_after": healthy}, indent=1))
    ok = errors == 0 and not failed and growth <= args.max_growth_mb
    print(f"soak: {result['requests']} requests in {args.seconds} s at {args.connections} connections "
          f"({rps:.0f}/s), {errors} errors, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; "
          f"{len(loop.runs)} crawls ({len(failed)} failed) of {documents} documents; RSS {rss_start:.0f} → "
          f"{rss_end:.0f} MB (peak {max(peak):.0f}), heap {heap_start:.0f} → {heap_end:.0f} MB "
          f"(bound +{args.max_growth_mb:.0f}); load "
          f"{load_start[0]:.1f} → {load_end[0]:.1f}: {'OK' if ok else 'FAILED'}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
