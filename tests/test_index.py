"""Crawl → index on disk: counts, stable ids, re-crawl in place, stale pages removed."""
from __future__ import annotations

import pytest
from whoosh import index

from indexer.errors import SourceError
from indexer.pipeline import run_crawl
from indexer.search.engine import SearchIndex

from .conftest import SEED, SITE


def ids(index_dir):
    ix = index.open_dir(index_dir)
    with ix.searcher() as s:
        return sorted(f["id"] for f in s.all_stored_fields())


def test_site_indexes_thirteen_documents(site_index):
    stats = site_index.stats()
    assert stats["documents"] == 13
    assert stats["by"]["lang"] == {"en": 7, "es": 3, "fr": 3}
    assert stats["by"]["type"] == {"case-study": 8, "project": 2, "country-profile": 1, "event": 1, "news": 1}
    assert stats["by"]["country"] == {"ec": 13}
    assert stats["index_bytes"] > 0 and stats["last_crawl"]


def test_recrawl_updates_in_place(tmp_path):
    first = run_crawl([str(SITE)], tmp_path)
    before = ids(tmp_path)
    second = run_crawl([str(SITE)], tmp_path)
    assert first.documents == second.documents == 13
    assert ids(tmp_path) == before and len(before) == 13
    # A file:// URL of the same folder is the same source with the same ids.
    run_crawl([SITE.as_uri()], tmp_path)
    assert ids(tmp_path) == before


def test_changed_page_is_updated_and_removed_page_deleted(tmp_path, site_copy):
    run_crawl([str(site_copy)], tmp_path / "ix")
    page = site_copy / "case-studies" / "partnerships-fr.html"
    page.write_text(page.read_text("utf-8").replace("Cette étude de cas montre", "Cette étude de cas révèle"), "utf-8")
    (site_copy / "case-studies" / "partnerships-es.html").unlink()
    summary = run_crawl([str(site_copy)], tmp_path / "ix")
    assert summary.deleted == 1
    ix = SearchIndex(tmp_path / "ix")
    assert ix.stats()["documents"] == 12
    assert ix.search("révèle")["total"] == 1
    assert ix.search("montre")["total"] == 0


def test_two_sources_share_one_index(tmp_path):
    run_crawl([str(SITE)], tmp_path)
    run_crawl([str(SEED)], tmp_path)
    assert len(ids(tmp_path)) == 26
    run_crawl([str(SITE)], tmp_path)  # re-crawling one source leaves the other alone
    assert len(ids(tmp_path)) == 26


def test_rebuild_starts_over(tmp_path):
    run_crawl([str(SITE)], tmp_path)
    run_crawl([str(SEED)], tmp_path, rebuild=True)
    assert len(ids(tmp_path)) == 13 and all(".txt" in i for i in ids(tmp_path))


def test_unreadable_files_are_skipped_with_a_reason(tmp_path, site_copy):
    (site_copy / "empty.html").write_bytes(b"")
    (site_copy / "binary.html").write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    (site_copy / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    summary = run_crawl([str(site_copy)], tmp_path)
    reasons = dict(summary.skipped)
    assert summary.documents == 13 and not summary.errors
    assert reasons[(site_copy / "empty.html").as_uri()] == "empty file"
    assert "binary" in reasons[(site_copy / "binary.html").as_uri()]
    assert "not an HTML or text page" in reasons[(site_copy / "photo.jpg").as_uri()]


def test_latin1_page_keeps_its_accents(make_index):
    html = ("<html lang='es'><head><meta charset='iso-8859-1'><title>Migración</title></head>"
            "<body><p>La migración y la movilidad humana en Sucumbíos.</p></body></html>")
    hit = SearchIndex(make_index({"latin1.html": html.encode("latin-1")})).search("movilidad")["results"][0]
    assert hit["title"] == "Migración"
    assert "Sucumbíos" in hit["snippet"]


def test_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="no such file or folder"):
        run_crawl([str(tmp_path / "nowhere")], tmp_path / "ix")
    assert not index.exists_in(tmp_path / "ix")


def test_folder_extracted_in_worker_processes_indexes_the_same(tmp_path, monkeypatch):
    """A folder crawl extracted by a pool of processes, in rounds, records the same pages,
    skips, errors and limits and writes the same documents as the one-process crawl: the
    bundled site, the hostile fixtures, a noindex and a nofollow page, and a hidden page
    reached only by a link (queued while the pool works)."""
    import shutil

    from indexer import pipeline

    from .crawlkit import documents
    from .test_hostile_pages import HOSTILE, write_big_pages

    folder = tmp_path / "site"
    shutil.copytree(SITE, folder)
    shutil.copytree(HOSTILE, folder / "hostile")
    write_big_pages(folder / "hostile")  # pages cut to size: limits met in the workers
    # (the deeply nested page needs more stack than pytest's own frames leave this process)
    (folder / "hostile" / "deep.html").unlink()
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "found.html").write_text(
        "<html lang='en'><title>Found by a link</title><p>Reached only through a link.</p></html>", "utf-8")
    (folder / "linker.html").write_text(
        "<html lang='en'><title>Linker</title><p>Points at <a href='.hidden/found.html'>a hidden page</a>.</p>"
        "</html>", "utf-8")
    (folder / "noindex.html").write_text(
        "<html lang='en'><head><meta name='robots' content='noindex'></head><p>Not indexed.</p></html>", "utf-8")
    one = pipeline.run_crawl([str(folder)], tmp_path / "one", rebuild=True, procs=1)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_PAGES", 1)
    monkeypatch.setattr(pipeline, "ROUND_PAGES", 4)  # several rounds
    pool = pipeline.run_crawl([str(folder)], tmp_path / "pool", rebuild=True, procs=2)
    assert one.pages == pool.pages > 20 and one.documents == pool.documents
    assert sorted(one.skipped) == sorted(pool.skipped) and sorted(one.errors) == sorted(pool.errors)
    assert sorted(one.limited) == sorted(pool.limited) and one.limited
    assert any(reason == "robots meta noindex" for _, reason in pool.skipped)
    found = documents(tmp_path / "pool")
    assert found == documents(tmp_path / "one")
    assert any(d["title"] == "Found by a link" for d in found.values())
