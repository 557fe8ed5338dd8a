"""Finishing, merging and committing the segments the fast writer writes: the parts of
Whoosh's ``SegmentWriter.commit`` that ``write`` runs one by one, since one commit there
publishes segments written by several writers (and processes). Each segment the fast writer
finishes is stamped with the format version of the project's additions (``format``).
"""
from __future__ import annotations

from whoosh.codec import default_codec
from whoosh.writing import CLEAR

from indexer.codec.format import stamped


def compression(codec=None) -> int:
    """Return the zlib level a W3 codec (default: Whoosh's default codec, as a segment writer
    uses) compresses posting lists at."""
    return (codec if codec is not None else default_codec())._compression


def finish(writer):
    """Write out a segment writer's segment (not yet published) and return it, stamped."""
    return stamped(writer._finalize_segment())


def close(writer) -> None:
    """Close a segment writer's files after a failure (its segment is not published)."""
    writer._close_segment()


def commit(parent, written: list, rebuild: bool) -> None:
    """Publish, in one table of contents, the segments written by other writers and the
    parent writer's own (holding the small old segments Whoosh's merge policy merged into
    it), with the parent's deletions applied to the old ones; rebuild: drop every old segment
    instead (Whoosh's ``CLEAR``). Then release the parent, as ``SegmentWriter.commit`` does."""
    final = parent._merge_segments(CLEAR if rebuild else None, None, None)
    final += written
    if parent._added:  # small old segments merged into the parent's own
        final.append(finish(parent))
    else:
        parent._close_segment()
    parent._commit_toc(final)
    parent._finish()
