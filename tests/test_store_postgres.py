"""The PostgreSQL store end to end: the CLI with --store and $M4D_STORE, migrations,
updates in one transaction, `serve` over HTTP, and a streaming standby answering searches
crawled into the primary."""
from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request

import pytest

from indexer.errors import IndexMissing, StoreUnavailable
from indexer.pgstore.migrations import latest, migrate
from indexer.pipeline import run_crawl
from indexer.stores import open_store

from . import pgcluster
from .conftest import EXE, SITE, write_pages

_opened = []


@pytest.fixture(autouse=True)
def _close_stores():
    yield
    while _opened:
        _opened.pop().close()


def request_close(store):
    """Close store when the test ends, whatever it asserted."""
    _opened.append(store)


def cli(*args, env=None):
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **(env or {})))


def test_the_cli_crawls_searches_and_counts_through_a_store_url(pg_url, tmp_path):
    done = cli("init-store", "--store", pg_url)
    assert done.returncode == 0 and "0001_store.sql" in done.stderr
    assert "up to date" in cli("init-store", "--store", pg_url).stderr
    crawl = cli("crawl", str(SITE), "--store", pg_url, env={"M4D_STATE_DIR": str(tmp_path)})
    assert crawl.returncode == 0, crawl.stderr
    assert "indexed 13 documents" in crawl.stderr
    found = cli("search", "migration", "--json", env={"M4D_STORE": pg_url})
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["total"] == 8
    stats = json.loads(cli("stats", "--json", "--store", pg_url).stdout)
    assert stats["documents"] == 13 and stats["last_crawl"]
    bad = cli("search", "x", "--store", "postgresql://nobody@127.0.0.1:1/none")
    assert bad.returncode == 1 and "cannot connect to the store" in bad.stderr and "Traceback" not in bad.stderr


def test_an_empty_database_is_missing_until_migrated(pg_url):
    with pytest.raises(IndexMissing, match="init-store"):
        open_store(pg_url)
    assert migrate(pg_url) == ["0001_store.sql", "0002_frontier.sql"] and latest() == 2
    assert migrate(pg_url) == []  # each migration once
    with open_store(pg_url) as store:
        assert store.search("")["total"] == 0


def test_an_unreachable_server_is_a_clear_error():
    with pytest.raises(StoreUnavailable, match="cannot connect"):
        open_store("postgresql://m4d:secret@127.0.0.1:1/none")
    try:
        open_store("postgresql://m4d:secret@127.0.0.1:1/none")
    except StoreUnavailable as exc:
        assert "secret" not in str(exc)


def test_a_recrawl_replaces_and_removes_in_one_commit(pg_url, tmp_path):
    folder = write_pages(tmp_path / "site", {
        "a.html": "<html lang=en><title>Remittances</title><p>Remittances and local development in Ecuador.</p>",
        "b.html": "<html lang=en><title>Diaspora</title><p>Diaspora investment in local development.</p>",
    })
    run_crawl([str(folder)], pg_url)
    store = open_store(pg_url, cache_size=0)
    request_close(store)
    assert store.search("development")["total"] == 2
    (folder / "b.html").unlink()
    (folder / "a.html").write_text("<html lang=en><title>Remittances</title><p>Remittances sent home.</p>")
    summary = run_crawl([str(folder)], pg_url)
    assert (summary.documents, summary.deleted) == (1, 1)
    time.sleep(0.6)  # a reader looks at the store's generation twice a second
    assert store.search("development")["total"] == 0
    assert store.search("remittances")["total"] == 1
    assert store.stats()["documents"] == 1
    assert "diaspora" not in store.suggest("dias")  # its words left the vocabulary with it


def test_serve_answers_from_a_store_url(live_server, site_store_url):
    base = live_server(site_store_url, "--threads", "2")
    with urllib.request.urlopen(base + "/api/search?q=migraci%C3%B3n&lang=es") as r:
        body = json.load(r)
    assert body["total"] > 0 and {h["lang"] for h in body["results"]} == {"es"}
    with urllib.request.urlopen(base + "/?q=migration") as r:
        assert "<mark>migration</mark>" in r.read().decode()


def test_a_standby_answers_what_the_primary_committed(pg_cluster, monkeypatch, tmp_path):
    """pg_basebackup -R: a streaming standby of the session's server; a crawl committed on the
    primary is found through the standby, and through a two-host URL that prefers it."""
    url = pg_cluster.create_database("replicated")
    monkeypatch.setenv("M4D_STATE_DIR", str(tmp_path / "state"))
    migrate(url)
    standby = pgcluster.Cluster().standby_of(pg_cluster).start()
    try:
        standby_url = standby.url("replicated")
        with open_store(standby_url) as first:
            assert first.search("")["total"] == 0
            run_crawl([str(SITE)], url)
        deadline = time.monotonic() + 30
        reader = open_store(standby_url, cache_size=0)
        request_close(reader)
        while reader.doc_count() < 13 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert reader.search("migration")["total"] == 8
        both = (f"postgresql://postgres@127.0.0.1:{pg_cluster.port},127.0.0.1:{standby.port}/replicated"
                "?target_session_attrs=standby&load_balance_hosts=random")
        store = open_store(both)
        request_close(store)
        assert store.search("migration")["total"] == 8
        assert store._run(lambda conn: conn.execute("SELECT pg_is_in_recovery()").fetchone()[0])
    finally:
        standby.stop()
