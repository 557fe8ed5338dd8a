"""Fetch: the HTTP side of the web crawl. One pooled httpx client (connection reuse, timeouts,
a User-Agent naming m4d-search), size caps, retries with backoff, robots.txt (protego) and
sitemaps. Nothing here decides *what* to crawl: that is the crawler's job (``web``).
"""
from __future__ import annotations

import codecs
import gzip
import io
import logging
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import httpx
from lxml import etree
from protego import Protego

from indexer.crawl.stream import ACCEPT_ENCODING, DeadlineTransport, decode, encodings, set_deadline
from indexer.errors import FetchError, SkipPage
from indexer.settings import ROBOTS_TOKEN, CrawlSettings

log = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain"})
#: Types that say nothing about the content: the body is sniffed instead.
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown",
                           "unknown/unknown", "application/x-unknown-content-type"})
#: Labels browsers read as Windows-1252 (WHATWG Encoding Standard): servers often send
#: "ISO-8859-1" for pages whose curly quotes and dashes are really Windows-1252.
WINDOWS_1252_LABELS = frozenset({"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii",
                                 "cp819", "ibm819", "iso-ir-100", "csisolatin1", "iso_8859-1", "windows-1252",
                                 "cp1252", "x-cp1252"})
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"RIFF", b"OggS",
                 b"ID3", b"\x00\x00\x01\x00", b"\x7fELF", b"BM")
ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB
SITEMAP_MAX_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit (uncompressed)


@dataclass
class Response:
    """What one GET answered (after retries). ``body`` is read only for a 200."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes = b""
    content_type: str = ""  # the media type, lower case, without parameters
    encoding: str | None = None  # the charset the header announced, WHATWG-mapped
    location: str | None = None  # the absolute target of a redirect
    attempts: int = 1



def media_type(header: str | None) -> tuple[str, str | None]:
    """Split a Content-Type header into (media type, charset codec name or None)."""
    if not header:
        return "", None
    media, *params = header.split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower() or None
    if charset in WINDOWS_1252_LABELS:
        charset = "windows-1252"
    elif charset:
        try:
            charset = codecs.lookup(charset).name
        except LookupError:
            charset = None  # an unknown label: let the page's meta or detection decide
    return media.strip().lower(), charset


def sniff(body: bytes) -> str | None:
    """Return "text/html", "text/plain" or None (binary) for a body of unknown type."""
    head = body[:1024]
    if head.startswith(_BINARY_MAGIC) or (b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))):
        return None
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<title")):
        return "text/html"
    return "text/plain"


def retry_after(headers: httpx.Headers) -> float | None:
    """Return the seconds a Retry-After header asks to wait, or None."""
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Fetcher:
    """GET with one shared, pooled client; thread-safe (the crawler runs a few at once)."""

    def __init__(self, settings: CrawlSettings):
        self.settings = settings
        self.client = httpx.Client(
            headers={"User-Agent": settings.user_agent,
                     "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1",
                     "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(settings.timeout), follow_redirects=False,
            transport=DeadlineTransport(httpx.Limits(max_connections=settings.concurrency + 2,
                                                     max_keepalive_connections=settings.concurrency + 2)))
        self._stop = threading.Event()

    def close(self) -> None:
        """Cut short any retry wait and close the connections."""
        self._stop.set()
        self.client.close()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def pause(self, seconds: float) -> bool:
        """Wait, unless the fetcher is closed meanwhile; return True if it was."""
        return self._stop.wait(seconds)

    def get(self, url: str, *, kind: str = "page", etag: str | None = None,
            last_modified: str | None = None) -> Response:
        """GET url, retrying timeouts, network errors, 429 and 5xx with backoff.

        :param kind: "page" (HTML or text only, size cap), "robots" or "sitemap".
        :raises SkipPage: the body is not HTML or text, or too large.
        :raises FetchError: the request failed for good, or its body cannot be decoded.
        """
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        s = self.settings
        attempt = 0
        while True:
            attempt += 1
            try:
                resp = self._once(url, headers, kind)
            except (httpx.TimeoutException, TimeoutError) as exc:
                failure, wait = f"timeout ({type(exc).__name__})", s.backoff * 2 ** (attempt - 1)
            except httpx.HTTPError as exc:
                failure, wait = f"network error: {type(exc).__name__}: {exc}", s.backoff * 2 ** (attempt - 1)
            else:
                resp.attempts = attempt
                if not (resp.status == 429 or resp.status >= 500) or attempt > s.retries:
                    return resp
                failure = f"http {resp.status}"
                wait = max(s.backoff * 2 ** (attempt - 1), retry_after(resp.headers) or 0.0)
                if wait > s.max_retry_wait:
                    log.info("%s: giving up, Retry-After %.0f s", url, wait)
                    return resp
            if attempt > s.retries:
                raise FetchError(failure)
            log.info("%s: %s, retry %d in %.1f s", url, failure, attempt, wait)
            if self.pause(wait):
                raise FetchError(f"{failure} (crawl stopped)")

    def _once(self, url: str, headers: dict, kind: str) -> Response:
        s = self.settings
        limit = {"page": s.max_bytes, "robots": ROBOTS_MAX_BYTES}.get(kind, SITEMAP_MAX_BYTES)
        deadline = time.monotonic() + 4 * s.timeout
        set_deadline(deadline)  # connect, headers and body: every socket operation is cut off at it
        try:
            return self._read(url, headers, kind, limit)
        except httpx.TimeoutException:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"response took longer than {4 * s.timeout:g} s") from None
            raise
        finally:
            set_deadline(None)

    def _read(self, url: str, headers: dict, kind: str, limit: int) -> Response:
        with self.client.stream("GET", url, headers=headers) as r:
            out = Response(url=url, status=r.status_code, headers=r.headers)
            if r.status_code in (301, 302, 303, 307, 308) and r.headers.get("location"):
                out.location = urljoin(url, r.headers["location"].strip())
                return out
            if r.status_code != 200:
                return out
            out.content_type, out.encoding = media_type(r.headers.get("content-type"))
            if kind == "page" and out.content_type not in HTML_TYPES | TEXT_TYPES | GENERIC_TYPES:
                raise SkipPage(f"not HTML or text: {out.content_type}")
            length = r.headers.get("content-length", "")
            if kind != "robots" and length.isdigit() and int(length) > limit:
                raise SkipPage(f"too large: {int(length)} bytes (limit {limit})")
            layers = encodings(r.headers.get("content-encoding"))
            body = bytearray()
            for chunk in decode(r.iter_raw(), layers):  # the decoded size, counted as it grows
                body += chunk
                if len(body) > limit:
                    if kind == "robots":  # read what fits, as RFC 9309 allows
                        del body[limit:]
                        break
                    raise SkipPage(f"too large: over {limit} bytes")
            out.body = bytes(body)
        if kind == "page" and out.content_type in GENERIC_TYPES:
            sniffed = sniff(out.body)
            if sniffed is None:
                raise SkipPage(f"not HTML or text: binary {out.content_type or 'without type'}")
            out.content_type = sniffed
        elif kind == "page":
            out.content_type = "text/html" if out.content_type in HTML_TYPES else "text/plain"
        return out


class Robots:
    """The robots.txt rules of one origin."""

    def __init__(self, text: str | None = None, allow_all: bool = True, note: str = ""):
        self.text = text
        self.parser = Protego.parse(text) if text else None
        self.allow_all = allow_all
        self.note = note

    def as_dict(self) -> dict:
        """Return what rebuilds these rules (``Robots(**d)``): shared crawls keep it in the store."""
        return {"text": self.text, "allow_all": self.allow_all, "note": self.note}

    def allowed(self, url: str) -> bool:
        if self.parser is None:
            return self.allow_all
        return self.parser.can_fetch(url, ROBOTS_TOKEN)

    def crawl_delay(self) -> float:
        if self.parser is None:
            return 0.0
        return float(self.parser.crawl_delay(ROBOTS_TOKEN) or 0.0)

    def sitemaps(self) -> list[str]:
        return list(self.parser.sitemaps) if self.parser is not None else []


def fetch_robots(fetcher: Fetcher, origin: str, refuse) -> Robots:
    """Fetch and parse origin/robots.txt (RFC 9309): a 4xx allows all, an unreachable file
    (5xx, network error) disallows all; redirects are followed while ``refuse(url)`` is None.
    """
    url = origin + "/robots.txt"
    for _ in range(6):
        try:
            resp = fetcher.get(url, kind="robots")
        except FetchError as exc:
            return Robots(allow_all=False, note=f"robots.txt unreachable: {exc}")
        if resp.location is None:
            break
        if refuse(resp.location):
            return Robots(note="robots.txt redirects elsewhere")
        url = resp.location
    else:
        return Robots(note="robots.txt redirects too often")
    if resp.status == 200:
        return Robots(resp.body.decode("utf-8", errors="replace"))
    if 400 <= resp.status < 500:
        return Robots(note=f"no robots.txt (http {resp.status})")
    return Robots(allow_all=False, note=f"robots.txt unreachable (http {resp.status})")


def parse_sitemap(body: bytes) -> tuple[list[str], list[str]]:
    """Return (page URLs, sitemap URLs) listed by a sitemap, a sitemap index or a text sitemap."""
    pages, sitemaps, _ = read_sitemap(body)
    return pages, sitemaps


def read_sitemap(body: bytes, max_pages: int | None = None,
                 max_sitemaps: int | None = None) -> tuple[list[str], list[str], int]:
    """Return (page URLs, sitemap URLs, how many more were left out) of a sitemap, reading at
    most max_pages page URLs and max_sitemaps sitemap URLs (None: all).

    The XML is read as a stream (elements dropped once read), so a sitemap of a million URLs
    costs the URLs kept, not a tree. Gzipped files are read up to the sitemap size limit; XML
    entities and DTDs are not loaded.
    """
    if body[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as f:
            try:
                body = f.read(SITEMAP_MAX_BYTES + 1)[:SITEMAP_MAX_BYTES]
            except (OSError, EOFError):
                return [], [], 0
    room = {"url": max_pages, "sitemap": max_sitemaps}
    found: dict[str, list[str]] = {"url": [], "sitemap": []}
    left_out = 0
    if not body.lstrip().startswith(b"<"):
        for line in body.decode("utf-8", errors="replace").splitlines():
            if line.strip().startswith(("http://", "https://")):
                if room["url"] is not None and len(found["url"]) >= room["url"]:
                    left_out += 1
                else:
                    found["url"].append(line.strip())
        return found["url"], [], left_out
    events = etree.iterparse(io.BytesIO(body), events=("end",), resolve_entities=False, no_network=True,
                             load_dtd=False, recover=True, huge_tree=False)
    try:
        for _, el in events:
            if not isinstance(el.tag, str) or etree.QName(el).localname != "loc":
                if isinstance(el.tag, str) and etree.QName(el).localname in ("url", "sitemap"):
                    el.clear()  # read: drop it, and the siblings before it
                    while el.getprevious() is not None:
                        del el.getparent()[0]
                continue
            parent = el.getparent()
            where = etree.QName(parent).localname if parent is not None else ""
            text = (el.text or "").strip()
            if not text or where not in found:
                continue
            if room[where] is not None and len(found[where]) >= room[where]:
                left_out += 1
            else:
                found[where].append(text)
    except etree.XMLSyntaxError:
        pass  # what was read before the error stands
    return found["url"], found["sitemap"], left_out
