"""What a writer that failed or was killed mid-commit leaves in an index folder, and its
removal (call only under the index's write lock).

Whoosh removes a segment's files only when a later commit succeeds, so a crawl that failed
while writing (a full disk, a killed process) would leave its partial segment files until
the next good commit. Here they go at once: after a failed write and before the next one.
A segment file is kept while any table of contents on disk lists it, so a reader still on an
older version (or one falling back to it) never loses its files.
"""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.index import TOC

#: What a writer killed mid-commit leaves: Whoosh's temporary folder and table of contents,
#: and the posting lists a batch's analysis wrote for the segment.
LEFTOVER = re.compile(r"^(?:MAIN\.tmp|_MAIN_\d+\.toc\..+|MAIN\.lists-.+\.tmp)$")
#: Temporary meta files older than this are leftovers of a killed crawl (seconds).
STALE_META = 600
INDEX_NAME = "MAIN"


def remove_leftovers(index_dir: Path) -> list[str]:
    """Remove temporary files and uncommitted segment files from index_dir; return their names."""
    index_dir = Path(index_dir)
    removed = []
    for entry in list(index_dir.iterdir()):
        try:
            stale_meta = entry.name.startswith(".meta-") and time.time() - entry.stat().st_mtime > STALE_META
        except FileNotFoundError:  # a finishing crawl renamed its meta file meanwhile
            continue
        if LEFTOVER.match(entry.name) or stale_meta:
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry.name)
    return removed + remove_uncommitted_segments(index_dir)


def remove_uncommitted_segments(index_dir: Path) -> list[str]:
    """Remove segment files that no table of contents in index_dir lists; return their names.

    With no readable table of contents at all nothing is removed (the folder may hold an
    index this code cannot read: better kept than guessed at)."""
    storage = FileStorage(str(index_dir))
    toc_pattern, segment_pattern = TOC._pattern(INDEX_NAME), TOC._segment_pattern(INDEX_NAME)
    names = list(storage)
    listed, readable = set(), False
    for name in names:
        m = toc_pattern.match(name)
        if m is None:
            continue
        try:
            toc = _read_toc(index_dir, name, int(m.group(1)))
        except Exception:  # noqa: BLE001, S112 - a damaged or half-written table of contents lists nothing
            continue
        readable = True
        listed.update(s.segment_id() for s in toc.segments)
    if not readable:
        return []
    removed = []
    for name in names:
        m = segment_pattern.match(name)
        if m is not None and m.group(1) not in listed:
            try:
                storage.delete_file(name)
            except OSError:
                continue
            removed.append(name)
    return removed


def _read_toc(index_dir: Path, name: str, generation: int):
    """Read one table of contents from a copy in memory: Whoosh's reader leaves its file open
    when the contents are damaged."""
    copy = RamStorage()
    with copy.create_file(name) as f:
        f.write((Path(index_dir) / name).read_bytes())
    return TOC.read(copy, INDEX_NAME, generation)
