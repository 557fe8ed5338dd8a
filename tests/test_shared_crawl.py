"""A crawl shared by several crawler processes through the PostgreSQL store (`crawl --shared`):
real worker processes, real HTTP servers on 127.0.0.1 that log every request and how many ran
at once, a real PostgreSQL server. Each URL is fetched once, never two requests at once to one
origin, the union of the workers' documents is a single crawl's, and a killed worker's URLs go
back to the queue."""
from __future__ import annotations

import itertools
import os
import signal
import subprocess
import threading
import time

import psycopg
import pytest

from indexer.pipeline import run_crawl
from indexer.settings import CrawlSettings

from .conftest import EXE
from .httpsite import Site, html, reply

TOPICS = [("en", "Remittances and local development", "Migrant remittances fund schools and clinics"),
          ("es", "Remesas y desarrollo local", "Las remesas de los migrantes financian escuelas y centros de salud"),
          ("fr", "Transferts de fonds et développement local",
           "Les transferts des migrants financent des écoles et des dispensaires")]


class CountingSite:
    """A website of many linked pages that counts, per path, the requests it answered and
    the most requests it ever had in progress at once."""

    def __init__(self, name: str, pages: int, wait: float = 0.02, slow: str | None = None):
        self.lock = threading.Lock()
        self.running = self.most = 0
        self.wait = wait
        self.slow, self.release = slow, threading.Event()
        routes = {"/robots.txt": self._route(lambda h: reply(h, 200, "User-agent: *\nAllow: /\n", "text/plain"))}
        for i in range(pages):
            lang, title, text = TOPICS[i % len(TOPICS)]
            links = "".join(f'<a href="/p{j}.html">{j}</a> ' for j in (2 * i + 1, 2 * i + 2, i // 2) if j < pages)
            body = html(f"{title} ({name} {i})", f"<p>{text}: {name}, case study {i}.</p><nav>{links}</nav>",
                        lang=lang)
            routes[f"/p{i}.html"] = self._route(lambda h, b=body: reply(h, 200, b))
        self.site = Site(routes=routes)
        self.paths = sorted(p for p in routes if p.startswith("/p"))

    def _route(self, answer):
        def route(handler):
            with self.lock:
                self.running += 1
                self.most = max(self.most, self.running)
            try:
                if self.slow is not None and handler.path == self.slow and not self.release.is_set():
                    self.release.wait(30)  # the test kills the worker waiting for this answer
                time.sleep(self.wait)
                answer(handler)
            finally:
                with self.lock:
                    self.running -= 1
        return route

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for path in self.site.paths():
            found[path] = found.get(path, 0) + 1
        return found

    def close(self):
        self.release.set()
        self.site.close()


@pytest.fixture
def sites():
    made = [CountingSite("north", 40), CountingSite("south", 40)]
    yield made
    for s in made:
        s.close()


def worker(seeds, store, *extra):
    """Start one crawler process of the shared crawl."""
    return subprocess.Popen([EXE, "crawl", *seeds, "--store", store, "--shared", "--delay", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc) -> str:
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return err


def stored(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute("SELECT id, title FROM documents").fetchall())


def single_crawl(pg_cluster, name: str, seeds) -> dict[str, str]:
    url = pg_cluster.create_database(name)
    run_crawl(seeds, url, settings=CrawlSettings(delay=0.0))
    return stored(url)


def wait_for(condition, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_two_workers_fetch_each_url_once_one_request_per_origin_at_a_time(pg_cluster, pg_url, sites):
    seeds = [s.site.url("/p0.html") for s in sites]
    first = worker(seeds, pg_url)
    wait_for(lambda: sum(len(s.site.log) for s in sites) >= 4)  # the first has started the crawl
    second = worker(seeds, pg_url)
    logs = [finish(first), finish(second)]

    for s in sites:
        counts = s.counts()
        assert {p: n for p, n in counts.items() if n != 1} == {}, "a URL was fetched twice"
        assert set(s.paths) <= set(counts) and "/robots.txt" in counts
        assert s.most == 1, "two requests at once to one origin"
    # Both took part, and their union is exactly what one crawl of the same sites indexes.
    assert all("indexed 0 documents" not in log for log in logs), logs
    shared = stored(pg_url)
    assert len(shared) == 80
    for s in sites:
        s.site.log.clear()
    assert shared == single_crawl(pg_cluster, "single_of_two", seeds)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT finished IS NOT NULL FROM crawl_runs").fetchall() == [(True,)]
        assert conn.execute("SELECT DISTINCT state FROM crawl_frontier").fetchall() == [("done",)]


def test_a_killed_workers_urls_return_to_the_queue(pg_cluster, pg_url):
    site = CountingSite("east", 30, wait=0.0, slow="/p12.html")
    try:
        seeds = [site.site.url("/p0.html")]
        doomed = worker(seeds, pg_url)
        wait_for(lambda: site.running == 1 and site.site.count("/p12.html") == 1)  # it waits for this answer
        doomed.send_signal(signal.SIGKILL)
        doomed.communicate(timeout=10)
        # The server drops a dead client's session (and its transaction) when the socket closes.
        with psycopg.connect(pg_url, autocommit=True) as conn:
            wait_for(lambda: conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                          "AND application_name = 'm4d-search'").fetchone()[0] == 0)
            assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0  # nothing committed
            fetched = conn.execute("SELECT count(*) FROM crawl_frontier WHERE state = 'fetched'").fetchone()[0]
        assert fetched >= 10  # fetched, waiting for a commit that never came
        site.release.set()
        err = finish(worker(seeds, pg_url))
        assert "indexed 30 documents" in err, err
        counts = site.counts()
        assert counts["/p12.html"] == 2 and max(counts.values()) == 2 and site.most == 1
        shared = stored(pg_url)
        site.site.log.clear()
        assert shared == single_crawl(pg_cluster, "single_of_killed", seeds)
    finally:
        site.close()


def test_a_shared_crawl_needs_a_store_and_websites(tmp_path, pg_url):
    folder = worker([str(tmp_path)], pg_url)
    _, err = folder.communicate(timeout=60)
    assert folder.returncode == 2 and "shared crawl reads websites only" in err and "Traceback" not in err
    no_db = subprocess.run([EXE, "crawl", "http://127.0.0.1:1/", "--shared", "--store", str(tmp_path / "ix")],
                           capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert no_db.returncode == 2 and "needs a PostgreSQL store" in no_db.stderr and "Traceback" not in no_db.stderr


def test_the_delay_between_two_requests_to_an_origin_holds_across_workers(pg_url):
    site = CountingSite("west", 8, wait=0.0)
    try:
        seeds = [site.site.url("/p0.html")]
        first = worker(seeds, pg_url, "--delay", "0.2")
        wait_for(lambda: len(site.site.log) >= 1)
        second = worker(seeds, pg_url, "--delay", "0.2")
        finish(first), finish(second)
        times = sorted(r.at for r in site.site.log)
        assert len(times) == 10  # robots.txt, sitemap.xml and 8 pages
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= 0.19, gaps
    finally:
        site.close()
