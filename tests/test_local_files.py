"""Local files as an attacker lays them out: symbolic links out of the folder, to /dev/zero,
loops, FIFOs; the crawl stays in the folder, reads regular files only, never hangs and
reports each as a skip with its reason. Documents are named by the folder's name and the
path inside it, the folder is recorded absolute, and /site/ answers 404 to whatever it must
not serve."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.crawl.local import read_capped
from indexer.errors import SkipPage
from indexer.search.engine import SearchIndex

PAGE = '<html lang="en"><title>{0}</title><body><p>{0} migration remittances text</p></body></html>'
# A crawl in a child process: a hang fails the test (timeout) instead of blocking the suite.
CRAWL = """
import json, sys
from indexer.pipeline import run_crawl
s = run_crawl([sys.argv[1]], sys.argv[2], procs=1)
print(json.dumps({"skipped": s.skipped, "documents": s.documents, "errors": s.errors}))
"""


def crawl_in_child(folder: Path, index_dir: Path, timeout: float = 60) -> dict:
    done = subprocess.run([sys.executable, "-c", CRAWL, str(folder), str(index_dir)], capture_output=True,
                          text=True, timeout=timeout, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture()
def hostile(tmp_path) -> Path:
    site = tmp_path / "mysite"
    (site / "sub").mkdir(parents=True)
    (site / "index.html").write_text(PAGE.format("Inside") + '<a href="sub/deep.html">d</a>', "utf-8")
    (site / "sub" / "deep.html").write_text(PAGE.format("Deep"), "utf-8")
    (tmp_path / "secret.html").write_text(PAGE.format("Secretoutside"), "utf-8")
    (tmp_path / "outdir").mkdir()
    (tmp_path / "outdir" / "x.html").write_text(PAGE.format("Outdirpage"), "utf-8")
    os.symlink(tmp_path / "secret.html", site / "leak.html")
    os.symlink("/dev/zero", site / "zero.html")
    os.symlink(tmp_path / "outdir", site / "outlink")
    os.symlink(site / "loop-b.html", site / "loop-a.html")
    os.symlink(site / "loop-a.html", site / "loop-b.html")
    os.symlink("self.html", site / "self.html")
    os.mkfifo(site / "pipe.html")
    os.symlink(site / "sub" / "deep.html", site / "alias.html")  # inside: the same page, read once
    return site


def test_a_hostile_folder_is_crawled_inside_its_bounds(hostile, tmp_path):
    out = crawl_in_child(hostile, tmp_path / "ix")
    reasons = {Path(url[len("file://"):]).name: reason for url, reason in out["skipped"]}
    assert reasons["leak.html"] == "symbolic link leading outside the source folder"
    assert reasons["zero.html"] == "symbolic link leading outside the source folder"
    assert reasons["outlink"] == "symbolic link leading outside the source folder"
    assert reasons["loop-a.html"] == reasons["loop-b.html"] == reasons["self.html"] == "symbolic link loop"
    assert reasons["pipe.html"] == "not a regular file: a FIFO"
    assert out["documents"] == 2 and not out["errors"]
    ix = SearchIndex(tmp_path / "ix")
    assert ix.search("Secretoutside")["total"] == 0 and ix.search("Outdirpage")["total"] == 0
    assert sorted(r["id"] for r in ix.search("migration")["results"]) == ["mysite/index.html", "mysite/sub/deep.html"]


def test_reads_stop_at_the_cap(tmp_path):
    big = tmp_path / "big.html"
    big.write_bytes(b"x" * 5000)
    with pytest.raises(SkipPage, match="larger than 4096 bytes"):
        read_capped(big, 4096)
    assert read_capped(big, 5000) == b"x" * 5000
    with pytest.raises(SkipPage, match="not a regular file: a device"):
        read_capped(Path("/dev/zero"), 4096)  # were it reached: never read to the end
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(SkipPage, match="not a regular file: a FIFO"):
        read_capped(tmp_path / "fifo", 4096)  # opened without blocking, refused
    os.symlink(big, tmp_path / "link.html")
    with pytest.raises(SkipPage, match="symbolic link loop|unreadable"):
        read_capped(tmp_path / "link.html", 9999)  # a link swapped in after the check is not followed


def test_documents_are_named_inside_their_folder(make_index, make_client, tmp_path, monkeypatch):
    site = tmp_path / "bilingual"
    site.mkdir()
    alternates = '<link rel="alternate" hreflang="{0}" href="{1}">'
    (site / "a-en.html").write_text(PAGE.format("Remittances").replace(
        "<title>", alternates.format("es", "a-es.html") + '<link rel="canonical" href="/etc/passwd"><title>'), "utf-8")
    (site / "a-es.html").write_text(PAGE.format("Remesas").replace('lang="en"', 'lang="es"').replace(
        "<title>", alternates.format("en", "a-en.html") + "<title>"), "utf-8")
    monkeypatch.chdir(tmp_path)
    index_dir = make_index("bilingual")
    meta = json.loads((index_dir / "m4d-meta.json").read_text("utf-8"))
    assert meta["sources"] == [site.resolve().as_uri()]  # typed relative, recorded absolute
    body = make_client(index_dir).get("/api/search?q=Remittances").get_json()
    hit = body["results"][0]
    assert hit["id"] == hit["url"] == "bilingual/a-en.html"  # the canonical outside is ignored
    assert [t["url"] for t in hit["translations"]] == ["bilingual/a-es.html"]  # translation group kept
    assert str(tmp_path) not in json.dumps(body)
    page = make_client(index_dir).get("/search?q=Remittances").get_data(as_text=True)
    assert 'href="/site/a-en.html"' in page and 'href="/site/a-es.html"' in page


@pytest.mark.timing
def test_worker_processes_name_documents_the_same_way(tmp_path, monkeypatch):
    from indexer import pipeline

    site = tmp_path / "many"
    site.mkdir()
    for n in range(6):
        (site / f"p{n}.html").write_text(PAGE.format(f"Page{n}"), "utf-8")
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_PAGES", 2)
    pipeline.run_crawl([str(site)], tmp_path / "ix2", procs=2)  # extracted in two spawned workers
    pipeline.run_crawl([str(site)], tmp_path / "ix1", procs=1)
    ids = [sorted(r["id"] for r in SearchIndex(tmp_path / ix).search("migration", per_page=20)["results"])
           for ix in ("ix1", "ix2")]
    assert ids[0] == ids[1] == [f"many/p{n}.html" for n in range(6)]


@pytest.fixture()
def served(make_client, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "page.html").write_text(PAGE.format("Served"), "utf-8")
    (site / ".secret.html").write_text("<p>hidden secret</p>", "utf-8")
    os.symlink(site / ".secret.html", site / "visible.html")
    os.symlink(site / "loop2", site / "loop1")
    os.symlink(site / "loop1", site / "loop2")
    os.symlink("/dev/zero", site / "zero.html")
    os.mkfifo(site / "pipe.html")
    return make_client(tmp_path / "ix", SITE_DIRS=[str(site)])


@pytest.mark.parametrize("path", ["/site/visible.html", "/site/loop1", "/site/loop1/x.html", "/site/zero.html",
                                  "/site/pipe.html", "/site/" + "a" * 256, "/site/" + "a" * 256 + "/b.html",
                                  "/site/" + "é" * 200])
def test_site_refuses_links_loops_special_files_and_long_names(served, path):
    with served.get(path) as response:
        assert response.status_code == 404, path
        assert b"hidden secret" not in response.data
    with served.get("/site/page.html") as response:
        assert response.status_code == 200
