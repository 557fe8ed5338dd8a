"""A posting list's bytes as Whoosh's W3 codec lays them out, for the fast writer: encoded
from a term's postings, and joined from the parts that several writer processes encoded.

Each term-table row also carries the list's docnums and weights without their positions
(``scoring``): Whoosh's reader reads a row's fixed fields and the list's place and ignores
what follows, while the read side (``postingfile.read_term``) scores from it without
decompressing or unpickling the blocks, which hold every posting's positions. A list of a
``Positions`` field is also followed, in the postings file, by its positions as arrays
(``positions``), for phrase checks.

A W3 posting list is a magic tag, then blocks of up to 128 postings. Each block is its
length (negative for the last block), a pickled info tuple and its data: a pickled (id
deltas, weights, values) tuple, zlib-compressed when the info says so. A block's deltas
start from 0, so a block holds absolute docnums and can be moved as it is: a list split
between processes by docnum range is joined by concatenating the parts' blocks, the last
block of each part but the last marked as not last, with one term-table row for the whole.
"""
from __future__ import annotations

import zlib
from array import array
from itertools import pairwise
from pickle import dumps
from typing import NamedTuple

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo, length_to_byte
from whoosh.system import _INT_SIZE, emptybytes, pack_int, pack_long, pack_uint, unpack_int

from indexer.codec.format import CHUNK_HEAD, POSITIONS_TAG, SCORING_TAG
from indexer.codec.positions import LITTLE, unsigned_code
from indexer.codec.positions import chunk as positions_chunk

#: Postings per block. Whoosh's writer puts 128; its reader takes blocks of any length. Each
#: block costs a fixed ~15 µs to read (its info, zlib's set-up, unpickling), which 1024 pays
#: eight times less often on a long list; measured on the 10k corpus, query p95 -7%, and the
#: index is 4% smaller. A phrase check unpickles the positions of whole blocks, so blocks
#: are not made longer still.
BLOCK_POSTINGS = 1024
#: Posting lists shorter than this are written uncompressed: zlib's set-up cost exceeds
#: what it saves on a few bytes (each block's header records its level; readers follow it).
COMPRESS_MIN_POSTINGS = 16
#: Pickle protocol of a block's data. Whoosh writes protocol 2, which pickles each bytes value
#: (a posting's positions) as a call of ``_codecs.encode``: unpickling a block then costs about
#: 120 µs. Protocol 5 stores bytes as bytes: 9 µs, and a third smaller once compressed. The
#: ids (deltas, in the smallest unsigned type that holds them) and weights of a compressed
#: (long) list go as ``array`` objects, one piece of bytes each, which the read side takes as
#: numpy arrays without a step per posting. Whoosh's reader reads both layouts (it
#: unpickles, then indexes and iterates the sequences).
BLOCK_PICKLE_PROTOCOL = 5

_TERMINFO = W3TermInfo._struct


def scoring_chunk(deltas: list[int], weights: array, ones: bool) -> bytes:
    """Return the scoring chunk of postings: their docnum deltas (the first one absolute) and
    weights (float32); ones: every weight is 1.0."""
    code = unsigned_code(max(deltas))
    out = array(code, deltas)
    if ones:
        wcode, wout = b"0", None
    elif all(w.is_integer() and 0 <= w <= 255 for w in weights):
        wcode, wout = b"B", array("B", [int(w) for w in weights])
    else:
        wcode, wout = b"f", weights
    if not LITTLE:
        out.byteswap()
        if wout is not None:
            wout = array(wout.typecode, wout)
            wout.byteswap()
    head = CHUNK_HEAD.pack(len(deltas), code.encode("ascii"), wcode)
    return head + out.tobytes() + (wout.tobytes() if wout is not None else b"")


class ListStats(NamedTuple):
    """What a term-table row says of a posting list, where its last block starts, and its
    scoring chunks."""

    weight: float  # total weight
    count: int  # postings
    minlength: int | None  # shortest field length of its documents (None: none known)
    maxlength: int
    maxweight: float
    first: int  # first and last docnum
    last: int
    last_block: int  # offset of the last block's length within the list's bytes
    scoring: bytes  # its scoring chunks (``scoring_chunk``), one per part joined
    positions: bytes = b""  # its positions part (``positions.chunk``, one per part joined); b"": none

    def row(self, offset: int, length: int) -> bytes:
        """Return the term-table row of this list, its blocks written at offset, length bytes
        long (its positions part, if any, right after them)."""
        info = _TERMINFO.pack(False, self.weight, self.count,
                              0 if self.minlength is None else length_to_byte(self.minlength),
                              length_to_byte(self.maxlength), self.maxweight, self.first, self.last)
        if self.positions:
            return (info + pack_long(offset) + pack_int(length) + POSITIONS_TAG + pack_uint(len(self.positions))
                    + self.scoring)
        return info + pack_long(offset) + pack_int(length) + SCORING_TAG + self.scoring


def encode(postings: list[tuple], lengths: list, limit: int, compression: int,
           fixedsize: int | None, positions: bool = False) -> tuple[bytes, ListStats]:
    """Return one term's posting list as W3's bytes and its statistics, as W3's writer builds
    them (``W3PostingsWriter._write_block``, ``W3TermInfo.add_block``), a block at a time,
    the data pickled with ``BLOCK_PICKLE_PROTOCOL``.

    :param postings: (docnum, weight, value bytes), in docnum order.
    :param lengths: each posting's document's field length (0 or None: unknown).
    :param limit: postings per block; compression: zlib's level for a long list (0: none).
    :param fixedsize: the field format's fixed value size (None or negative: variable).
    :param positions: the values are Whoosh ``Positions`` values: write a positions part too."""
    count = len(postings)
    compression = compression if count >= COMPRESS_MIN_POSTINGS else 0
    out = [WHOOSH3_HEADER_MAGIC]
    at = len(WHOOSH3_HEADER_MAGIC)
    total, minlength, maxlength, maxweight = 0, None, 0, 0
    last_block = at
    for start in range(0, count, limit):
        chunk = postings[start:start + limit] if count > limit else postings
        ids = [d for d, _, _ in chunk]
        raw = [w for _, w, _ in chunk]
        weights = array("f", raw)
        top = max(raw)
        block_maxweight = top if top > 0 else 0
        present = [n for n in (lengths[start:start + limit] if count > limit else lengths) if n]
        block_min = min(present) if present else None
        block_max = max(present) if present else 0
        total += sum(weights)
        minlength = block_min if minlength is None else min(minlength, block_min)
        maxlength = max(maxlength, block_max)
        maxweight = max(maxweight, block_maxweight)

        deltas, base = [], 0
        for d in ids:
            deltas.append(d - base)
            base = d
        ones = all(w == 1.0 for w in weights)
        if ones:
            mini_weights = None
        elif all(w == weights[0] for w in weights):
            mini_weights = weights[0]
        else:
            mini_weights = weights  # an array('f'): its bytes, pickled in one piece
        if fixedsize is None or fixedsize < 0:
            mini_values = tuple([v for _, _, v in chunk if v])
        elif fixedsize == 0:
            mini_values = None
        else:
            mini_values = emptybytes.join([v for _, _, v in chunk if v])
        if compression:  # a long list: arrays (a short one stays tuples: an array's pickle costs ~60 bytes)
            ids_out = array(unsigned_code(max(deltas)), deltas)
        else:
            ids_out = tuple(deltas)
            if type(mini_weights) is array:
                mini_weights = tuple(mini_weights)
        databytes = dumps((ids_out, mini_weights, mini_values), BLOCK_PICKLE_PROTOCOL)
        if compression:
            databytes = zlib.compress(databytes, compression)
        infobytes = dumps((len(ids), ids[-1], block_maxweight, compression,
                           length_to_byte(block_min), length_to_byte(block_max)), 2)
        blocklength = len(infobytes) + len(databytes)
        last_block = at
        if start + limit >= count:
            blocklength = -blocklength  # the last block
        out += (pack_int(blocklength), infobytes, databytes)
        at += _INT_SIZE + len(infobytes) + len(databytes)
    if count <= limit:  # one block: its deltas and weights are the list's
        scoring = scoring_chunk(deltas, weights, ones)
    else:
        ids = [d for d, _, _ in postings]
        weights = array("f", [w for _, w, _ in postings])
        scoring = scoring_chunk([ids[0]] + [b - a for a, b in pairwise(ids)], weights,
                                all(w == 1.0 for w in weights))
    part = positions_chunk([v for _, _, v in postings]) if positions else b""
    stats = ListStats(total, count, minlength, maxlength, maxweight, postings[0][0], postings[-1][0], last_block,
                      scoring, part)
    return emptybytes.join(out), stats


def join(parts: list[tuple[bytes, ListStats]]) -> tuple[bytes, ListStats]:
    """Return one posting list made of parts, each a list of the same term over a later
    range of docnums than the one before (as ``encode`` returns them)."""
    if len(parts) == 1:
        return parts[0]
    magic = len(WHOOSH3_HEADER_MAGIC)
    out = [WHOOSH3_HEADER_MAGIC]
    at = last_block = magic
    weight = count = maxlength = maxweight = 0
    minlength = None
    final = len(parts) - 1
    for n, (data, stats) in enumerate(parts):
        if not data.startswith(WHOOSH3_HEADER_MAGIC):
            raise ValueError("a posting list part without W3's block tag")
        cut = stats.last_block
        last_block = at + cut - magic
        if n < final:  # its last block is no longer the list's last
            size = unpack_int(data[cut:cut + _INT_SIZE])[0]
            if size >= 0:
                raise ValueError("a posting list part whose last block is not marked last")
            out += (data[magic:cut], pack_int(-size), data[cut + _INT_SIZE:])
        else:
            out.append(data[magic:])
        at += len(data) - magic
        weight += stats.weight
        count += stats.count
        if stats.minlength is not None and (minlength is None or stats.minlength < minlength):
            minlength = stats.minlength
        maxlength = max(maxlength, stats.maxlength)
        maxweight = max(maxweight, stats.maxweight)
    part = b"".join([s.positions for _, s in parts]) if all(s.positions for _, s in parts) else b""
    stats = ListStats(weight, count, minlength, maxlength, maxweight, parts[0][1].first, parts[-1][1].last,
                      last_block, b"".join([s.scoring for _, s in parts]), part)
    return emptybytes.join(out), stats
