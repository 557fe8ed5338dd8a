"""A term's postings read from Whoosh's W3 index, as numpy arrays.

A term-table row the fast writer wrote carries the list's docnums and weights after W3's
own fields (``blocks``): they are read from it. Otherwise the list is read in one piece
from Whoosh's postings file: blocks of postings, each a pickled (ids as deltas, weights,
values) tuple, zlib-compressed when the list is long, whose ids and weights become arrays
without a matcher call per posting (a protocol-2 block, Whoosh's own writer's, is cut
before its values: unpickling them is most of the work). The values (each posting's
positions) are read only when a phrase needs them (``BlockPlaces``): from the list's positions
part when it has one (``positions``), else from its blocks. Deleted documents are left
out, as Whoosh's reader does.
"""
from __future__ import annotations

import struct
import threading
import zlib
from array import array
from hashlib import md5
from io import BytesIO
from pickle import load, loads
from typing import NamedTuple

import numpy as np
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3TermInfo,
    W3TermsReader,
    _lenfield,
    byte_to_length,
)
from whoosh.filedb.filetables import md5_hash
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.system import _INT_SIZE, _LONG_SIZE, unpack_int, unpack_uint

from indexer.codec.format import CHUNK_HEAD, POSITIONS_TAG, SCORING_TAG
from indexer.codec.positions import UNSIGNED, Parts

#: A non-inlined term-table row's length before what follows W3's fields.
_ROW = W3TermInfo._struct.size + _LONG_SIZE + _INT_SIZE
_CHUNK_WEIGHTS = {b"B": np.dtype("<u1"), b"f": np.dtype("<f4")}
_RESOLVING = threading.Lock()

_running_sum = np.add.accumulate

EMPTY_IDS = np.empty(0, np.int64)
EMPTY_WEIGHTS = np.empty(0, np.float64)


class Postings(NamedTuple):
    """A term's docnums (sorted), unboosted scores, and where to read their positions."""

    ids: np.ndarray
    scores: np.ndarray
    blocks: BlockPlaces

    def __len__(self) -> int:
        return len(self.ids)


class BlockPlaces:
    """Where each block of a term's postings lies, so that the positions (Whoosh's values)
    of a few postings can be read without unpickling those of all the others."""

    def __init__(self):
        self.size = 0  # postings so far, deleted ones included
        self._starts: list[int] = []  # each block's first posting
        self._places: list[tuple] = []  # each block's (segment number, offset, length, compressed)
        self._read: dict[int, tuple] = {}  # block number → its values, once read
        self.kept: np.ndarray | None = None  # per posting kept, its place among all (None: the same)
        self.parts: Parts | None = Parts()  # the lists' positions parts; None once a list has none

    def add(self, segment: int, offset: int, length: int, compressed: bool, count: int, values=None) -> None:
        self.parts = None
        if values is not None:
            self._read[len(self._starts)] = values
        self._starts.append(self.size)
        self._places.append((segment, offset, length, compressed))
        self.size += count

    def add_list(self, segment: int, offset: int, length: int, count: int,
                 positions: tuple[int, int] | None = None) -> None:
        """Add a whole posting list whose blocks were not read: where they lie is read when
        a value is first asked. positions: where its positions part lies (offset, length)."""
        if positions is None:
            self.parts = None
        elif self.parts is not None:
            self.parts.add(segment, *positions, self.size)
        self._starts.append(self.size)
        self._places.append((segment, offset, length, None))
        self.size += count

    def _resolve(self, searcher) -> None:
        """Replace each whole list by its blocks (their headers read, not their data)."""
        with _RESOLVING:
            if all(p[3] is not None for p in self._places):
                return
            readers = [sub.reader() for sub, _ in searcher.leaf_searchers()]
            starts, places, read = [], [], {}
            for n, (start, (segment, offset, length, compressed)) in enumerate(
                    zip(self._starts, self._places, strict=True)):
                if compressed is not None:
                    if n in self._read:
                        read[len(starts)] = self._read[n]
                    starts.append(start)
                    places.append((segment, offset, length, compressed))
                    continue
                data = readers[segment]._terms._postfile.get(offset, length)
                for head, end, block_compressed, count, _ in _block_heads(data, offset):
                    starts.append(start)
                    places.append((segment, offset + head, end - head, block_compressed))
                    start += count
            self._starts, self._places, self._read = starts, places, read

    def keys(self, searcher, places: np.ndarray) -> np.ndarray | None:
        """Return ``k << 32 | position`` for every position of the postings at these places
        (of the term's kept postings), k their order, from the lists' positions parts
        (``positions.Parts.keys``); None when a list has none (then read the ``values``)."""
        if self.parts is None:
            return None
        postfiles = [sub.reader()._terms._postfile for sub, _ in searcher.leaf_searchers()]
        return self.parts.keys(postfiles, places if self.kept is None else self.kept[places])

    def values(self, searcher, places: np.ndarray) -> list[bytes]:
        """Return the values of the postings at these places (of the term's kept postings),
        reading each block they are in once, from this searcher's segments (the term was read
        from the same index version)."""
        if any(p[3] is None for p in self._places):
            self._resolve(searcher)
        places = places if self.kept is None else self.kept[places]
        blocks = np.searchsorted(self._starts, places, side="right") - 1
        readers = None
        out = []
        for place, block in zip(places.tolist(), blocks.tolist(), strict=True):
            values = self._read.get(block)
            if values is None:
                if readers is None:
                    readers = [sub.reader() for sub, _ in searcher.leaf_searchers()]
                segment, offset, length, compressed = self._places[block]
                data = readers[segment]._terms._postfile.get(offset, length)
                values = self._read[block] = _block_values(loads(zlib.decompress(data) if compressed else data))
            out.append(values[place - self._starts[block]])
        return out


def read_term(reader, fieldname: str, btext: bytes, blocks: BlockPlaces, segment: int,
              values: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int]:
    """Return a term's postings in one segment as ``read_postings`` does, and its document
    frequency there (deleted documents counted, as Whoosh's idf counts them). A row the fast
    writer wrote carries the docnums and weights (``blocks``): they are read from it, and the
    blocks (with the positions) only when a value is asked. Otherwise the whole posting list
    is read in one piece from where the row says it lies: no matcher is built (which costs
    the look-up twice). Raises TermNotFound.

    :param reader: a segment reader (another reader goes through its matcher).
    :param values: when the blocks are read, keep the positions of those unpickled whole."""
    terms = getattr(reader, "_terms", None)
    if type(terms) is not W3TermsReader or fieldname not in reader.schema:
        found = read_postings(reader.postings(fieldname, btext), blocks, segment)
        return (*found, reader.doc_frequency(fieldname, btext))
    try:
        row = term_row(terms._tindex, terms._keycoder(fieldname, btext))
    except KeyError:
        raise TermNotFound(f"No term {fieldname}:{btext!r}") from None
    info = W3TermInfo.from_bytes(row)
    if info.is_inlined():
        found, weights, posting_values = info.inlined_postings()
        blocks.add(segment, 0, 0, False, len(found), tuple(posting_values))
        ids, tf = np.array(found, dtype=np.int64), np.array(weights, dtype=np.float64)
    else:
        offset, length = info.extent()
        if type(length) is tuple:  # W3TermInfo.from_bytes leaves the length as struct.unpack's tuple
            length = length[0]
        tag = row[_ROW:_ROW + len(SCORING_TAG)]
        if tag == SCORING_TAG:  # positions read later, where asked, from the blocks
            ids, tf = _scoring(row, _ROW + len(SCORING_TAG))
            blocks.add_list(segment, offset, length, len(ids))
        elif tag == POSITIONS_TAG:  # … or from the positions part after them
            at = _ROW + len(POSITIONS_TAG)
            ids, tf = _scoring(row, at + _INT_SIZE)
            part = (offset + length, unpack_uint(row[at:at + _INT_SIZE])[0])
            blocks.add_list(segment, offset, length, len(ids), part)
        else:
            ids, tf = _read_blocks(terms._postfile, offset, length, blocks, segment, values)
    keep = None
    deleted = reader.deleted_docs_set
    if deleted:
        keep = ~np.isin(ids, np.fromiter(deleted, np.int64, len(deleted)))
        ids, tf = ids[keep], tf[keep]
    return ids, tf, keep, info.doc_frequency()


_POINTER = struct.Struct("!Iq")  # a hash slot: the key's hash, where its item is
_LENGTHS = struct.Struct("!ii")  # an item: its key's and value's lengths


def term_row(tindex, key: bytes) -> bytes:
    """Return the term-table row of key, as ``HashReader.__getitem__`` does (an md5 hash
    picks one of 256 tables, open addressing within it), read in place from the file's
    mapped buffer: no copy per slot or key compared, one hash digest, no generators (2 µs
    instead of 4.5, a dozen times a query). Another hash or file goes through Whoosh.
    Raises KeyError."""
    buf = getattr(tindex.dbfile, "_buf", None)
    if buf is None or tindex.hashfn is not md5_hash:
        return tindex[key]
    keyhash = int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")  # md5_hash's
    tablestart, numslots = tindex.tables[keyhash & 255]
    if numslots:
        size = _POINTER.size
        end = tablestart + numslots * size
        slot = tablestart + ((keyhash >> 8) % numslots) * size
        for _ in range(numslots):
            slothash, item = _POINTER.unpack_from(buf, slot)
            if not item:
                break
            if slothash == keyhash:
                keylen, datalen = _LENGTHS.unpack_from(buf, item)
                start = item + _LENGTHS.size
                if keylen == len(key) and buf[start:start + keylen] == key:
                    return bytes(buf[start + keylen:start + keylen + datalen])
            slot += size
            if slot == end:
                slot = tablestart
    raise KeyError(key)


def _read_blocks(postfile, offset: int, length: int, blocks: BlockPlaces, segment: int,
                 values: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return the docnums and weights of a posting list written at offset, from its blocks."""
    data = postfile.get(offset, length)
    delta_parts, weight_parts, lasts = [], [], []
    for start, end, compressed, n, maxid in _block_heads(data, offset):
        raw = data[start:end]
        block = _decoded(zlib.decompress(raw) if compressed else raw, n)
        blocks.add(segment, offset + start, end - start, compressed, n,
                   _block_values(block) if values and block[2] is not None else None)
        _arrays(block, n, delta_parts, weight_parts)
        lasts.append(maxid)
    return _joined(delta_parts, weight_parts, lasts)


def _block_heads(data: bytes, offset: int):
    """Yield each block of a posting list's bytes as (start, end of its data, compressed,
    postings, last docnum). W3's layout: a magic tag, then blocks, each its length
    (negative for the last), a pickled info tuple and the block's pickle, zlib-compressed
    when the info says so."""
    if data[:4] != WHOOSH3_HEADER_MAGIC:
        raise ValueError(f"postings at {offset}: bad block tag {data[:4]!r}")
    stream = BytesIO(data)
    at, last = 4, False
    while not last and at < len(data):
        size = unpack_int(data[at:at + _INT_SIZE])[0]
        last = size < 0
        end = at + _INT_SIZE + abs(size)
        stream.seek(at + _INT_SIZE)
        n, maxid, _maxweight, compressed = load(stream)[:4]
        yield stream.tell(), end, bool(compressed), n, maxid
        at = end


def _scoring(row: bytes, at: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the docnums and weights a term-table row's scoring chunks hold (``blocks``)."""
    id_parts, weight_parts = [], []
    end = len(row)
    while at < end:
        n, code, wcode = CHUNK_HEAD.unpack_from(row, at)
        at += CHUNK_HEAD.size
        dtype = UNSIGNED[code]
        # the ufunc's own method: np.cumsum's dispatch costs more than the sum on short lists
        id_parts.append(_running_sum(np.frombuffer(row, dtype, n, at), dtype=np.int64))
        at += n * dtype.itemsize
        if wcode == b"0":
            weight_parts.append(np.ones(n))
        else:
            dtype = _CHUNK_WEIGHTS[wcode]
            weight_parts.append(np.frombuffer(row, dtype, n, at).astype(np.float64))
            at += n * dtype.itemsize
    if len(id_parts) == 1:
        return id_parts[0], weight_parts[0]
    return np.concatenate(id_parts), np.concatenate(weight_parts)


def _decoded(data: bytes, n: int) -> tuple:
    """Unpickle a block: protocol 2 (Whoosh's writer) cut before its values, newer (ours) whole."""
    return _without_values(data, n) or loads(data)


def _arrays(block: tuple, n: int, delta_parts: list, weight_parts: list) -> None:
    """Append a block's id deltas and weights as arrays (ours are arrays already, Whoosh's tuples)."""
    deltas, weights, _ = block
    delta_parts.append(np.frombuffer(deltas, deltas.typecode) if type(deltas) is array
                       else np.array(deltas, dtype=np.int64))
    if weights is None:
        weight_parts.append(np.ones(n))
    elif isinstance(weights, float):
        weight_parts.append(np.full(n, weights))
    elif type(weights) is array:
        weight_parts.append(np.frombuffer(weights, weights.typecode))
    else:
        weight_parts.append(np.array(weights, dtype=np.float64))


def _joined(delta_parts: list, weight_parts: list, lasts: list) -> tuple[np.ndarray, np.ndarray]:
    """Return the docnums and weights of a posting list's blocks. Each block's deltas start
    from 0 (whoosh's delta_decode, block by block), so a block's first delta is its first
    docnum: less the block before's last docnum (lasts: each block's, from its info), the
    deltas run on across blocks and one running sum decodes them all."""
    if not delta_parts:
        return EMPTY_IDS, EMPTY_WEIGHTS
    if len(delta_parts) == 1:
        return np.cumsum(delta_parts[0], dtype=np.int64), weight_parts[0].astype(np.float64, copy=False)
    deltas = np.concatenate(delta_parts, dtype=np.int64)
    starts = np.cumsum([len(d) for d in delta_parts[:-1]])
    deltas[starts] -= lasts[:-1]
    return np.cumsum(deltas), np.concatenate(weight_parts).astype(np.float64, copy=False)


def read_postings(m, blocks: BlockPlaces, segment: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Return the docnums (int64) and weights (float64) of a matcher's postings without
    deleted documents, and which postings were kept (None: all), one posting at a time, with
    their values (for a reader that is not W3's: W3's is read by ``read_term``)."""
    excluded = None
    if type(m) is FilterMatcher and m._exclude:
        m, excluded = m.child, m._ids
    found, weights, values = [], [], []
    while m.is_active():
        found.append(m.id())
        weights.append(m.weight())
        values.append(m.value())
        m.next()
    blocks.add(segment, 0, 0, False, len(found), tuple(values))
    ids, tf = np.array(found, dtype=np.int64), np.array(weights, dtype=np.float64)
    keep = None
    if excluded:
        keep = ~np.isin(ids, np.fromiter(excluded, np.int64, len(excluded)))
        ids, tf = ids[keep], tf[keep]
    return ids, tf, keep


def _block_values(block: tuple) -> tuple:
    """Return the values of an unpickled W3 block (ids, weights, values), one per posting."""
    deltas, _, values = block
    if values is None:  # fixed-size values of size 0
        return (None,) * len(deltas)
    if isinstance(values, bytes):  # fixed-size values, joined
        size = len(values) // len(deltas)
        return tuple(values[i:i + size] for i in range(0, len(values), size))
    return values


#: Where a block's values start in its pickle, (ids, weights, values) in protocol 2: each
#: value is a bytes object, which protocol 2 pickles as a call of this function.
_BYTES_CALL = b"c_codecs\nencode\n"


def _without_values(data: bytes, count: int):
    """Return a block's (ids, weights, None), unpickling everything but its values (the
    positions: most of the work, and not needed to score), or None if the block is not laid
    out as expected (then the caller unpickles it all)."""
    if data[:2] != b"\x80\x02":  # a newer protocol stores bytes as bytes: cheap to unpickle whole
        return None
    at = data.find(_BYTES_CALL)
    if at < 0:
        return None
    if count > 3:  # a tuple of over three items opens with a MARK
        at -= 1
        if data[at:at + 1] != b"(":
            return None
    try:
        ids, weights, _ = loads(data[:at] + b"N\x87.")  # None for the values, TUPLE3, STOP
    except Exception:
        return None
    if len(ids) != count or not (weights is None or isinstance(weights, float) or len(weights) == count):
        return None
    return ids, weights, None


def field_lengths(reader, fieldname: str) -> list[int]:
    """Return every document's length in fieldname for one segment reader, as BM25F reads it:
    the lengths column read in one piece (one byte per document), else document by document."""
    count = reader.doc_count_all()
    try:
        column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        raw = column._dbfile.get(column._basepos, column._count) if column is not None else b""
        if column is not None and (column._fixedlen != 1 or len(raw) != column._count):
            raise ValueError("unexpected lengths column")
    except (AttributeError, ValueError):
        return [reader.doc_field_length(d, fieldname, 1) or 1 for d in range(count)]
    lengths = [byte_to_length(b) or 1 for b in raw]
    return lengths + [1] * (count - len(lengths))
