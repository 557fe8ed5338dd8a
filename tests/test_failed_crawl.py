"""Nothing is lost on a failed crawl: a crawl that reaches none of its sources, or a
``--rebuild`` that finds nothing for an index holding documents, commits nothing (index, crawl
state, meta file) and says so in one line; an empty index, when one is written, is a valid
index that every command and route answers normally."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from indexer.crawl.state import STATE_DIR, STATE_FILE
from indexer.search.engine import SearchIndex
from indexer.settings import META_FILE

from .conftest import EXE
from .crawlkit import crawl


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=timeout)


def snapshot(index_dir: Path) -> dict:
    """What a crawl that commits nothing must leave as it was: the files of the index (names
    and bytes, the crawl state apart), the meta file, the crawl state's rows, a search."""
    files = {p.name: p.read_bytes() for p in index_dir.iterdir() if p.is_file() and p.name != "MAIN_WRITELOCK"}
    state = index_dir / STATE_DIR / STATE_FILE
    rows = []
    if state.exists():
        with sqlite3.connect(state) as conn:
            rows = conn.execute("SELECT * FROM pages ORDER BY url").fetchall()
    handle = SearchIndex(index_dir, cache_size=0)
    body = handle.search("migration")
    return {"files": files, "state": rows, "documents": handle.doc_count(),
            "hits": [(r["id"], r["title"]) for r in body["results"]], "total": body["total"]}


@pytest.fixture()
def web_index(corpus_site, tmp_path):
    """An index of the bundled site crawled over HTTP, and the site (still running)."""
    ix = tmp_path / "ix"
    summary = crawl([corpus_site.url("/")], ix)
    assert summary.documents > 0 and not summary.errors
    return ix, corpus_site


def test_a_rebuild_from_a_site_that_is_down_keeps_the_index(web_index):
    ix, site = web_index
    before = snapshot(ix)
    stats_before = run("stats", "--json", "--index", str(ix))
    assert before["total"] > 0 and before["state"] and stats_before.returncode == 0
    seed = site.url("/")
    site.close()  # the port is closed now: every request is refused
    started = time.monotonic()
    done = run("crawl", "--rebuild", "--delay", "0", seed, "--index", str(ix))
    assert time.monotonic() - started < 30
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("m4d-search: error: the crawl reached none of its sources (1 error: ")
    assert "Connection refused" in lines[0]
    assert lines[0].endswith(f"nothing was committed, the index in {ix} keeps its {before['documents']} documents")
    assert snapshot(ix) == before  # same files, same crawl state, same answers
    assert run("stats", "--json", "--index", str(ix)).stdout == stats_before.stdout
    found = run("search", "migration", "--index", str(ix))
    assert found.returncode == 0 and found.stdout.startswith(f"{before['total']} results")


def test_an_update_from_a_site_that_is_down_commits_nothing(web_index):
    ix, site = web_index
    before = snapshot(ix)
    seed = site.url("/")
    site.close()
    summary = crawl([seed], ix)
    assert summary.kept is not None and summary.kept.startswith("the crawl reached none of its sources")
    assert snapshot(ix) == before


def test_a_rebuild_that_finds_nothing_keeps_the_index_unless_allowed(web_index, tmp_path):
    ix, site = web_index
    before = snapshot(ix)
    site.root = tmp_path / "emptied"  # the site is up, but every page is gone (404)
    site.root.mkdir()
    summary = crawl([site.url("/")], ix, rebuild=True)
    assert summary.kept == (f"--rebuild found no document to index: nothing was committed, the index in {ix} "
                            f"keeps its {before['documents']} documents (--allow-empty commits an empty index)")
    assert snapshot(ix) == before
    done = run("crawl", "--rebuild", str(site.root), "--index", str(ix))  # the CLI: one line, exit 1
    assert done.returncode == 1 and done.stderr.splitlines() == [f"m4d-search: error: {summary.kept}"]
    assert snapshot(ix) == before

    done = run("crawl", "--rebuild", "--allow-empty", str(site.root), "--index", str(ix))
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("indexed 0 documents")
    assert SearchIndex(ix).search("migration")["total"] == 0
    assert json.loads(run("stats", "--json", "--index", str(ix)).stdout)["documents"] == 0


def test_a_first_crawl_that_reaches_nothing_writes_no_index(site, tmp_path):
    seed = site.url("/")
    site.close()
    ix = tmp_path / "ix"
    summary = crawl([seed], ix)
    assert summary.kept.endswith(f"nothing was committed, no index was written in {ix}")
    done = run("search", "x", "--index", str(ix))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"m4d-search: error: no index in {ix}; run `m4d-search crawl SOURCE` first"]


def test_a_first_crawl_of_an_empty_folder_is_a_valid_empty_index(tmp_path, make_client):
    folder, ix = tmp_path / "empty", tmp_path / "ix"
    folder.mkdir()
    done = run("crawl", str(folder), "--index", str(ix))
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("indexed 0 documents (none) from 0 pages")
    found = run("search", "migration", "--lang", "en", "--index", str(ix))
    assert found.returncode == 0 and found.stdout.startswith("0 results"), found.stderr
    stats = run("stats", "--json", "--index", str(ix))
    assert stats.returncode == 0 and json.loads(stats.stdout)["documents"] == 0

    client = make_client(ix, TESTING=False)
    assert client.get("/healthz").get_json() == {"status": "ok", "documents": 0}
    body = client.get("/api/search?q=migration&lang=es&theme=social-inclusion").get_json()
    assert body["total"] == 0 and body["results"] == [] and body["pages"] == 1
    assert body["facets"]["lang"] == [{"value": "es", "label": "Spanish", "count": 0}]
    assert client.get("/api/search?lang=xx").status_code == 400  # bad input is still a 400
    assert client.get("/api/suggest?q=mig").get_json() == ["mig", []]
    for path in ("/", "/search?q=migration", "/?lang=fr"):
        assert client.get(path).status_code == 200, path


def test_an_empty_index_that_a_crawl_fills_is_searched_at_once(tmp_path, make_client):
    """The open handle moves from the empty version (Whoosh gives it no generation) to the new one."""
    folder, ix = tmp_path / "pages", tmp_path / "ix"
    folder.mkdir()
    assert crawl([str(folder)], ix).documents == 0
    client = make_client(ix, TESTING=False)
    handle = SearchIndex(ix)
    assert handle.search("remittances")["total"] == 0 and client.get("/healthz").get_json()["documents"] == 0
    (folder / "a.html").write_text("<html lang=en><title>Remittances</title><p>Remittances and families.</p>",
                                   "utf-8")
    assert crawl([str(folder)], ix).documents == 1
    time.sleep(0.6)  # the handle looks for a new version at most every 0.5 s
    assert handle.search("remittances")["total"] == 1
    assert client.get("/api/search?q=remittances").get_json()["total"] == 1
    assert client.get("/healthz").get_json()["documents"] == 1
    assert META_FILE in {p.name for p in ix.iterdir()}
