"""The web crawler against a real HTTP server on 127.0.0.1: what is fetched (types,
encodings, sizes), retries and timeouts. Each test checks what the index holds afterwards.
"""
from __future__ import annotations

import pytest

from .crawlkit import crawl, documents
from .httpsite import html, page, reply, sequence

# What is fetched


CP1252 = "Café, crème brûlée – l’été à Montréal; Ñandú y acción".encode("cp1252")


def test_encodings_types_and_sizes(site, tmp_path):
    big = b"<html><body><p>" + b"x" * (6 * 1024 * 1024) + b"</p></body></html>"

    def streamed(h):  # no Content-Length: the cap must hold while reading
        reply(h, 200, big, length=False)
    site.routes.update({
        "/": page(html("Home", "".join(f'<a href="{p}">{p}</a> ' for p in (
            "/latin1-header.html", "/cp1252-meta.html", "/cp1252-bare.html", "/notes.txt", "/report.pdf",
            "/blob", "/big.html", "/big-stream.html")))),
        "/latin1-header.html": page(b"<html><head><title>Header</title></head><body><p>" + CP1252 + b"</p>",
                                    content_type="text/html; charset=ISO-8859-1"),
        "/cp1252-meta.html": page(b'<html><head><meta charset="windows-1252"><title>Meta</title></head><body><p>'
                                  + CP1252 + b"</p>", content_type="text/html"),
        "/cp1252-bare.html": page(b"<html><head><title>Bare</title></head><body><p>" + CP1252 + b"</p>",
                                  content_type=None),
        "/notes.txt": page("Plain notes\n\nA plain text file about migration.\n", content_type="text/plain"),
        "/report.pdf": page(b"%PDF-1.4 not a page", content_type="application/pdf"),
        "/blob": page(b"\x89PNG\r\n\x1a\n\x00\x00binary", content_type=None),
        "/big.html": page(big),
        "/big-stream.html": streamed,
    })
    summary = crawl([site.url("/")], tmp_path / "ix")
    docs = documents(tmp_path / "ix")
    text = "Café, crème brûlée – l’été à Montréal; Ñandú y acción"
    for path in ("/latin1-header.html", "/cp1252-meta.html", "/cp1252-bare.html"):
        assert docs[site.url(path)]["text"] == text, path
    assert "plain text file" in docs[site.url("/notes.txt")]["text"]
    skipped = dict(summary.skipped)
    assert skipped[site.url("/report.pdf")] == "not HTML or text: application/pdf"
    assert skipped[site.url("/blob")].startswith("not HTML or text: binary")
    assert skipped[site.url("/big.html")] == f"too large: {len(big)} bytes (limit {5 * 1024 * 1024})"
    assert skipped[site.url("/big-stream.html")] == f"too large: over {5 * 1024 * 1024} bytes"
    assert set(docs) == {site.url(p) for p in ("/", "/latin1-header.html", "/cp1252-meta.html",
                                               "/cp1252-bare.html", "/notes.txt")}
    assert "not HTML or text 2" in summary.line() and "too large 2" in summary.line()


@pytest.mark.timing
def test_retries_honour_retry_after_and_spare_4xx(site, tmp_path):
    busy = lambda h: reply(h, 503, "busy", headers={"Retry-After": "1"})  # noqa: E731
    limited = lambda h: reply(h, 429, "slow down", headers={"Retry-After": "1"})  # noqa: E731
    site.routes.update({
        "/": page(html("Home", "".join(f'<a href="{p}">{p}</a> ' for p in (
            "/busy.html", "/flaky.html", "/limited.html", "/forbidden.html", "/broken.html")))),
        "/busy.html": sequence(busy, page(html("Busy page", "<p>Answered after a wait.</p>"))),
        "/flaky.html": sequence(lambda h: reply(h, 500, "oops"), page(html("Flaky page", "<p>Second try.</p>"))),
        "/limited.html": sequence(limited, page(html("Limited page", "<p>After 429.</p>"))),
        "/forbidden.html": lambda h: reply(h, 403, "no"),
        "/broken.html": lambda h: reply(h, 500, "always broken"),
    })
    summary = crawl([site.url("/")], tmp_path / "ix")
    assert site.count("/busy.html") == 2 and site.count("/flaky.html") == 2 and site.count("/limited.html") == 2
    assert site.count("/forbidden.html") == 1 and site.count("/broken.html") == 3  # 2 retries
    first, second = site.requests("/busy.html")
    assert second.at - first.at >= 0.95  # Retry-After: 1, not the 0.05 s backoff
    first, second = site.requests("/limited.html")
    assert second.at - first.at >= 0.95
    assert set(documents(tmp_path / "ix")) == {site.url(p) for p in ("/", "/busy.html", "/flaky.html",
                                                                      "/limited.html")}
    assert (site.url("/broken.html"), "http 500") in summary.errors
    assert (site.url("/forbidden.html"), "http 403") in summary.skipped


@pytest.mark.timing
def test_a_page_that_hangs_times_out_and_the_crawl_goes_on(site, tmp_path):
    def hang(h):
        site.stopping.wait(5)
        reply(h, 200, html("Too late", "<p>x</p>"))
    site.routes.update({
        "/": page(html("Home", '<a href="/slow.html">s</a> <a href="/fine.html">f</a>')),
        "/slow.html": hang,
        "/fine.html": page(html("Fine", "<p>Quick page.</p>")),
    })
    summary = crawl([site.url("/")], tmp_path / "ix", timeout=0.3, retries=1)
    assert site.count("/slow.html") == 2
    assert summary.errors == [(site.url("/slow.html"), "timeout (ReadTimeout)")]
    assert set(documents(tmp_path / "ix")) == {site.url("/"), site.url("/fine.html")}
