"""URL normalization, crawl scope and link-trap rules (no network)."""
from __future__ import annotations

import pytest

from indexer.crawl.fetch import media_type, parse_sitemap, retry_after, sniff
from indexer.crawl.urls import Scope, normalize, trap_reason


@pytest.mark.parametrize(("url", "normal"), [
    ("HTTP://Example.COM/a", "http://example.com/a"),
    ("http://example.com:80/", "http://example.com/"),
    ("https://example.com:443", "https://example.com/"),
    ("https://example.com:8443/x", "https://example.com:8443/x"),
    ("http://example.com/a#section", "http://example.com/a"),
    ("http://example.com/?b=2&a=1", "http://example.com/?a=1&b=2"),
    ("http://example.com/?utm_source=x&id=3&fbclid=y&gclid=z", "http://example.com/?id=3"),
    ("http://example.com/a/./b/../c", "http://example.com/a/c"),
    ("http://example.com/%7euser/%c3%a9", "http://example.com/~user/%C3%A9"),
    ("http://example.com/a b", "http://example.com/a%20b"),
    ("http://user:secret@example.com/", "http://example.com/"),
    ("http://example.com./", "http://example.com/"),
    ("http://[::1]:80/", "http://[::1]/"),
])
def test_normalize(url, normal):
    assert normalize(url) == normal


@pytest.mark.parametrize("url", ["file:///etc/passwd", "mailto:a@b.c", "http:///nohost", "http://h:99999/"])
def test_normalize_refuses(url):
    with pytest.raises(ValueError):
        normalize(url)


def test_scope_of_a_public_site():
    scope = Scope(["https://www.example.org/"], allow_domains=["example.net", "10.0.0.7"])
    assert scope.refuse("https://www.example.org/x") is None
    assert scope.refuse("https://docs.example.net/x") is None
    assert scope.refuse("https://example.net/") is None
    assert scope.refuse("http://10.0.0.7/") is None  # named exactly by the operator
    assert scope.refuse("https://example.org/") == "outside allowed domains"  # the seed's host only
    assert scope.refuse("https://evil.example/") == "outside allowed domains"
    assert scope.refuse("file:///etc/passwd") == "unsupported scheme: file"
    for local in ("http://127.0.0.1/", "http://[::1]/", "http://localhost/", "http://192.168.1.1/"):
        assert scope.refuse(local) == "outside allowed domains", local


def test_a_public_site_cannot_reach_this_machine_through_allowed_domains():
    scope = Scope(["https://www.example.org/"], allow_domains=["localhost", "0.0.127.in-addr.arpa"])
    assert scope.refuse("http://localhost/") is None  # exactly as the operator wrote it
    assert scope.refuse("http://app.localhost/") == "outside allowed domains: local or private address"
    scope = Scope(["https://www.example.org/"], allow_domains=["example.org", "localhost"])
    assert scope.refuse("http://127.0.0.1/") == "outside allowed domains"


def test_a_local_seed_may_be_crawled():
    scope = Scope(["http://127.0.0.1:8000/"])
    assert not scope.public
    assert scope.refuse("http://127.0.0.1:8000/page") is None
    assert scope.refuse("http://localhost:8000/page") == "outside allowed domains"


@pytest.mark.parametrize(("url", "reason"), [
    ("http://h/a/b/c", None),
    ("http://h/" + "x" * 3000, "link trap: URL longer than 2048 characters"),
    ("http://h/a/b/a/b/a", "link trap: path segment 'a' repeated 3 times"),
    ("http://h/" + "/".join(str(n) for n in range(30)), "link trap: more than 24 path segments"),
    ("http://h/s?" + "&".join(f"p{n}=1" for n in range(13)), "link trap: more than 12 query parameters"),
])
def test_trap_reason(url, reason):
    assert trap_reason(url) == reason


@pytest.mark.parametrize(("header", "media", "charset"), [
    ("text/html; charset=UTF-8", "text/html", "utf-8"),
    ("text/html; charset=ISO-8859-1", "text/html", "windows-1252"),
    ('text/plain;charset="latin1"', "text/plain", "windows-1252"),
    ("text/html; charset=nonsense", "text/html", None),
    (None, "", None),
])
def test_media_type(header, media, charset):
    assert media_type(header) == (media, charset)


def test_sniff_and_retry_after():
    assert sniff(b"\xef\xbb\xbf  <!DOCTYPE html><p>x") == "text/html"
    assert sniff(b"Plain words.") == "text/plain"
    assert sniff(b"%PDF-1.7") is None and sniff(b"ab\x00cd") is None
    import httpx
    assert retry_after(httpx.Headers({"Retry-After": "7"})) == 7
    assert retry_after(httpx.Headers({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0
    assert retry_after(httpx.Headers({})) is None


def test_sitemap_ignores_entities():
    evil = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://h/&e;</loc></url>'
            b"<url><loc> http://h/ok </loc></url></urlset>")
    pages, maps = parse_sitemap(evil)
    assert "http://h/ok" in pages and not any("root:" in p for p in pages) and maps == []
    assert parse_sitemap(b"http://h/a\nnot a url\nhttps://h/b\n") == (["http://h/a", "https://h/b"], [])
