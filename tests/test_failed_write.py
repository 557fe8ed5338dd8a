"""A write that fails mid-commit (here: the file-size limit, which fails a write as a full
disk does) leaves no partial segment files behind, and the previous version answers as before."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from indexer.codec.leftovers import remove_uncommitted_segments
from indexer.model import Document
from indexer.search.engine import SearchIndex
from indexer.write import write_documents

ROOT = Path(__file__).resolve().parent.parent

WRITE_UNDER_LIMIT = """
import resource, signal, sys
from indexer.model import Document
from indexer.write import write_documents
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
docs = [Document(id=f"file:///big/{n}.html", url=f"file:///big/{n}.html", title=f"page {n}",
                 text=" ".join(f"word{(n * 7 + k) % 5000}" for k in range(400)), lang="en")
        for n in range(3000)]
try:
    write_documents(sys.argv[1], docs, ["file:///big/"], procs=1)
except OSError as exc:
    print("failed:", exc.errno)
    sys.exit(3)
"""


def small_docs(n: int) -> list[Document]:
    return [Document(id=f"file:///s/{i}.html", url=f"file:///s/{i}.html", title=f"small {i}",
                     text=f"migration remittances diaspora number{i}", lang="en") for i in range(n)]


def files(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.iterdir() if p.is_file() and not p.name.endswith("LOCK")}


def answers(index_dir: Path) -> tuple[int, int]:
    index = SearchIndex(index_dir, cache_size=0)
    try:
        return index.doc_count(), index.search("remittances")["total"]
    finally:
        index.close()


def test_a_write_that_fails_mid_commit_leaves_no_partial_segment(tmp_path):
    ix = tmp_path / "ix"
    write_documents(ix, small_docs(20), ["file:///s/"], procs=1)
    before, found = files(ix), answers(ix)
    assert found == (20, 20)
    limit = max((ix / name).stat().st_size for name in before) + 200_000
    run = subprocess.run([sys.executable, "-c", WRITE_UNDER_LIMIT, str(ix), str(limit)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 3, run.stdout + run.stderr  # the write failed, as on a full disk
    assert files(ix) - before == set()  # no partial segment, no temporary file
    assert answers(ix) == found


def test_segment_files_no_table_of_contents_lists_are_removed(tmp_path):
    ix = tmp_path / "ix"
    write_documents(ix, small_docs(5), ["file:///s/"], procs=1)
    kept = files(ix)
    (ix / "MAIN_abandoned0000.seg").write_bytes(b"half a segment")
    assert remove_uncommitted_segments(ix) == ["MAIN_abandoned0000.seg"]
    assert files(ix) == kept and answers(ix)[0] == 5


def test_nothing_is_removed_where_no_table_of_contents_reads(tmp_path):
    (tmp_path / "MAIN_orphan000000.seg").write_bytes(b"x")
    (tmp_path / "_MAIN_1.toc").write_bytes(b"not a table of contents")
    assert remove_uncommitted_segments(tmp_path) == []
    assert (tmp_path / "MAIN_orphan000000.seg").exists()
