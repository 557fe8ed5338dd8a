"""Crash safety: a crawl killed with SIGKILL at any moment leaves the index as it was before
that crawl or as that crawl made it, never in between; the next crawl takes over the write
lock and completes; two live crawls never write at once; a reader open during a crawl keeps
answering from the previous version and picks up the new one after the commit.
"""
from __future__ import annotations

import gc
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh import index

from indexer.errors import IndexBusy
from indexer.pipeline import run_crawl
from indexer.search.engine import SearchIndex
from indexer.write import write_documents

from .test_cli import EXE

SEED = 8
KILLS = 20
SYLLABLES = "ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu".split()
#: Version "a" has 24 pages, version "b" 20 pages: going from one to the other adds, updates and deletes.
PAGES = {"a": 24, "b": 20}


def write_version(site: Path, version: str) -> None:
    """Write one version of a small site; random words make the index write a real share of a crawl."""
    for old in site.glob("*.html"):
        old.unlink()
    rng = random.Random(f"{SEED}-{version}")
    for n in range(PAGES[version]):
        words = " ".join("".join(rng.choices(SYLLABLES, k=3)) for _ in range(150))
        (site / f"p{n:02d}.html").write_text(
            f"<html lang='es'><head><title>Página {n} versión {version}</title></head><body>"
            f"<p>marker{version} {words}</p><a href='p{(n + 1) % PAGES[version]:02d}.html'>siguiente</a>"
            "</body></html>", "utf-8")


def snapshot(index_dir: Path) -> dict[str, dict]:
    """Return every stored document of the index, by id (opening it must work)."""
    ix = index.open_dir(str(index_dir), readonly=True)
    try:
        with ix.searcher() as s:
            return {fields["id"]: fields for fields in s.all_stored_fields()}
    finally:
        ix.close()


def crawl_cli(site: Path, index_dir: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([EXE, "crawl", str(site), "--index", str(index_dir)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """The site folder and the exact stored documents of each version, from clean crawls."""
    root = tmp_path_factory.mktemp("crash")
    site = root / "site"
    site.mkdir()
    refs = {}
    for version in ("a", "b"):
        write_version(site, version)
        run_crawl([str(site)], root / f"ref-{version}")
        refs[version] = snapshot(root / f"ref-{version}")
        assert len(refs[version]) == PAGES[version]
    return root, site, refs


def leftovers(index_dir: Path, before: set[str]) -> str:
    """Name the moment a kill hit, from what it left: the writer's temporary folder, a table
    of contents being written, segment files no table of contents lists, a new commit."""
    names = {p.name for p in index_dir.iterdir()}
    if "MAIN.tmp" in names:
        return "writer open"
    if any(".toc." in n for n in names):
        return "toc being written"
    listed = segment_names(index_dir)
    if listed != before:
        return "after the commit"
    if {n.split(".")[0] for n in names if n.startswith("MAIN_") and n != "MAIN_WRITELOCK"} - listed:
        return "segment being written"
    return "before writing"


def segment_names(index_dir: Path) -> set[str]:
    ix = index.open_dir(str(index_dir), readonly=True)
    try:
        return {seg.segment_id() for seg in ix._segments()}
    finally:
        ix.close()


@pytest.mark.timing
def test_sigkill_at_random_moments_never_leaves_a_partial_index(versions):
    root, site, refs = versions
    ix = root / "ix"
    write_version(site, "a")
    started = time.monotonic()
    proc = crawl_cli(site, ix)
    _, err = proc.communicate(timeout=120)
    duration = time.monotonic() - started
    assert proc.returncode == 0, err
    assert snapshot(ix) == refs["a"]

    rng = random.Random(SEED)
    current, outcomes, attempts = "a", [], 0
    while len(outcomes) < KILLS:
        attempts += 1
        assert attempts <= 2 * KILLS, "the crawls kept finishing before their kill time"
        new = "b" if current == "a" else "a"
        write_version(site, new)
        before = segment_names(ix)
        proc = crawl_cli(site, ix)
        time.sleep(rng.uniform(0.3, 1.0) * duration)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=120)
        killed = proc.returncode == -signal.SIGKILL

        # The index opens and holds exactly the previous version or the new one.
        state = snapshot(ix)
        assert state in (refs[current], refs[new]), f"kill {len(outcomes) + 1}: a partial index"
        if killed:
            outcomes.append(leftovers(ix, before))
        reader = SearchIndex(ix)
        assert reader.search("", per_page=100)["total"] == len(state)
        reader.close()

        # The next crawl takes the lock the killed one held, and completes.
        summary = run_crawl([str(site)], ix)
        assert summary.documents == PAGES[new] and not summary.errors
        assert snapshot(ix) == refs[new]
        assert not [p for p in ix.iterdir() if p.name == "MAIN.tmp" or ".toc." in p.name]
        current = new

    print("SIGKILL outcomes:", {k: outcomes.count(k) for k in sorted(set(outcomes))})
    assert len(outcomes) == KILLS
    assert outcomes.count("writer open") + outcomes.count("segment being written") + \
        outcomes.count("toc being written") > 0, "no kill landed while the index was being written"


LOCK_HOLDER = """
import sys, time
from whoosh.filedb.filestore import FileStorage
lock = FileStorage(sys.argv[1]).lock("MAIN_WRITELOCK")
assert lock.acquire()
print("locked", flush=True)
time.sleep(120)
"""


def test_a_live_writer_keeps_others_out_and_a_killed_one_does_not(versions):
    root, site, refs = versions
    ix = root / "ix-lock"
    write_version(site, "a")
    run_crawl([str(site)], ix)
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(ix)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        write_version(site, "b")
        blocked = crawl_cli(site, ix)
        _, err = blocked.communicate(timeout=120)
        assert blocked.returncode == 1
        assert err.count("\n") == 1 and "another crawl is writing to it" in err and "Traceback" not in err
        assert snapshot(ix) == refs["a"]  # untouched
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.communicate(timeout=30)
    assert (ix / "MAIN_WRITELOCK").exists()  # the lock file stays; its flock died with the process
    summary = run_crawl([str(site)], ix)
    assert summary.documents == PAGES["b"] and snapshot(ix) == refs["b"]


def test_two_writers_in_one_process_are_kept_apart(tmp_path, versions, monkeypatch):
    from whoosh.filedb.filestore import FileStorage

    monkeypatch.setattr("indexer.write.LOCK_WAIT", 0.3)
    _, site, _ = versions
    write_version(site, "a")
    run_crawl([str(site)], tmp_path)
    lock = FileStorage(str(tmp_path)).lock("MAIN_WRITELOCK")
    assert lock.acquire()
    try:
        with pytest.raises(IndexBusy, match="another crawl is writing to it"):
            write_documents(tmp_path, [], [])
    finally:
        lock.release()
    assert write_documents(tmp_path, [], []) == {"added": 0, "deleted": 0}


def test_leftovers_of_a_killed_writer_are_removed_by_the_next(tmp_path, versions):
    _, site, refs = versions
    write_version(site, "a")
    run_crawl([str(site)], tmp_path)
    (tmp_path / "MAIN.tmp").mkdir()
    (tmp_path / "MAIN.tmp" / "pool.tmp").write_bytes(b"x" * 100)
    (tmp_path / "_MAIN_9.toc.1700000000.5").write_bytes(b"half a table of contents")
    (tmp_path / "MAIN.lists-k3x9.tmp").write_bytes(b"a batch's posting lists")
    old_meta = tmp_path / ".meta-abc.json"
    old_meta.write_text("{}")
    os.utime(old_meta, (time.time() - 3600, time.time() - 3600))
    fresh_meta = tmp_path / ".meta-def.json"  # maybe a crawl finishing right now: kept
    fresh_meta.write_text("{}")
    assert snapshot(tmp_path) == refs["a"]  # the leftovers do not disturb readers
    run_crawl([str(site)], tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert not {"MAIN.tmp", "_MAIN_9.toc.1700000000.5", "MAIN.lists-k3x9.tmp", ".meta-abc.json"} & names
    assert ".meta-def.json" in names


def test_a_reader_sees_the_previous_version_during_a_crawl_then_the_new_one(versions):
    root, site, refs = versions
    ix = root / "ix-live"
    write_version(site, "a")
    run_crawl([str(site)], ix)
    reader = SearchIndex(ix)
    expected = {v: sorted((d["id"], d["title"]) for d in refs[v].values()) for v in refs}

    def seen():
        body = reader.search("", per_page=100)
        got = sorted((h["id"], h["title"]) for h in body["results"])
        assert got in (expected["a"], expected["b"]), "a reader saw a mix of versions"
        assert body["total"] == len(got)
        return "a" if got == expected["a"] else "b"

    write_version(site, "b")
    proc = crawl_cli(site, ix)
    answers = []
    while proc.poll() is None:
        answers.append(seen())
        time.sleep(0.01)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    deadline = time.monotonic() + 10
    while answers[-1] != "b" and time.monotonic() < deadline:
        answers.append(seen())
        time.sleep(0.05)
    assert answers[0] == "a" and answers[-1] == "b"
    assert "".join(answers).lstrip("a").strip("b") == ""  # a…ab…b: never back to the old version
    reader.close()


def test_a_long_lived_reader_follows_every_version_exactly(tmp_path):
    """A reader refreshed across many versions answers as a fresh one would: its caches are
    per reader object, not per id() (a freed reader's id comes back for a later version:
    with id() keys, version 10 here answered with the facets of version 8)."""
    site = tmp_path / "site"
    site.mkdir()
    reader = None
    for step in range(12):
        pages = 5 + step
        for old in site.glob("*.html"):
            old.unlink()
        for n in range(pages):
            lang = ("es", "fr", "en")[n % 3] if pages % 2 else "es"
            (site / f"p{n}.html").write_text(f"<html lang='{lang}'><title>t{n}</title><body><p>común {n}</p>"
                                             "</body></html>", "utf-8")
        run_crawl([str(site)], tmp_path / "ix")
        reader = reader or SearchIndex(tmp_path / "ix")
        time.sleep(0.6)  # a reader looks for a new version at most every 0.5 s
        fresh = SearchIndex(tmp_path / "ix")
        got, want = reader.search("", per_page=100), fresh.search("", per_page=100)
        fresh.close()
        assert (got["total"], got["facets"]) == (want["total"], want["facets"]), f"version {step}"
        assert sorted(h["id"] for h in got["results"]) == sorted(h["id"] for h in want["results"])
    gc.collect()
    assert len(reader.versions._by_reader) == 1  # only the live reader's entries: none left for an id to collide with
    reader.close()
