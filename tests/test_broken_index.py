"""Clear failures over a damaged index: a copy of a real index with a truncated, garbage or
missing segment file, or a garbage or unreadable table of contents, gives ``/healthz`` a 503
with the reason, the search routes a 503 with a message, the CLI one line and exit 1; a
served index whose new version is damaged goes on answering from the version it had."""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from indexer.errors import IndexDamaged
from indexer.pipeline import run_crawl
from indexer.search.engine import SearchIndex

from .conftest import EXE, SITE


def _segment(ix: Path) -> Path:
    (seg,) = ix.glob("MAIN_*.seg")
    return seg


def truncate_segment(ix: Path) -> None:
    seg = _segment(ix)
    seg.write_bytes(seg.read_bytes()[: seg.stat().st_size // 4])


def garbage_segment(ix: Path) -> None:
    seg = _segment(ix)
    seg.write_bytes(os.urandom(seg.stat().st_size))


def missing_segment(ix: Path) -> None:
    _segment(ix).unlink()


def garbage_toc(ix: Path) -> None:
    (toc,) = ix.glob("_MAIN_*.toc")
    toc.write_bytes(os.urandom(toc.stat().st_size))


def unreadable_toc(ix: Path) -> None:
    """The table of contents can't be read: a folder in its place (tests run as root, whom
    file permissions do not stop)."""
    (toc,) = ix.glob("_MAIN_*.toc")
    toc.unlink()
    toc.mkdir()


DAMAGE = [truncate_segment, garbage_segment, missing_segment, garbage_toc, unreadable_toc]


@pytest.fixture()
def good_copy(seed_index_dir, tmp_path) -> Path:
    """A writable copy of a real index."""
    dest = tmp_path / "ix"
    shutil.copytree(seed_index_dir, dest)
    return dest


@pytest.fixture(params=DAMAGE, ids=[d.__name__ for d in DAMAGE])
def damaged(request, good_copy) -> Path:
    request.param(good_copy)
    return good_copy


def test_the_engine_raises_index_damaged_in_one_line(damaged):
    with pytest.raises(IndexDamaged) as caught:
        SearchIndex(damaged).search("migration")
    message = str(caught.value)
    assert message.startswith(f"cannot read the index in {damaged} (") and "\n" not in message
    assert message.endswith("it is damaged or unreadable; rebuild it with `m4d-search crawl SOURCE --rebuild`")


def test_the_web_app_answers_503_never_a_traceback(damaged, make_client):
    client = make_client(damaged, TESTING=False)
    health = client.get("/healthz")
    assert health.status_code == 503
    body = health.get_json()
    assert body["status"] == "unavailable" and body["error"].startswith("cannot read the index in")
    for path in ("/api/search?q=migration", "/api/suggest?q=mig"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert set(response.get_json()) == {"error"} and "damaged" in response.get_json()["error"]
    for path in ("/", "/search?q=migration"):
        page = client.get(path)
        text = page.get_data(as_text=True)
        assert page.status_code == 503 and "damaged or unreadable" in text and "Traceback" not in text, path


@pytest.mark.parametrize("damage", [truncate_segment, garbage_toc], ids=["truncate_segment", "garbage_toc"])
def test_the_cli_prints_one_line_and_exits_1(good_copy, damage):
    damage(good_copy)
    for args in (["search", "migration"], ["stats"], ["stats", "--json"], ["serve", "--port", "0"]):
        done = subprocess.run([EXE, *args, "--index", str(good_copy)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 1, (args, done.stderr)
        lines = done.stderr.splitlines()
        assert len(lines) == 1, (args, done.stderr)
        assert lines[0].startswith(f"m4d-search: error: cannot read the index in {good_copy} (")
        assert lines[0].endswith("rebuild it with `m4d-search crawl SOURCE --rebuild`") and done.stdout == ""


def install_damaged_version(served: Path, tmp_path: Path) -> tuple[Path, str]:
    """Give the served index a new version (a real commit, made on a copy: one page of the
    site) whose segment file is cut short; return the whole segment and its name, to repair
    it later."""
    work = tmp_path / "next"
    shutil.copytree(served, work)
    run_crawl([str(SITE / "case-studies" / "mainstreaming-en.html")], work, rebuild=True)
    (toc,) = work.glob("_MAIN_*.toc")
    (seg,) = work.glob("MAIN_*.seg")
    whole = tmp_path / "whole.seg"
    shutil.copy(seg, whole)
    (served / seg.name).write_bytes(seg.read_bytes()[:1000])  # the segment first, cut short…
    shutil.copy(toc, served / (toc.name + ".tmp"))
    os.replace(served / (toc.name + ".tmp"), served / toc.name)  # …then the table of contents
    return whole, seg.name


def test_a_damaged_new_version_leaves_the_app_on_the_last_good_one(good_copy, tmp_path, make_client, caplog):
    client = make_client(good_copy, TESTING=False)
    before = client.get("/api/search?q=migration").get_json()
    assert before["total"] > 0 and client.get("/healthz").status_code == 200
    whole, name = install_damaged_version(good_copy, tmp_path)
    time.sleep(0.6)  # the handle looks for a new version every 0.5 s
    with caplog.at_level(logging.WARNING, logger="indexer.search.opening"):
        for _ in range(3):
            after = client.get("/api/search?q=migration").get_json()
            assert {k: v for k, v in after.items() if k != "took_ms"} == \
                   {k: v for k, v in before.items() if k != "took_ms"}
            assert client.get("/healthz").get_json() == {"status": "ok", "documents": 13}
            assert client.get("/").status_code == 200
            time.sleep(0.55)
    warnings = [r for r in caplog.records if "failed to open" in r.getMessage()]
    assert len(warnings) == 1 and "answering from the version opened before" in warnings[0].getMessage()
    # A new handle (a new worker) opens the newest version still whole on disk…
    fresh = make_client(good_copy, TESTING=False).get("/api/search?q=migration").get_json()
    assert fresh["results"] == before["results"]
    # …and answers 503 when there is none.
    (good_copy / "_MAIN_1.toc").rename(tmp_path / "_MAIN_1.toc")
    assert make_client(good_copy, TESTING=False).get("/api/search?q=migration").status_code == 503
    assert client.get("/api/search?q=migration").get_json()["results"] == before["results"]  # still open
    # Once the version is whole, it is served.
    shutil.copy(whole, good_copy / name)
    time.sleep(0.6)
    assert client.get("/healthz").get_json() == {"status": "ok", "documents": 1}
    assert client.get("/api/search?q=migration").get_json()["total"] == 1


def test_a_live_server_keeps_answering_when_a_damaged_version_lands(good_copy, tmp_path, live_server):
    base = live_server(good_copy, "--workers", "2")

    def get(path: str):
        with urllib.request.urlopen(base + path, timeout=5) as r:
            return r.status, json.loads(r.read())

    status, before = get("/api/search?q=migration")
    assert status == 200 and before["total"] > 0
    install_damaged_version(good_copy, tmp_path)
    time.sleep(0.6)
    for _ in range(6):  # both workers, each with the version it opened
        status, after = get("/api/search?q=migration")
        assert status == 200 and after["total"] == before["total"] and after["results"] == before["results"]
        assert get("/healthz") == (200, {"status": "ok", "documents": 13})


@pytest.mark.parametrize("damage", [truncate_segment, garbage_toc], ids=["truncate_segment", "garbage_toc"])
def test_a_crawl_refuses_a_damaged_index_and_rebuild_replaces_it(good_copy, damage, tmp_path):
    damage(good_copy)
    before = sorted((p.name, p.read_bytes()) for p in good_copy.iterdir() if p.is_file())
    page = tmp_path / "pages" / "a.html"
    page.parent.mkdir()
    page.write_text("<html lang=en><title>Remittances</title><p>Remittances and families.</p>", "utf-8")
    done = subprocess.run([EXE, "crawl", str(page.parent), "--index", str(good_copy)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [done.stderr.strip()] and "it is damaged or unreadable" in done.stderr
    assert sorted((p.name, p.read_bytes()) for p in good_copy.iterdir() if p.is_file()) == before
    done = subprocess.run([EXE, "crawl", str(page.parent), "--rebuild", "--index", str(good_copy)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert SearchIndex(good_copy).search("remittances")["total"] == 1
