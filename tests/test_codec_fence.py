"""The Whoosh fence (``indexer/codec/``): the Whoosh version checked on import, and the format
version of the project's additions recorded on each segment and in the meta file, checked by
the reader, the writer, the CLI and the web app; ``--rebuild`` replaces an index in another
format. Real indexes on disk, real subprocesses."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from whoosh import index

from indexer.codec import format as codec_format
from indexer.codec.compat import SUPPORTED_WHOOSH, check_whoosh
from indexer.errors import IndexFormatError, WhooshVersionError
from indexer.model import Document
from indexer.pipeline import run_crawl
from indexer.search.engine import SearchIndex
from indexer.settings import META_FILE
from indexer.write import write_documents, write_documents_plain, write_meta

from .conftest import EXE

ROOT = Path(__file__).resolve().parent.parent
#: Run first in a subprocess: the installed Whoosh says it is 2.7.4.
OLD_WHOOSH = "import whoosh; whoosh.versionstring = lambda *a, **k: '2.7.4'; whoosh.__version__ = (2, 7, 4)\n"


def docs(n: int, start: int = 0, word: str = "remesas") -> list[Document]:
    return [Document(id=f"file:///f/{i}", url=f"file:///f/{i}", title=f"Página {i}", lang="es",
                     text=f"{word} de las familias migrantes número {i}", source="file:///f")
            for i in range(start, start + n)]


def python(code: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          **kwargs)


def set_meta_format(index_dir: Path, version) -> None:
    path = index_dir / META_FILE
    meta = json.loads(path.read_text("utf-8")) if path.exists() else {}
    meta[codec_format.META_FIELD] = version
    path.write_text(json.dumps(meta), "utf-8")


@pytest.fixture()
def crawled(tmp_path) -> tuple[Path, Path]:
    """A folder of two pages crawled into an index (with its meta file): (site, index)."""
    site = tmp_path / "site"
    site.mkdir()
    for n in range(2):
        (site / f"p{n}.html").write_text(f"<html lang='es'><title>Página {n}</title>"
                                         f"<p>Remesas de las familias migrantes {n}.</p></html>", "utf-8")
    run_crawl([str(site)], tmp_path / "ix", procs=1)
    return site, tmp_path / "ix"


@pytest.fixture()
def format_99(crawled) -> tuple[Path, Path]:
    """The crawled index, its meta file saying format 99."""
    site, ix = crawled
    set_meta_format(ix, 99)
    return site, ix


# The Whoosh version

def test_the_installed_whoosh_is_supported():
    check_whoosh()
    assert SUPPORTED_WHOOSH == ("2.7.5",)
    with pytest.raises(WhooshVersionError, match=r"^m4d-search's index codec was written for Whoosh 2\.7\.5; "
                                                 r"whoosh 2\.7\.4 is installed: install whoosh-reloaded==2\.7\.5$"):
        check_whoosh("2.7.4")


def test_importing_the_codec_with_another_whoosh_raises_one_clear_line():
    done = python(OLD_WHOOSH + """
try:
    import indexer.codec
except Exception as exc:
    print(type(exc).__module__, type(exc).__name__, isinstance(exc, ImportError))
    print(exc)
""")
    assert done.returncode == 0, done.stderr
    kind, message = done.stdout.splitlines()
    assert kind == "indexer.errors WhooshVersionError True"
    assert message == ("m4d-search's index codec was written for Whoosh 2.7.5; whoosh 2.7.4 is installed: "
                       "install whoosh-reloaded==2.7.5")


@pytest.mark.parametrize("module", ["indexer.search.engine", "indexer.write", "indexer.pipeline", "webapp.handle"])
def test_every_reader_and_writer_imports_the_codec(module):
    done = python(OLD_WHOOSH + f"import {module}")
    assert done.returncode != 0 and "WhooshVersionError" in done.stderr


@pytest.mark.parametrize("command", [["stats"], ["search", "remesas"], ["crawl", "SITE"], ["serve", "--port", "0"]])
def test_the_cli_says_so_in_one_line_and_exits_1(crawled, command):
    site, ix = crawled
    argv = ["m4d-search"] + [str(site) if a == "SITE" else a for a in command] + ["--index", str(ix)]
    done = python(OLD_WHOOSH + f"import sys; sys.argv = {argv!r}\nfrom webapp.cli import main\nmain()")
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["m4d-search: error: m4d-search's index codec was written for Whoosh 2.7.5; "
                                        "whoosh 2.7.4 is installed: install whoosh-reloaded==2.7.5"]


# The format version: recorded

def test_the_writer_records_the_format_on_its_segments_and_in_the_meta_file(crawled, tmp_path):
    _, ix_dir = crawled
    assert json.loads((ix_dir / META_FILE).read_text("utf-8"))[codec_format.META_FIELD] == 1
    write_documents(tmp_path / "two", docs(3000), [], rebuild=True, procs=2)  # worker processes' segment
    write_documents(tmp_path / "two", docs(5, 3000), [], procs=1)  # and an incremental one
    for path in (ix_dir, tmp_path / "two"):
        ix = index.open_dir(path)
        try:
            stamps = [getattr(s, codec_format.SEGMENT_ATTR, None) for s in ix._segments()]
        finally:
            ix.close()
        assert stamps and set(stamps) == {codec_format.FORMAT_VERSION}


def test_an_index_without_a_recorded_format_is_format_1(tmp_path):
    """An index from before the version was recorded (its bytes are format 1's): no segment
    stamp, no meta field. Whoosh's own writer writes the same unstamped segments."""
    write_documents_plain(tmp_path / "ix", docs(5), [], rebuild=True)
    (tmp_path / "ix" / META_FILE).write_text(json.dumps({"sources": ["x"]}), "utf-8")
    assert SearchIndex(tmp_path / "ix").search("remesas")["total"] == 5
    write_documents(tmp_path / "ix", docs(2, 5), [], procs=1)  # incremental: accepted
    assert SearchIndex(tmp_path / "ix").search("remesas")["total"] == 7


# The format version: checked

def test_the_reader_refuses_another_format_naming_rebuild(format_99):
    _, ix = format_99
    with pytest.raises(IndexFormatError) as caught:
        SearchIndex(ix)
    message = str(caught.value)
    assert "format 99" in message and "format 1" in message and "`m4d-search crawl SOURCE --rebuild`" in message
    assert "\n" not in message


def test_a_segment_stamped_with_another_format_is_refused_also_by_an_open_reader(tmp_path, monkeypatch):
    """The stamp on the segments is read when the searcher is refreshed on a new version (a
    crawl by another version of m4d-search while the server runs)."""
    write_documents(tmp_path / "ix", docs(4), [], rebuild=True, procs=1)
    search_index = SearchIndex(tmp_path / "ix", cache_size=0)
    assert search_index.search("remesas")["total"] == 4
    with monkeypatch.context() as m:
        m.setattr(codec_format, "FORMAT_VERSION", 99)  # as a newer writer stamps its segments
        write_documents(tmp_path / "ix", docs(4, 10), [], rebuild=True, procs=1)
    search_index._local.checked = 0  # (a refreshed searcher is checked every 0.5 s)
    with pytest.raises(IndexFormatError, match="format 99"):
        search_index.search("familias")
    with pytest.raises(IndexFormatError, match="--rebuild"):
        SearchIndex(tmp_path / "ix")


def test_the_cli_prints_one_line_and_exits_1(format_99):
    site, ix = format_99
    for args in (["search", "remesas"], ["stats"], ["crawl", str(site)]):
        done = subprocess.run([EXE, *args, "--index", str(ix)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 1, (args, done.stderr)
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("m4d-search: error: the index in ") and "--rebuild" in lines[0]


def test_the_web_app_answers_503_with_the_message(format_99, make_client):
    _, ix = format_99
    client = make_client(ix, TESTING=False)
    response = client.get("/api/search?q=remesas")
    assert response.status_code == 503
    assert set(response.get_json()) == {"error"} and "--rebuild" in response.get_json()["error"]
    page = client.get("/search?q=remesas")
    assert page.status_code == 503 and "--rebuild" in page.get_data(as_text=True)


def test_the_writer_refuses_to_add_to_it_and_leaves_it_as_it_was(format_99):
    site, ix = format_99
    before = sorted(p.name for p in ix.iterdir())
    for write in (write_documents, write_documents_plain):
        with pytest.raises(IndexFormatError, match="--rebuild"):
            write(ix, docs(2), [], procs=1)
    with pytest.raises(IndexFormatError, match="--rebuild"):  # before crawling anything
        run_crawl([str(site)], ix, procs=1)
    assert sorted(p.name for p in ix.iterdir()) == before


def test_rebuild_replaces_an_index_in_another_format(format_99):
    site, ix = format_99
    done = subprocess.run([EXE, "crawl", str(site), "--rebuild", "--index", str(ix)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads((ix / META_FILE).read_text("utf-8"))[codec_format.META_FIELD] == 1
    assert SearchIndex(ix).search("remesas")["total"] == 2


def test_a_rebuild_by_the_writer_alone_records_its_format_in_the_meta_file(format_99):
    _, ix = format_99
    write_documents(ix, docs(3), [], rebuild=True, procs=1)
    meta = json.loads((ix / META_FILE).read_text("utf-8"))
    assert meta[codec_format.META_FIELD] == 1 and meta["sources"]  # the rest of the meta kept
    assert SearchIndex(ix).search("remesas")["total"] == 3


def test_write_meta_records_the_format(tmp_path):
    write_meta(tmp_path, {"sources": []})
    assert json.loads((tmp_path / META_FILE).read_text("utf-8"))[codec_format.META_FIELD] == 1
