"""The web crawler against a real HTTP server on 127.0.0.1: politeness, rules of the web,
what is fetched, incremental recrawls and safety. Each test checks the server's own request
log and what the index holds afterwards.
"""
from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import time

import pytest
from whoosh import index as whoosh_index

from indexer.fetch import CrawlSettings
from indexer.pipeline import run_crawl
from indexer.state import CrawlState, crawl_lock

from .conftest import SITE
from .httpsite import Site, html, page, reply, sequence
from .test_cli import EXE, run

FAST = dict(delay=0.0, timeout=2.0, backoff=0.05, retries=2)


@pytest.fixture()
def site():
    s = Site()
    yield s
    s.close()


@pytest.fixture()
def corpus_site(site_copy):
    s = Site(root=site_copy)
    yield s
    s.close()


def crawl(seeds, index_dir, **options):
    settings = {k: options.pop(k) for k in list(options) if k in CrawlSettings.__dataclass_fields__}
    return run_crawl(list(seeds), index_dir, settings=CrawlSettings(**{**FAST, **settings}), **options)


def documents(index_dir) -> dict[str, dict]:
    """Every stored document of the index, by id."""
    ix = whoosh_index.open_dir(index_dir)
    try:
        with ix.searcher() as s:
            return {d["id"]: d for d in s.all_stored_fields()}
    finally:
        ix.close()


def outcome(summary, url) -> str:
    return summary.outcomes[url][0]


# The bundled site, served as python -m http.server does


def test_site_over_http_matches_the_folder_crawl_and_recrawls_incrementally(corpus_site, site_copy, tmp_path,
                                                                            site_index_dir):
    ix = tmp_path / "ix"
    report = tmp_path / "report.json"
    done = run("crawl", corpus_site.url("/"), "--delay", "0", "--contact", "https://example.org/bot",
               "--report", str(report), index=ix)
    assert done.returncode == 0, done.stderr
    assert "indexed 13 documents (en 7, es 3, fr 3) from 9 pages" in done.stderr
    web, local = documents(ix), documents(site_index_dir)
    assert sorted((d["title"], d["type"], d["lang"]) for d in web.values()) == \
        sorted((d["title"], d["type"], d["lang"]) for d in local.values())
    assert all(i.startswith(corpus_site.base + "/") for i in web)
    assert corpus_site.url("/#project-1") in web
    # robots.txt once, the sitemap looked for, each page once; /index.html is / again: an alias
    assert corpus_site.count("/robots.txt") == 1 and corpus_site.count("/sitemap.xml") == 1
    assert corpus_site.count("/case-studies/social-inclusion-es.html") == 1
    data = json.loads(report.read_text("utf-8"))
    assert data["outcomes"] == {"new": 9, "alias": 1}
    assert {"url": corpus_site.url("/index.html"), "outcome": "alias",
            "reason": f"duplicate: same content as {corpus_site.url('/')}"} in data["urls"]
    agent = corpus_site.requests("/")[0].headers["User-Agent"]
    assert "m4d-search/" in agent and "+https://example.org/bot" in agent
    # one connection carries many requests
    assert len({r.port for r in corpus_site.log}) < len(corpus_site.log)

    # Nothing changed: conditional requests, all unchanged, nothing re-indexed.
    corpus_site.log.clear()
    done = run("crawl", corpus_site.url("/"), "--delay", "0", "--report", str(report), index=ix)
    assert done.returncode == 0, done.stderr
    assert "indexed 0 documents (none) from 0 pages" in done.stderr and "10 unchanged" in done.stderr
    data = json.loads(report.read_text("utf-8"))
    assert data["outcomes"] == {"unchanged": 10} and data["documents"] == 0 and data["deleted"] == 0
    assert corpus_site.requests("/")[0].headers["If-Modified-Since"]
    assert documents(ix).keys() == web.keys()

    # One page edited, one deleted: one updated, one removed.
    edited = site_copy / "case-studies" / "mainstreaming-en.html"
    edited.write_text(edited.read_text("utf-8").replace("</h1>", "</h1><p>Zanzibar flamingos.</p>", 1), "utf-8")
    later = time.time() + 10
    os.utime(edited, (later, later))
    (site_copy / "case-studies" / "partnerships-fr.html").unlink()
    done = run("crawl", corpus_site.url("/"), "--delay", "0", "--report", str(report), index=ix)
    assert done.returncode == 0, done.stderr
    data = json.loads(report.read_text("utf-8"))
    assert data["outcomes"] == {"unchanged": 8, "changed": 1, "gone": 1}
    assert data["documents"] == 1 and data["deleted"] == 1
    after = documents(ix)
    assert len(after) == 12 and corpus_site.url("/case-studies/partnerships-fr.html") not in after
    assert "Zanzibar flamingos" in after[corpus_site.url("/case-studies/mainstreaming-en.html")]["text"]


# Rules of the web


def test_robots_txt_disallow_and_crawl_delay(site, tmp_path):
    site.routes.update({
        "/robots.txt": page("User-agent: *\nDisallow: /private/\nCrawl-delay: 0.3\n",
                            content_type="text/plain"),
        "/": page(html("Home", '<a href="/a.html">a</a> <a href="/private/x.html">x</a> <a href="/b.html">b</a>')),
        "/a.html": page(html("Page A", "<p>Alpha text.</p>")),
        "/b.html": page(html("Page B", "<p>Beta text.</p>")),
        "/private/x.html": page(html("Secret", "<p>Hidden.</p>")),
    })
    summary = crawl([site.url("/")], tmp_path / "ix")
    assert site.count("/private/x.html") == 0 and site.count("/robots.txt") == 1
    assert (site.url("/private/x.html"), "robots.txt: disallowed") in summary.skipped
    assert set(documents(tmp_path / "ix")) == {site.url("/"), site.url("/a.html"), site.url("/b.html")}
    times = [r.at for r in site.log]
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.28  # Crawl-delay 0.3 beats --delay 0


def test_an_unreachable_robots_txt_disallows_the_host(site, tmp_path):
    site.routes.update({"/robots.txt": lambda h: reply(h, 503, "down", content_type="text/plain"),
                        "/": page(html("Home", "<p>Never fetched.</p>"))})
    summary = crawl([site.url("/")], tmp_path / "ix")
    assert site.paths() == ["/robots.txt"] * 3  # two retries, then nothing from that host
    assert summary.errors == [(site.url("/"), "robots.txt unreachable (http 503)")]


def test_one_request_at_a_time_per_host_several_hosts_at_once(site, tmp_path):
    def by_name(title, body):  # each host its own content (the same content would be an alias)
        return lambda h: reply(h, 200, html(f"{title} on {h.headers['Host']}", body))
    site.routes.update({
        "/": by_name("Home", "".join(f'<a href="/p{n}.html">{n}</a> ' for n in range(3))),
        **{f"/p{n}.html": by_name(f"Page {n}", f"<p>Page number {n}.</p>") for n in range(3)},
    })
    other = f"http://localhost:{site.port}/"
    crawl([site.url("/"), other], tmp_path / "ix", delay=0.4)
    by_host = {}
    for r in site.log:
        by_host.setdefault(r.headers["Host"].split(":")[0], []).append(r.at)
    assert sorted(by_host) == ["127.0.0.1", "localhost"] and all(len(t) == 6 for t in by_host.values())
    for times in by_host.values():  # robots.txt, /, sitemap.xml, 3 pages: 0.4 s apart on one host
        assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.38
    # while one host waits out its delay, the other is fetched
    assert min(abs(a - b) for a in by_host["127.0.0.1"] for b in by_host["localhost"]) < 0.3
    assert len(documents(tmp_path / "ix")) == 8


def test_meta_robots_and_nofollow(site, tmp_path):
    site.routes.update({
        "/": page(html("Home", '<a href="/hidden.html">h</a> <a rel="nofollow" href="/nf.html">n</a>')),
        "/hidden.html": page(html("Hidden", '<p>Not indexed.</p><a href="/behind.html">b</a>',
                                  head='<meta name="robots" content="noindex">')),
        "/behind.html": page(html("Behind", "<p>Reached through a noindex page.</p>",
                                  head='<meta name="robots" content="nofollow">') + '<a href="/end.html">e</a>'),
        "/nf.html": page(html("Nofollow", "<p>x</p>")),
        "/end.html": page(html("End", "<p>x</p>")),
    })
    crawl([site.url("/")], tmp_path / "ix")
    assert set(documents(tmp_path / "ix")) == {site.url("/"), site.url("/behind.html")}
    assert site.count("/nf.html") == 0 and site.count("/end.html") == 0


def test_sitemaps_from_robots_and_sitemap_xml_are_extra_seeds(site, tmp_path):
    urlset = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              + "".join(f"<url><loc>{site.url(p)}</loc></url>" for p in ("/orphan-1.html", "/orphan-2.html"))
              + "</urlset>")
    index_xml = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                 f"<sitemap><loc>{site.url('/maps/pages.xml.gz')}</loc></sitemap></sitemapindex>")
    site.routes.update({
        "/robots.txt": page(f"User-agent: *\nAllow: /\nSitemap: {site.url('/maps/index.xml')}\n",
                            content_type="text/plain"),
        "/": page(html("Home", "<p>Nothing links to the orphans.</p>")),
        "/maps/index.xml": page(index_xml, content_type="application/xml"),
        "/maps/pages.xml.gz": page(gzip.compress(urlset.encode()), content_type="application/gzip"),
        "/sitemap.xml": page(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>'
                             f'{site.url("/orphan-3.html")}</loc></url>'
                             f'<url><loc>https://elsewhere.example/x.html</loc></url></urlset>',
                             content_type="text/xml"),
        **{f"/orphan-{n}.html": page(html(f"Orphan {n}", f"<p>Only in a sitemap, number {n}.</p>"))
           for n in (1, 2, 3)},
    })
    summary = crawl([site.url("/")], tmp_path / "ix")
    ids = set(documents(tmp_path / "ix"))
    assert ids == {site.url("/"), *(site.url(f"/orphan-{n}.html") for n in (1, 2, 3))}
    assert site.count("/maps/index.xml") == 1 and site.count("/maps/pages.xml.gz") == 1
    assert ("https://elsewhere.example/x.html", "outside allowed domains") in summary.skipped


def test_canonical_normalization_and_duplicates(site, tmp_path):
    body = "<p>The very same words on two addresses.</p>"
    site.routes.update({
        "/": page(html("Home", f'''
            <a href="/item?b=2&a=1&utm_source=news">1</a> <a href="/item?a=1&b=2#top">2</a>
            <a href="HTTP://127.0.0.1:{site.port}/item?a=1&amp;b=2&amp;fbclid=zz">3</a>
            <a href="/./x/../copy-1.html">c1</a> <a href="/copy-2.html">c2</a> <a href="/print.html">p</a>''')),
        "/item": page(html("Item", "<p>One item under several URLs.</p>")),
        "/copy-1.html": page(html("Copy", body)),
        "/copy-2.html": page(html("Copy", body)),
        "/print.html": page(html("Printable", "<p>Printable version.</p>",
                                 head=f'<link rel="canonical" href="{site.url("/article.html")}">'
                                      '<link rel="alternate" hreflang="es" href="/ES/art%c3%adculo.html">')),
    })
    summary = crawl([site.url("/")], tmp_path / "ix")
    assert site.count("/item?a=1&b=2") == 1 and len([p for p in site.paths() if p.startswith("/item")]) == 1
    docs = documents(tmp_path / "ix")
    assert set(docs) == {site.url("/"), site.url("/item?a=1&b=2"), site.url("/copy-1.html"),
                         site.url("/article.html")}
    assert outcome(summary, site.url("/copy-2.html")) == "alias"
    assert docs[site.url("/article.html")]["title"] == "Printable"
    state = CrawlState(tmp_path / "ix")
    try:
        assert state.get(site.url("/copy-2.html")).alias_of == site.url("/copy-1.html")
        assert state.get(site.url("/print.html")).canonical == site.url("/article.html")
    finally:
        state.close()


def test_canonical_to_another_site_is_ignored(site, tmp_path):
    site.routes["/"] = page(html("Home", "<p>Claims to be elsewhere.</p>",
                                 head='<link rel="canonical" href="https://victim.example/page">'))
    crawl([site.url("/")], tmp_path / "ix")
    assert set(documents(tmp_path / "ix")) == {site.url("/")}


def test_redirect_chains_are_followed_recorded_and_bounded(site, tmp_path):
    moved = lambda to, status=301: lambda h: reply(h, status, b"", headers={"Location": to})  # noqa: E731
    site.routes.update({
        "/": page(html("Home", '<a href="/old">o</a> <a href="/away">a</a> <a href="/r1">r</a>')),
        "/old": moved("/mid"),
        "/mid": moved(site.url("/new.html"), 302),
        "/new.html": page(html("New home of the page", "<p>Moved twice.</p>")),
        "/away": moved(f"http://localhost:{site.port}/stolen.html"),
        **{f"/r{n}": moved(f"/r{n + 1}", 307) for n in range(1, 12)},
    })
    summary = crawl([site.url("/")], tmp_path / "ix")
    assert set(documents(tmp_path / "ix")) == {site.url("/"), site.url("/new.html")}
    assert outcome(summary, site.url("/old")) == "redirect"
    assert summary.outcomes[site.url("/mid")] == ("redirect", f"http 302 to {site.url('/new.html')}")
    # the redirect to another host is refused and that host never asked
    assert not [r for r in site.log if r.headers["Host"].startswith("localhost")]
    assert any(u == site.url("/away") and r.startswith("redirect refused: outside allowed domains")
               for u, r in summary.skipped)
    assert site.count("/r6") == 1 and site.count("/r7") == 0  # 5 redirects at most
    state = CrawlState(tmp_path / "ix")
    try:
        assert state.get(site.url("/old")).redirect_to == site.url("/mid")
        assert state.get(site.url("/old")).status == 301
    finally:
        state.close()


def test_links_to_other_hosts_and_file_urls_are_not_followed(site, tmp_path):
    site.routes.update({
        "/": page(html("Home", f'<a href="http://localhost:{site.port}/other.html">o</a> '
                               '<a href="file:///etc/passwd">f</a> <a href="http://[::1]/x">v6</a>')),
        "/other.html": page(html("Other host", "<p>Reachable only through --allow-domain.</p>")),
    })
    summary = crawl([site.url("/")], tmp_path / "ix")
    assert set(documents(tmp_path / "ix")) == {site.url("/")}
    assert ("file:///etc/passwd", "unsupported scheme: file") in summary.skipped
    assert (f"http://localhost:{site.port}/other.html", "outside allowed domains") in summary.skipped
    crawl([site.url("/")], tmp_path / "ix2", allow_domains=["localhost"])
    assert f"http://localhost:{site.port}/other.html" in documents(tmp_path / "ix2")


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


# Safety


def test_link_traps_and_depth(site, tmp_path):
    def calendar(h):
        day = int(h.path.split("=")[1])
        reply(h, 200, html(f"Day {day}", f'<p>Day {day}.</p><a href="/cal?day={day + 1}">next</a>'))

    def loop(h):
        reply(h, 200, html("Loop", f'<p>Path {h.path}.</p><a href="loop/">deeper</a>'))
    site.routes.update({
        "/": page(html("Home", '<a href="/cal?day=1">cal</a> <a href="/loop/">loop</a> <a href="/d1">d</a>')),
        "/cal": calendar,
        **{"/loop/" + "loop/" * n: loop for n in range(6)},
        **{f"/d{n}": page(html(f"Depth {n}", f'<p>Depth {n}.</p><a href="/d{n + 1}">next</a>')) for n in range(1, 9)},
    })
    summary = crawl([site.url("/")], tmp_path / "ix", max_depth=4, max_query_variants=3)
    assert [p for p in site.paths() if p.startswith("/cal")] == ["/cal?day=1", "/cal?day=2", "/cal?day=3"]
    assert site.count("/loop/loop/") == 1 and site.count("/loop/loop/loop/") == 0
    assert site.count("/d4") == 1 and site.count("/d5") == 0
    reasons = {r for _, r in summary.skipped}
    assert "link trap: path segment 'loop' repeated 3 times" in reasons
    assert "link trap: more than 3 query variants of /cal" in reasons
    assert "deeper than max depth 4" in reasons


def test_recrawl_etag_404_410_vanished_and_failures(site, tmp_path):
    def tagged(h):
        if h.headers.get("If-None-Match") == '"v1"':
            reply(h, 304, b"", content_type=None, headers={"ETag": '"v1"'})
        else:
            reply(h, 200, html("Tagged", "<p>Has an ETag.</p>"), headers={"ETag": '"v1"'})
    links = ["/tagged.html", "/gone-404.html", "/gone-410.html", "/vanishing.html", "/later-broken.html"]
    site.routes.update({
        "/": page(html("Home", "".join(f'<a href="{p}">{p}</a> ' for p in links))),
        "/tagged.html": tagged,
        **{p: page(html(p.strip("/").split(".")[0].title(), "<p>Some text.</p>")) for p in links[1:]},
    })
    ix = tmp_path / "ix"
    crawl([site.url("/")], ix)
    assert set(documents(ix)) == {site.url("/"), *(site.url(p) for p in links)}

    site.log.clear()
    site.routes.update({
        "/": page(html("Home", "".join(f'<a href="{p}">{p}</a> ' for p in links if p != "/vanishing.html"))),
        "/gone-404.html": lambda h: reply(h, 404, "gone"),
        "/gone-410.html": lambda h: reply(h, 410, "gone for good"),
        "/later-broken.html": lambda h: reply(h, 503, "down"),
    })
    summary = crawl([site.url("/")], ix)
    assert site.requests("/tagged.html")[0].headers["If-None-Match"] == '"v1"'
    assert outcome(summary, site.url("/tagged.html")) == "unchanged"
    assert outcome(summary, site.url("/gone-404.html")) == "gone"
    assert outcome(summary, site.url("/later-broken.html")) == "error"
    assert site.count("/vanishing.html") == 0
    # unchanged and failed pages keep their documents; 404, 410 and vanished pages lose them
    assert set(documents(ix)) == {site.url("/"), site.url("/tagged.html"), site.url("/later-broken.html")}
    assert summary.deleted == 3
    state = CrawlState(ix)
    try:
        assert state.get(site.url("/vanishing.html")) is None and state.get(site.url("/gone-410.html")).status == 410
    finally:
        state.close()

    # --rebuild starts over: no conditional request
    site.log.clear()
    crawl([site.url("/")], ix, rebuild=True)
    assert "If-None-Match" not in site.requests("/tagged.html")[0].headers
    assert site.url("/tagged.html") in documents(ix)


def test_max_pages_keeps_what_it_did_not_reach(site, tmp_path):
    site.routes.update({
        "/": page(html("Home", "".join(f'<a href="/p{n}.html">{n}</a> ' for n in range(6)))),
        **{f"/p{n}.html": page(html(f"Page {n}", f"<p>Page number {n}.</p>")) for n in range(6)},
    })
    ix = tmp_path / "ix"
    crawl([site.url("/")], ix)
    assert len(documents(ix)) == 7
    summary = crawl([site.url("/")], ix, max_pages=3, rebuild=False)
    assert len([p for p in site.paths() if p.endswith(".html")]) == 6 + 2
    assert len(documents(ix)) == 7 and summary.deleted == 0


def test_a_second_crawl_on_the_same_index_is_refused(tmp_path):
    ix = tmp_path / "ix"
    with crawl_lock(ix):
        done = run("crawl", str(SITE), index=ix)
    assert done.returncode == 1
    assert "another crawl is writing the index" in done.stderr and "Traceback" not in done.stderr
    assert run("crawl", str(SITE), index=ix).returncode == 0


def test_ctrl_c_keeps_what_was_fetched_and_a_rerun_goes_on(site, tmp_path):
    site.routes.update({
        "/": page(html("Home", "".join(f'<a href="/p{n}.html">{n}</a> ' for n in range(30)))),
        **{f"/p{n}.html": page(html(f"Page {n}", f"<p>Page number {n}.</p>")) for n in range(30)},
    })
    ix = tmp_path / "ix"
    proc = subprocess.Popen([EXE, "crawl", site.url("/"), "--delay", "0.1", "--index", str(ix)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while len([p for p in site.paths() if p.startswith("/p")]) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    first = documents(ix)
    assert site.url("/") in first and 5 <= len(first) < 31
    site.log.clear()
    summary = crawl([site.url("/")], ix)
    assert len(documents(ix)) == 31
    assert summary.unchanged == len(first)  # what the first run indexed is not fetched again in full
    assert summary.pages == 31 - len(first)


def test_folders_and_websites_in_one_crawl(site, tmp_path):
    site.routes["/"] = page(html("Web home", "<p>From the web.</p>"))
    summary = crawl([str(SITE), site.url("/")], tmp_path / "ix")
    docs = documents(tmp_path / "ix")
    assert len(docs) == 14 and site.url("/") in docs and summary.documents == 14
    # a recrawl of the website alone leaves the folder's documents alone
    crawl([site.url("/")], tmp_path / "ix")
    assert len(documents(tmp_path / "ix")) == 14


@pytest.mark.parametrize("source", ["http:///nohost", "https://example.org:99999/"])
def test_a_bad_web_source_is_a_usage_error(tmp_path, source):
    done = run("crawl", source, index=tmp_path / "ix")
    assert done.returncode == 2 and source in done.stderr and "Traceback" not in done.stderr


def test_readme_documents_every_crawl_setting_and_option():
    from click import Option

    from indexer.cli import crawl as crawl_command

    readme = (SITE.parent.parent / "README.md").read_text("utf-8")
    for name, _, _ in CrawlSettings.documented():
        assert f"| `{name}` |" in readme, name
    for param in crawl_command.params:
        if isinstance(param, Option):
            assert param.opts[0] in readme, param.opts[0]
