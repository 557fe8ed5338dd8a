"""The small readings of Whoosh's objects the search side needs beyond its public API: a
document's segment and its stored fields, and what a multi-term query would expand to (its
literal prefix, its pattern, its candidate terms), which ``search.querylimits`` bounds; and
opening a searcher on a given version, failing at once, its files closed, when it is damaged.
"""
from __future__ import annotations

import contextlib
import io

from whoosh import index
from whoosh.filedb.structfile import StructFile
from whoosh.index import TOC
from whoosh.reading import MultiReader
from whoosh.searching import Searcher

from indexer.errors import IndexDamaged, M4DError

#: The longest reason quoted from the underlying error in ``damaged``'s message.
MAX_REASON = 200


def leaf_of(reader, docnum: int) -> tuple:
    """Return the segment reader holding docnum (of reader, a searcher's) and its number there."""
    if isinstance(reader, MultiReader):
        n, docnum = reader._segment_and_docnum(docnum)
        return reader.readers[n], docnum
    return reader, docnum


def stored_fields(reader, docnum: int) -> dict:
    """Return a document's stored fields from its segment's column. Whoosh's reader copies
    them into a new dict without the fields no longer in the schema (a third of the time
    here); the caller reads only fields of the schema. A reader without W3's per-document
    reader goes through Whoosh."""
    reader, docnum = leaf_of(reader, docnum)
    perdoc = getattr(reader, "_perdoc", None)
    return perdoc.stored_fields(docnum) if perdoc is not None else reader.stored_fields(docnum)


def pattern_prefix(q) -> str:
    """Return the literal text a wildcard or regular expression query starts with."""
    return q._find_prefix(q.text)


def pattern_regex(q) -> str:
    """Return the regular expression a wildcard or regular expression query matches words with."""
    return q._get_pattern()


def expanded_terms(q, reader):
    """Yield the terms (bytes) a multi-term query (a range, …) expands to in reader."""
    return q._btexts(reader)


def open_searcher(ix, generation: int | None = None, **kwargs):
    """Return a searcher (kwargs: ``Searcher``'s) on a version of ix, a ``FileIndex`` (the
    latest by default), as ``ix.searcher`` does, but without Whoosh's blind retries: its
    ``reader()`` retries any ``OSError`` ten times, 0.05 s apart (half a second per open of a
    damaged version), and leaves the file each failed try opened to the garbage collector.
    Here a failed open closes what it opened and raises at once, unless a commit replaced the
    latest version meanwhile (a writer deletes the files of the versions it supersedes): then
    the new one is opened."""
    for _ in range(3):
        info = TOC.read(ix.storage, ix.indexname, gen=generation, schema=ix._schema)
        try:
            reader = ix._reader(ix.storage, info.schema, info.segments, info.generation)
        except Exception as exc:
            close_files(exc)
            if generation is None and isinstance(exc, FileNotFoundError) and \
                    ix.latest_generation() != info.generation:
                continue
            raise
        return Searcher(reader, fromindex=ix, **kwargs)
    raise FileNotFoundError(f"the index in {ix.storage.folder} kept changing while it was opened")


def open_readable(index_dir):
    """Return the index in index_dir (a ``FileIndex``) once its latest version's files have
    opened (the searcher is closed again), or None when there is no index; ``IndexDamaged``
    when they cannot be read."""
    try:
        if not index.exists_in(index_dir):
            return None
        ix = index.open_dir(index_dir, readonly=True)
        open_searcher(ix).close()
        return ix
    except M4DError:
        raise
    except Exception as exc:
        close_files(exc)
        raise damaged(index_dir, exc) from exc


def damaged(index_dir, exc: BaseException) -> IndexDamaged:
    """Return the one-line ``IndexDamaged`` for an error met reading the index in index_dir."""
    reason = " ".join(f"{type(exc).__name__}: {exc}".split())
    if len(reason) > MAX_REASON:
        reason = reason[:MAX_REASON - 1] + "…"
    return IndexDamaged(f"cannot read the index in {index_dir} ({reason}): it is damaged or unreadable; "
                        "rebuild it with `m4d-search crawl SOURCE --rebuild`")


def generations(ix) -> list[int]:
    """Return the versions of ix whose table of contents is on disk, newest first."""
    pattern = TOC._pattern(ix.indexname)
    return sorted((int(m.group(1)) for m in map(pattern.match, ix.storage.list()) if m), reverse=True)


def close_files(exc: BaseException) -> None:
    """Close the files Whoosh opened in the frames an exception went through (it opens a
    segment's file, then reads it, and a read that fails leaves the file open)."""
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_globals.get("__name__", "").startswith("whoosh."):
            for value in list(frame.f_locals.values()):
                if isinstance(value, (StructFile, io.IOBase)):
                    with contextlib.suppress(Exception):
                        value.close()
        tb = tb.tb_next
