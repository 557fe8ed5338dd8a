"""Each posting's positions as plain arrays beside W3's blocks, for phrase checks.

W3 keeps a posting's positions in its block as a Whoosh ``Positions`` value: a count and a
pickled list of deltas. Checking a phrase that way means decompressing and unpickling whole
blocks, then every value: about 1 ms of a phrase query's 3.5 on the 10k corpus. So the fast
writer also writes each list's positions as arrays (its *positions part*), in the postings
file right after the list's blocks. Its length is in the term-table row (``blocks``).
Whoosh's reader never reads past the last block, and its merges write lists without a part.

A part is one chunk per writer process that wrote some of the list (``blocks.join``). Each
chunk is a head (``CHUNK``), then every posting's count of positions, then all their
deltas. Each posting's deltas are Whoosh's: the first is absolute, the others are steps.
``Parts.keys`` reads the positions of any set of postings with a few numpy calls, none per
posting, straight from the mapped file.
"""
from __future__ import annotations

import sys
from array import array
from itertools import chain
from pickle import loads
from typing import NamedTuple

import numpy as np
from whoosh.system import _INT_SIZE

from indexer.codec.format import POSITIONS_HEAD

#: Whether this machine's arrays are little-endian, as the index's are.
LITTLE = sys.byteorder == "little"

#: A chunk's head (``format.POSITIONS_HEAD``): its postings, their positions, and the typecodes
#: of the counts and the deltas; the arrays follow, little-endian.
CHUNK = POSITIONS_HEAD
#: An unsigned typecode (as ``unsigned_code`` gives it, in bytes) → its little-endian dtype.
UNSIGNED = {b"B": np.dtype("<u1"), b"H": np.dtype("<u2"), b"I": np.dtype("<u4")}
_PROTOCOL_2 = b"\x80\x02"  # how Whoosh's Positions.encode pickles a posting's deltas


def unsigned_code(top: int) -> str | None:
    """Return the typecode of the smallest unsigned type holding 0 to top (None: past 32 bits)."""
    return "B" if top < 256 else "H" if top < 65536 else "I" if top < 2 ** 32 else None


#: Lists shorter than this are recoded in Python (numpy's set-up costs more on them).
SHORT = 64


def chunk(values: list[bytes]) -> bytes:
    """Return the positions chunk of postings whose values are Whoosh ``Positions`` values (a
    count, then the pickled deltas: ``Positions.encode``, the only writer of a ``Positions``
    field's values), or b"" if they do not read as such. No step runs in Python per
    position on a long list: the write side pays this for every posting it writes."""
    # One unpickling for the whole list: every value's pickled list, its count, protocol
    # header and STOP left out, in one tuple (memo writes only, so memo numbers may repeat).
    try:
        lists = loads(_PROTOCOL_2 + b"(" + b"".join([v[_INT_SIZE + 2:-1] for v in values]) + b"t.")
    except Exception:
        return b""
    if not values or len(lists) != len(values):
        return b""
    try:
        if len(values) < SHORT:
            counts = [len(p) for p in lists]
            deltas = [d for p in lists for d in p]
            ccode, dcode = unsigned_code(max(counts)), unsigned_code(max(deltas)) if deltas else "B"
            if min(deltas, default=0) < 0:
                return b""
            out = array(ccode, counts), array(dcode, deltas)
            if not LITTLE:
                for a in out:
                    a.byteswap()
            counts_bytes, deltas_bytes = out[0].tobytes(), out[1].tobytes()
        else:
            counts = np.array(array("I", map(len, lists)))
            deltas = np.array(array("I", chain.from_iterable(lists)))  # OverflowError for a negative one
            ccode = unsigned_code(int(counts.max()))
            dcode = unsigned_code(int(deltas.max())) if len(deltas) else "B"
            counts_bytes = counts.astype(UNSIGNED[ccode.encode()]).tobytes()
            deltas_bytes = deltas.astype(UNSIGNED[dcode.encode()]).tobytes()
    except (OverflowError, TypeError):
        return b""
    return CHUNK.pack(len(lists), len(deltas), ccode.encode(), dcode.encode()) + counts_bytes + deltas_bytes


#: A part with at most this many positions is read whole (one copy, one look-up per
#: position); a longer one is read in place, only where the asked postings' positions lie.
READ_WHOLE = 4096


class _Heads(NamedTuple):
    """A term's positions parts as read: per posting its count of positions and where its
    first delta is (among all the deltas when they are read whole, else in its chunk), and
    the chunks still in the file."""

    counts: np.ndarray
    first: np.ndarray
    deltas: np.ndarray | None  # every delta (int64), for a short part
    chunks: list  # else each chunk's (segment, deltas' offset, dtype, count)
    chunk_starts: np.ndarray | None  # and its first posting


class Parts:
    """The positions parts of one term's lists (one per segment), read for any postings.

    Postings are numbered as ``postingfile.BlockPlaces`` numbers them: across the term's lists in
    the order they were added, deleted documents included."""

    def __init__(self):
        self._lists: list[tuple[int, int, int, int]] = []  # (segment, offset, length, first posting)
        # Once read (``_Heads``), set in one assignment: a part in the postings cache may be
        # read by two threads at once, and neither may see half of it.
        self._heads: _Heads | None = None

    def add(self, segment: int, offset: int, length: int, first: int) -> None:
        self._lists.append((segment, offset, length, first))

    def _read_heads(self, postfiles: list) -> _Heads:
        """Read each chunk's head and counts; the deltas too when the part is short."""
        chunks, starts, counts, short = [], [], [], []
        for segment, offset, length, posting in self._lists:
            # read in place from the file's mapped buffer (views that end with this call: the
            # arrays kept are copies), else the part in one read
            data = getattr(postfiles[segment], "_buf", None)
            base = 0 if data is not None else offset
            if data is None:
                data = postfiles[segment].get(offset, length)
            at, end = offset - base, offset - base + length
            while at < end:
                n, m, ccode, dcode = CHUNK.unpack_from(data, at)
                at += CHUNK.size
                cdtype, ddtype = UNSIGNED[ccode], UNSIGNED[dcode]
                counts.append(np.frombuffer(data, cdtype, n, at))
                at += n * cdtype.itemsize
                chunks.append((segment, base + at, ddtype, m))
                short.append(np.frombuffer(data, ddtype, m, at))
                starts.append(posting)
                at += m * ddtype.itemsize
                posting += n
        counts = np.concatenate(counts).astype(np.int64) if counts else np.empty(0, np.int64)
        ends = _running_sum(counts)
        first = ends - counts  # among all the term's deltas
        if not len(ends) or int(ends[-1]) <= READ_WHOLE:
            return _Heads(counts, first, np.concatenate(short or [[]]).astype(np.int64), [], None)
        if len(chunks) > 1:  # among their chunk's deltas
            first -= np.repeat(first[starts], np.diff(starts + [len(counts)]))
        return _Heads(counts, first, None, chunks, np.array(starts, dtype=np.int64))

    def keys(self, postfiles: list, places: np.ndarray) -> np.ndarray:
        """Return ``k << 32 | position`` for every position of the k-th of these postings, k
        in order, positions ascending within each (what ``phrases.PhraseBound`` compares).

        :param postfiles: each segment's postings file (the index version the term was read
            from); places: posting numbers."""
        heads = self._heads
        if heads is None:
            heads = self._heads = self._read_heads(postfiles)
        counts = heads.counts[places]
        ends = _running_sum(counts)
        begins = ends - counts
        total = int(ends[-1]) if len(ends) else 0
        # each position's delta: where it is (in all deltas, or in its chunk's)
        at = (heads.first[places] - begins).repeat(counts) + np.arange(total, dtype=np.int64)
        if heads.deltas is not None:
            deltas = heads.deltas[at]
        elif len(heads.chunks) == 1:
            deltas = _gather(postfiles, heads.chunks[0], at)
        else:
            deltas = np.empty(total, dtype=np.int64)
            chunk_of = (heads.chunk_starts.searchsorted(places, side="right") - 1).repeat(counts)
            for n, found in enumerate(heads.chunks):
                mine = chunk_of == n
                deltas[mine] = _gather(postfiles, found, at[mine])
        positions = _running_sum(deltas)
        positions -= np.concatenate(([0], positions))[begins].repeat(counts)  # each posting's own sum
        return (np.arange(len(places), dtype=np.int64).repeat(counts) << 32) | positions


_running_sum = np.add.accumulate


def _gather(postfiles: list, found: tuple, at: np.ndarray) -> np.ndarray:
    """Return the deltas at these places of a chunk, as int64. The file's mapped buffer is
    read in place when it has one (only the pages holding them are touched); the view
    lives only inside this call, so the file can be closed later."""
    segment, offset, dtype, m = found
    postfile = postfiles[segment]
    buf = getattr(postfile, "_buf", None)
    if buf is not None:
        return np.frombuffer(buf, dtype, m, offset)[at].astype(np.int64)
    return np.frombuffer(postfile.get(offset, m * dtype.itemsize), dtype)[at].astype(np.int64)
