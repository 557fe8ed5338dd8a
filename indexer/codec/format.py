"""The format of the project's own additions to Whoosh's files: their version, the tags and
chunk heads the writer puts and the reader recognises (shared here so that the read side
imports no writer module), and where the version is recorded and checked.

``FORMAT.md`` describes the bytes. ``FORMAT_VERSION`` is recorded twice:

- on each segment the fast writer commits (``SEGMENT_ATTR``, an attribute of the segment
  object Whoosh pickles into its table of contents): committed atomically with the segment's
  files, and read by every reader without opening a file;
- in the index folder's ``settings.META_FILE`` (``META_FIELD``), where people and tools read
  it; the writer updates it after its commit, so a crash between the two leaves the older
  version recorded, which is refused (never misread).

A segment or a meta file without it is format 1: the indexes written before the version was
recorded hold exactly format 1's bytes, and a segment written by Whoosh's own writer holds
none of the additions (the reader falls back to Whoosh's layout, row by row).
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

from indexer.errors import IndexFormatError
from indexer.settings import META_FILE

#: The version of the additions' layout. Bump it when the bytes the writer adds, or what the
#: reader makes of them, change in a way an older or newer reader would misread (FORMAT.md).
FORMAT_VERSION = 1
#: What an index recorded before the version was: those bytes are format 1's.
UNRECORDED = 1
#: The segment attribute and the meta file's field that hold the version.
SEGMENT_ATTR = "m4d_format"
META_FIELD = "format_version"

#: Opens the scoring part of a term-table row, after W3's fields.
SCORING_TAG = b"\xa7\x01"
#: Opens it in the row of a list followed by a positions part (``positions``) in the postings
#: file: the part's length (an unsigned int) comes first, then the scoring chunks.
POSITIONS_TAG = b"\xa7\x02"
#: A scoring chunk's head: how many postings, the typecode of their docnum deltas (the first
#: is the chunk's first docnum), and of their weights (0: all 1.0, B: whole numbers up to
#: 255, f: float32 as the blocks hold them); the arrays follow, little-endian.
CHUNK_HEAD = struct.Struct("<Icc")
#: A positions chunk's head: its postings, their positions, and the typecodes of the counts
#: and the deltas (the smallest unsigned type holding them); the arrays follow, little-endian.
POSITIONS_HEAD = struct.Struct("<IIcc")


def stamped(segment):
    """Record ``FORMAT_VERSION`` on a segment the fast writer wrote; return it."""
    setattr(segment, SEGMENT_ATTR, FORMAT_VERSION)
    return segment


def segment_format(segment) -> int:
    """Return the format version a segment was written in (``UNRECORDED`` when it has none)."""
    return getattr(segment, SEGMENT_ATTR, UNRECORDED)


def meta_format(index_dir) -> object:
    """Return the format version the index folder's meta file records (``UNRECORDED`` when it
    has none, or there is no readable meta file)."""
    try:
        meta = json.loads((Path(index_dir) / META_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return UNRECORDED
    return meta.get(META_FIELD, UNRECORDED) if isinstance(meta, dict) else UNRECORDED


def check_index(ix, index_dir) -> None:
    """Raise ``IndexFormatError`` unless the latest version of the index ix (in index_dir)
    and its meta file are in ``FORMAT_VERSION``."""
    found = [meta_format(index_dir)] + [segment_format(s) for s in ix._segments()]
    _check(found, index_dir)


def check_reader(reader, index_dir) -> None:
    """Raise ``IndexFormatError`` unless every segment of a reader (a searcher's, opened on a
    newer version of the index) is in ``FORMAT_VERSION``; reads no file."""
    found = []
    for leaf, _ in reader.leaf_readers():
        segment = getattr(leaf, "segment", None)
        if segment is not None:
            found.append(segment_format(segment()))
    _check(found, index_dir)


def _check(found: list, index_dir) -> None:
    other = next((v for v in found if v != FORMAT_VERSION), None)
    if other is not None:
        raise IndexFormatError(
            f"the index in {index_dir} is in format {other!r} of m4d-search's additions to Whoosh's files, "
            f"this version reads format {FORMAT_VERSION}: run `m4d-search crawl SOURCE --rebuild` to rebuild it")
