"""Hostile web servers on 127.0.0.1: a double-gzip bomb, a server trickling its headers, a
sitemap index of huge sitemaps, links to other ports. Each is cut off in time, and where the
issue measured memory, the crawl runs in a child process whose peak memory is checked."""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from indexer.crawl.fetch import Fetcher
from indexer.crawl.stream import decode, encodings
from indexer.crawl.urls import Scope
from indexer.crawl.web import HttpCrawler
from indexer.errors import FetchError, SkipPage
from indexer.settings import CrawlSettings

from .crawlkit import FAST, crawl, documents
from .httpsite import html, page, reply

ROOT = Path(__file__).resolve().parent.parent
#: Peak resident memory a child fetching one bomb may reach (it starts at about 50 MB).
BOMB_RSS_MB = 150
#: Peak resident memory of a crawl over a sitemap index of 49 sitemaps of 200,000 URLs each.
SITEMAP_RSS_MB = 250


def _gzip_stream(size: int) -> bytes:
    """gzip of `size` zero bytes, compressed piece by piece (never held whole)."""
    c, out, zeros = zlib.compressobj(9, zlib.DEFLATED, 31), [], bytes(1 << 20)
    for _ in range(size >> 20):
        out.append(c.compress(zeros))
    out.append(c.flush())
    return b"".join(out)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    inner = _gzip_stream(1 << 30)  # 1 GiB of zeros: about 1 MB
    return gzip.compress(inner, 9)  # and again: a few KB on the wire


def child(script: str, *args, timeout: float = 60) -> dict:
    """Run script in a child Python and return the JSON it prints last, plus its peak RSS (MB).

    The peak is the child's own (VmHWM, reset by exec): getrusage's ru_maxrss would count the
    pytest process it was forked from."""
    code = script + "\nhwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]\n" \
                    "print(json.dumps(dict(out, rss_mb=int(hwm.split()[1]) / 1024)))\n"
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


FETCH_ONE = """
import json, sys, time
from indexer.crawl.fetch import Fetcher
from indexer.errors import SkipPage
from indexer.settings import CrawlSettings
started, out = time.monotonic(), {}
try:
    out["bytes"] = len(Fetcher(CrawlSettings(timeout=10, retries=0)).get(sys.argv[1]).body)
except SkipPage as exc:
    out["skip"] = str(exc)
out["seconds"] = time.monotonic() - started
"""


def test_a_double_gzip_bomb_is_cut_at_the_size_cap(site, bomb):
    assert len(bomb) < 20_000
    site.routes["/bomb"] = lambda h: reply(h, 200, bomb, headers={"Content-Encoding": "gzip, gzip"})
    out = child(FETCH_ONE, site.url("/bomb"))
    assert out["skip"] == "too large: over 5242880 bytes"
    assert out["rss_mb"] < BOMB_RSS_MB, out
    assert out["seconds"] < 10


def test_encodings_are_decoded_layer_by_layer(site):
    text = html("Layers", "<p>" + "migration " * 2000 + "</p>").encode()
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    layered = gzip.compress(raw_deflate.compress(text) + raw_deflate.flush())
    site.routes["/layers"] = lambda h: reply(h, 200, layered, headers={"Content-Encoding": "deflate, gzip"})
    site.routes["/two-members"] = lambda h: reply(h, 200, gzip.compress(text[:100]) + gzip.compress(text[100:]),
                                                  headers={"Content-Encoding": "gzip"})
    site.routes["/br"] = lambda h: reply(h, 200, b"\x0b\x02\x80hi\x03", headers={"Content-Encoding": "br"})
    site.routes["/bad"] = lambda h: reply(h, 200, b"not gzip at all", headers={"Content-Encoding": "gzip"})
    fetcher = Fetcher(CrawlSettings(**FAST))
    try:
        assert fetcher.get(site.url("/layers")).body == text
        assert fetcher.get(site.url("/two-members")).body == text
        with pytest.raises(FetchError, match="unsupported Content-Encoding: br"):
            fetcher.get(site.url("/br"))
        with pytest.raises(FetchError, match="invalid gzip body"):
            fetcher.get(site.url("/bad"))
        assert site.requests("/layers")[0].headers["Accept-Encoding"] == "gzip, deflate"
    finally:
        fetcher.close()
    pieces = list(decode([gzip.compress(bytes(1 << 20))], encodings("gzip")))
    assert sum(map(len, pieces)) == 1 << 20 and max(map(len, pieces)) <= 64 * 1024


def _trickle(handler):
    """Send a status line, then one header byte every 0.1 s, for up to 30 s."""
    wfile = handler.wfile
    try:
        wfile.write(b"HTTP/1.1 200 OK\r\n")
        wfile.flush()
        for _ in range(300):
            wfile.write(b"X")
            wfile.flush()
            time.sleep(0.1)
    except OSError:
        pass
    handler.close_connection = True


@pytest.mark.timing
def test_a_server_trickling_headers_is_cut_at_the_deadline(site):
    site.routes["/slow"] = _trickle
    fetcher = Fetcher(CrawlSettings(**{**FAST, "timeout": 0.5, "retries": 0}))  # deadline 2 s
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="timeout"):
            fetcher.get(site.url("/slow"))
    finally:
        fetcher.close()
    assert 1.9 < time.monotonic() - started < 5


def _sitemap_site(site, sitemaps: int, urls_per_sitemap: int) -> None:
    def index(h):
        body = "".join(f"<sitemap><loc>{site.url(f'/sm-{n}.xml')}</loc></sitemap>" for n in range(sitemaps))
        reply(h, 200, f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>',
              content_type="application/xml")

    def sitemap(h):
        body = "".join(f"<url><loc>{site.url(f'/p/{n}')}</loc></url>" for n in range(urls_per_sitemap))
        reply(h, 200, f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>',
              content_type="application/xml")

    site.routes["/robots.txt"] = lambda h: reply(h, 200, f"Sitemap: {site.url('/index.xml')}\n",
                                                 content_type="text/plain")
    site.routes["/index.xml"] = index
    for n in range(sitemaps):
        site.routes[f"/sm-{n}.xml"] = sitemap
    site.routes["/"] = page(html("Home", "<p>home</p>"))
    for n in range(50):
        site.routes[f"/p/{n}"] = page(html(f"Page {n}", f"<p>page {n}</p>"))


SITEMAP_CRAWL = """
import json, sys
from indexer.crawl.web import HttpCrawler
from indexer.settings import CrawlSettings
settings = CrawlSettings(delay=0, timeout=5, retries=0, max_sitemaps=int(sys.argv[3]))
crawler = HttpCrawler([sys.argv[1]], sys.argv[2], settings=settings, max_pages=int(sys.argv[4]))
most = []
crawler.tick = lambda: most.append(crawler.frontier.queued("page"))
pages = sum(1 for _ in crawler)
crawler.close()
out = {"pages": pages, "most_queued": max(most), "complete": crawler.complete}
"""


@pytest.mark.timing
def test_sitemaps_count_toward_max_pages_and_max_sitemaps(site, tmp_path):
    _sitemap_site(site, sitemaps=49, urls_per_sitemap=200_000)
    out = child(SITEMAP_CRAWL, site.url("/"), tmp_path / "ix", 3, 5, timeout=120)
    assert out["pages"] == 5 and out["most_queued"] <= 5 and not out["complete"]
    sitemap_requests = [p for p in site.paths() if p.startswith("/sm-") or p == "/index.xml"]
    assert len(sitemap_requests) <= 3  # max_sitemaps: the index and two of its 49 sitemaps
    assert out["rss_mb"] < SITEMAP_RSS_MB, out


def test_sitemaps_never_queue_more_than_max_queued(site, tmp_path):
    _sitemap_site(site, sitemaps=2, urls_per_sitemap=5000)
    most = []
    crawler = HttpCrawler([site.url("/")], tmp_path / "ix", settings=CrawlSettings(**FAST, max_queued=20))
    crawler.tick = lambda: most.append(crawler.frontier.queued())
    try:
        pages = sum(1 for _ in crawler)
    finally:
        crawler.close()
    assert max(most) <= 20 and pages <= 60 and not crawler.complete  # left out: nothing is forgotten


def test_scope_compares_the_port(site, tmp_path):
    assert Scope(["http://127.0.0.1:8000/"]).refuse("http://127.0.0.1:6379/") == \
        "outside allowed domains: port 6379 of 127.0.0.1"
    assert Scope(["http://127.0.0.1:8000/"]).refuse("http://127.0.0.1/") == \
        "outside allowed domains: port None of 127.0.0.1"
    assert Scope(["https://example.org/"]).refuse("http://example.org/x") is None  # default ports
    assert Scope(["https://example.org/"], ["example.net"]).refuse("https://example.net:8443/") == \
        "outside allowed domains: port 8443 of example.net"
    from .httpsite import Site

    other = Site()
    try:
        other.routes["/"] = page(html("Other port", "<p>never fetched</p>"))
        site.routes["/"] = page(html("Home", f'<a href="http://127.0.0.1:{other.port}/">other port</a>'))
        summary = crawl([site.url("/")], tmp_path / "ix")
        assert other.paths() == [] and set(documents(tmp_path / "ix")) == {site.url("/")}
        assert (f"http://127.0.0.1:{other.port}/", f"outside allowed domains: port {other.port} of 127.0.0.1") \
            in summary.skipped
    finally:
        other.close()


def test_skips_are_not_errors(site):
    site.routes["/big"] = lambda h: reply(h, 200, gzip.compress(bytes(200_000)), headers={"Content-Encoding": "gzip"})
    fetcher = Fetcher(CrawlSettings(**{**FAST, "max_bytes": 100_000}))
    try:
        with pytest.raises(SkipPage, match="too large: over 100000 bytes"):
            fetcher.get(site.url("/big"))
    finally:
        fetcher.close()
