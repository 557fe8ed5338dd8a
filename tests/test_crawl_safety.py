"""The web crawler against a real HTTP server on 127.0.0.1: link traps, incremental
recrawls (ETag, 404/410, vanished pages, failures), limits, one crawl at a time, Ctrl-C, mixed
sources, usage errors and the documented options.
"""
from __future__ import annotations

import signal
import subprocess
import time

import pytest

from indexer.crawl.state import CrawlState, crawl_lock
from indexer.settings import CrawlSettings

from .conftest import SITE
from .crawlkit import crawl, documents, outcome
from .httpsite import html, page, reply
from .test_cli import EXE, run

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


@pytest.mark.timing
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


@pytest.mark.timing
def test_revalidations_are_paced_by_a_quarter_of_the_delay(corpus_site, site_copy, tmp_path):
    """A 304 transfers no page, so the next request to the host follows after
    revalidated_delay × delay; a site's own Crawl-delay still applies in full."""
    def gaps_after_revalidations():
        log = corpus_site.log
        return [b.at - a.at for a, b in zip(log, log[1:], strict=False) if a.headers.get("If-Modified-Since")]

    started = time.monotonic()
    crawl([corpus_site.url("/")], tmp_path / "ix", delay=0.4)
    first = time.monotonic() - started
    corpus_site.log.clear()
    started = time.monotonic()
    summary = crawl([corpus_site.url("/")], tmp_path / "ix", delay=0.4)
    second = time.monotonic() - started
    assert {o for o, _ in summary.outcomes.values()} == {"unchanged"} and summary.documents == 0
    gaps = gaps_after_revalidations()
    assert len(gaps) >= 8 and min(gaps) >= 0.09 and max(gaps) < 0.3  # 0.4 × 0.25, not 0.4
    assert second < first * 0.6
    (site_copy / "robots.txt").write_text("User-agent: *\nCrawl-delay: 0.3\n", "utf-8")
    corpus_site.log.clear()
    crawl([corpus_site.url("/")], tmp_path / "ix", delay=0.4)
    gaps = gaps_after_revalidations()
    assert len(gaps) >= 8 and min(gaps) >= 0.28  # the site asked for 0.3 s: it gets it
