"""Shared fixtures: real Whoosh indexes on disk, built from the bundled corpus."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from indexer.pipeline import run_crawl
from indexer.search.engine import SearchIndex

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "corpus" / "site"
SEED = next((ROOT / "corpus" / "seed").glob("*.txt"))
DATA = Path(__file__).resolve().parent / "data"

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
