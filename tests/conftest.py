"""Shared fixtures: real Whoosh indexes on disk, built from the bundled corpus, and the ways
tests reach them (Flask test clients, live servers, a browser).

- ``site_index_dir`` / ``site_index``: corpus/site/ indexed once per session (read-only);
  ``seed_index_dir`` / ``seed_index``: the seed's plain-text page, likewise.
- ``make_index(pages | sources | documents, ...)``: a new index of a test's own per call.
- ``client``: a Flask test client over the corpus index (a new app per test);
  ``make_client(index_dir, **config)`` for any other index or configuration.
- ``live_server(index_dir, *options)``: ``m4d-search serve`` on a free port, its base URL;
  ``corpus_server``: the corpus index served so, once per session.
- ``site`` / ``corpus_site``: HTTP servers of pages for the crawler (``httpsite``).
- ``browser``: one headless Chromium per session (tests marked ``browser``).
- ``pg_cluster``: a throwaway PostgreSQL server for the session (``pgcluster``; skipped with
  its reason where PostgreSQL is not installed, failed instead under .ci/run);
  ``pg_url``: a new empty database of it per test; ``site_store_url``: corpus/site/ crawled
  into a PostgreSQL store once per session (read-only).
"""
from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from indexer.model import Document
from indexer.pipeline import run_crawl
from indexer.search.engine import SearchIndex
from indexer.write import write_documents

from . import pgcluster
from .browserkit import pages

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "corpus" / "site"
SEED = next((ROOT / "corpus" / "seed").glob("*.txt"))
DATA = Path(__file__).resolve().parent / "data"
#: The installed console script, next to this interpreter.
EXE = str(Path(sys.executable).with_name("m4d-search"))

# Property tests: 500 examples each, the same examples on every run (derandomized, no example
# database), and a per-example deadline that only catches a hang (a query takes milliseconds).
settings.register_profile("m4d", max_examples=500, derandomize=True, database=None, deadline=5000,
                          print_blob=False, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("m4d")


@pytest.fixture(scope="session")
def site_index_dir(tmp_path_factory) -> Path:
    """An index of corpus/site/, built once for the session (tests must not write to it)."""
    path = tmp_path_factory.mktemp("site-index")
    run_crawl([str(SITE)], path)
    return path


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory) -> Path:
    """An index of the seed's plain-text page."""
    path = tmp_path_factory.mktemp("seed-index")
    run_crawl([str(SEED)], path)
    return path


@pytest.fixture(scope="session")
def site_index(site_index_dir) -> SearchIndex:
    return SearchIndex(site_index_dir)


@pytest.fixture(scope="session")
def seed_index(seed_index_dir) -> SearchIndex:
    return SearchIndex(seed_index_dir)


def write_pages(folder: Path, pages: dict[str, str | bytes]) -> Path:
    """Write pages ({path relative to folder: text (UTF-8) or bytes}) under folder; return it."""
    for name, body in pages.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, "utf-8")
    return folder


@pytest.fixture(scope="session")
def make_index(tmp_path_factory):
    """Factory of indexes of a test's own, each call a new folder (so a test may change it):

    - ``make_index({"a.html": "<html>…", "b/c.txt": b"…"})`` writes the pages to a new folder
      and crawls it;
    - ``make_index(path)`` or ``make_index([path, …])`` crawls existing sources (folders,
      files, URLs: ``run_crawl``'s seeds);
    - ``make_index([Document, …], sources=[…])`` writes documents with the fast writer.

    Other keyword arguments go to ``run_crawl`` or ``write_documents``. Returns the index folder."""

    def make(what, **options) -> Path:
        path = tmp_path_factory.mktemp("index")
        if isinstance(what, dict):
            what = write_pages(tmp_path_factory.mktemp("pages"), what)
        seeds = list(what) if isinstance(what, (list, tuple)) else [what]
        if seeds and all(isinstance(d, Document) for d in seeds):
            write_documents(path, seeds, options.pop("sources", []), rebuild=True, **options)
        else:
            run_crawl([str(s) for s in seeds], path, **options)
        return path

    return make


@pytest.fixture(scope="session")
def make_client():
    """Factory: ``make_client(index_dir, **config)`` is a Flask test client of a new app over
    that index (``TESTING`` on unless config says otherwise); its app is ``.application``."""
    from webapp import create_app

    def make(index_dir, **config):
        return create_app({"INDEX_DIR": str(index_dir), "TESTING": True, **config}).test_client()

    return make


@pytest.fixture()
def client(make_client, site_index_dir):
    """A test client of a new app over the corpus index (modules over another index override it)."""
    return make_client(site_index_dir)


@contextmanager
def serving(index_dir, options, log_path: Path):
    """Run ``m4d-search serve --port 0`` over index_dir; yield its base URL once /healthz answers."""
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen([EXE, "serve", "--port", "0", *options, "--index", str(index_dir)],
                                stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + 30
            while not (found := re.search(r"http://127\.0\.0\.1:(\d+)/", log_path.read_text("utf-8"))):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("m4d-search serve did not start: " + log_path.read_text("utf-8"))
                time.sleep(0.05)
            base = f"http://127.0.0.1:{found.group(1)}"
            while True:  # the socket listens before the workers run: wait for an answer
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=2):
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Factory: ``live_server(index_dir, *options)`` starts ``m4d-search serve`` (the installed
    console script, gunicorn) on a free port of 127.0.0.1 with those options, and returns its
    base URL; the servers stop at the end of the session."""
    with ExitStack() as servers:
        def start(index_dir, *options: str) -> str:
            log_path = tmp_path_factory.mktemp("serve") / "serve.log"
            return servers.enter_context(serving(index_dir, options, log_path))

        yield start


@pytest.fixture(scope="session")
def corpus_server(live_server, site_index_dir) -> str:
    """The corpus index served over HTTP for the session (4 threads); its base URL."""
    return live_server(site_index_dir, "--threads", "4")


@pytest.fixture()
def site_copy(tmp_path) -> Path:
    """A writable copy of corpus/site/ for tests that change pages."""
    dest = tmp_path / "site"
    shutil.copytree(SITE, dest)
    return dest


@pytest.fixture()
def site():
    """A real HTTP server on 127.0.0.1 for crawler tests (``httpsite``): fixture pages and handlers."""
    from .httpsite import Site

    s = Site()
    yield s
    s.close()


@pytest.fixture()
def corpus_site(site_copy):
    """The bundled site (a writable copy) served over HTTP, as ``python -m http.server`` does."""
    from .httpsite import Site

    s = Site(root=site_copy)
    yield s
    s.close()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the session (Playwright's sync API allows one loop at a time)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def make_page(browser, corpus_server):
    """Factory of pages of the bundled corpus's search page in real Chromium (``browserkit.Page``:
    ``make_page(js=False, width=390, height=844)``); each is closed after the test, which fails
    if one saw a script error, a CSP violation or a dialog."""
    with pages(browser, corpus_server) as make:
        yield make


@pytest.fixture(scope="session")
def pg_cluster():
    """A PostgreSQL server of the tests' own (``pgcluster.Cluster``), stopped and removed at the end."""
    reason = pgcluster.missing_reason()
    if reason:
        if pgcluster.REQUIRED:
            pytest.fail(f"M4D_REQUIRE_POSTGRES=1 and {reason}")
        pytest.skip(reason)
    cluster = pgcluster.Cluster().init().start()
    yield cluster
    cluster.stop()


_databases = itertools.count(1)


@pytest.fixture()
def pg_url(pg_cluster, request) -> str:
    """A new empty database of the session's server: its URL."""
    name = re.sub(r"\W+", "_", request.node.name.lower())[:40]
    request.getfixturevalue("monkeypatch").setenv("M4D_STATE_DIR", str(pg_cluster.root / "crawl-state"))
    return pg_cluster.create_database(f"t{next(_databases)}_{name}")


def crawled_store(cluster, name: str, folder: Path) -> str:
    """Crawl folder into a new database of cluster; return its URL."""
    url = cluster.create_database(name)
    with pytest.MonkeyPatch.context() as mp:  # this machine's crawl state: in the session's temporary folder
        mp.setenv("M4D_STATE_DIR", str(cluster.root / "crawl-state"))
        run_crawl([str(folder)], url)
    return url


@pytest.fixture(scope="session")
def site_store_url(pg_cluster) -> str:
    """corpus/site/ crawled into a PostgreSQL store once for the session (tests must not write to it)."""
    return crawled_store(pg_cluster, "site_store", SITE)
