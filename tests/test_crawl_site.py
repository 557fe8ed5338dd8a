"""The web crawler against a real HTTP server on 127.0.0.1: the bundled site crawled and
recrawled over HTTP, and the rules of the web (robots.txt, politeness, meta robots, sitemaps,
canonical URLs, redirects, scope). Each test checks the server's own request log and what
the index holds afterwards.
"""
from __future__ import annotations

import gzip
import json
import os
import time

import pytest

from indexer.crawl.state import CrawlState

from .crawlkit import crawl, documents, outcome
from .httpsite import html, page, reply
from .test_cli import run

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


@pytest.mark.timing
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


@pytest.mark.timing
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
