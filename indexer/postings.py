"""Fast postings for the writer: the same terms, positions and lengths as Whoosh's own
``add_document``, with less Python work per token.

Whoosh analyzes a field by pushing one mutable token through a chain of generators, then
pools every posting as a tuple and sorts them all at commit. Here:

- Each field's analyzer chain is compiled into a memoized ``raw token -> term | None``
  function (``termcache``: the stem cache); a chain that does not compile is left to Whoosh.
- A text is tokenized once per tokenizer pattern, not once per field (``content_es`` and
  ``content_any`` share the tokenizer).
- Postings go to a per-term dict (documents arrive in order, so each list is already
  sorted) and the field lengths stay in memory for the commit, instead of a global sort
  and a re-read of the lengths column.

``tests/test_write.py`` checks that both paths give identical postings.
"""
from __future__ import annotations

import zlib
from array import array
from pickle import dumps

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo, byte_to_length, length_to_byte
from whoosh.formats import Positions
from whoosh.system import emptybytes, pack_int, pack_long, pack_ushort
from whoosh.writing import SegmentWriter

from .termcache import CompiledChain, compile_chain

_MISSING = object()


class _FastField:
    """Index-time analysis of one text field with a compiled chain and its term cache."""

    def __init__(self, field, chain: CompiledChain, spelling: CompiledChain | None = None):
        self.chain = chain
        self.spelling = spelling  # the words as written, for a field with separate spelling
        self.expression, self.renumber = chain.expression, chain.renumber
        self.encode = field.format.encode
        self.boost = field.format.field_boost
        self.single: dict[int, bytes] = {}  # position → encoding of [position]

    def postings(self, tokens: list[str]) -> tuple[list[tuple], int]:
        """Return ``([(tbytes, freq, weight, vbytes)], length)`` for a tokenized text."""
        cache, term_of = self.chain.terms, self.chain.term
        positions: dict[str, list[int]] = {}
        pos = -1
        renumber = self.renumber
        for i, token in enumerate(tokens):
            term = cache.get(token, _MISSING)
            if term is _MISSING:
                term = term_of(token)
            if term is None:
                continue
            # StopFilter(renumber=True): the first kept token keeps its place, the
            # following ones count on from it, skipping the stopped ones.
            pos = (i if pos < 0 else pos + 1) if renumber else i
            found = positions.get(term)
            if found is None:
                positions[term] = [pos]
            else:
                found.append(pos)
        encode, boost, single = self.encode, self.boost, self.single
        out, length = [], 0
        for term, plist in positions.items():
            freq = len(plist)
            length += freq
            if freq == 1:  # most postings: one position, a handful of distinct encodings
                first = plist[0]
                vbytes = single.get(first)
                if vbytes is None:
                    vbytes = single[first] = encode(plist)
            else:
                vbytes = encode(plist)
            out.append((term.encode("utf-8"), freq, float(freq) * boost, vbytes))
        return out, length

    def spellable_words(self, tokens: list[str]) -> list[str]:
        """Return the field's spelling words of a tokenized text, as ``field.spellable_words``
        would (the chain without its morphological steps; unique, sorted)."""
        term = self.spelling.term
        return sorted({w for w in map(term, tokens) if w is not None})


def fast_fields(schema) -> dict:
    """Return field name → _FastField for each text field whose chain compiles."""
    fast = {}
    for name, field in schema.items():
        if not field.indexed or type(field.format) is not Positions or field.vector:
            continue
        compiled = compile_chain(field.analyzer)
        spelling = compile_chain(field.analyzer, no_morph=True) if field.separate_spelling() else None
        if compiled is not None and (spelling is not None or not field.separate_spelling()):
            fast[name] = _FastField(field, compiled, spelling)
    return fast


class TermPool:
    """Postings grouped by (field, term), in document order; replaces Whoosh's sorting pool."""

    def __init__(self):
        self.terms: dict[tuple[str, bytes], list] = {}
        self.fieldnames: set[str] = set()
        self.in_order = True  # False once a posting arrived before a lower docnum's

    def add(self, item):
        fieldname, tbytes, docnum, weight, vbytes = item
        self.fieldnames.add(fieldname)
        key = (fieldname, tbytes)
        found = self.terms.get(key)
        if found is None:
            self.terms[key] = [(docnum, weight, vbytes)]
        else:
            if found[-1][0] > docnum:
                self.in_order = False
            found.append((docnum, weight, vbytes))

    def add_many(self, fieldname: str, docnum: int, items: list[tuple]) -> None:
        terms = self.terms
        self.fieldnames.add(fieldname)
        for tbytes, _, weight, vbytes in items:
            key = (fieldname, tbytes)
            found = terms.get(key)
            if found is None:
                terms[key] = [(docnum, weight, vbytes)]
            else:
                found.append((docnum, weight, vbytes))

    def iter_postings(self):
        for key in sorted(self.terms):
            fieldname, tbytes = key
            for docnum, weight, vbytes in sorted(self.terms[key], key=lambda p: p[0]):
                yield fieldname, tbytes, docnum, weight, vbytes

    def cleanup(self):
        self.terms = {}

    def save(self):  # Whoosh's MpWriter API; nothing to spill
        pass


class FastSegmentWriter(SegmentWriter):
    """A SegmentWriter with compiled analysis, a per-term pool and in-memory lengths.

    It writes the same segment files as ``SegmentWriter`` (same codec), so readers cannot
    tell the difference (a block's data is pickled with protocol 5, not 2: unpickling detects
    it); ``tests/test_write.py`` compares the postings.
    """

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        self.pool = TermPool()
        self._fast = fast_fields(self.schema)
        self._lengths: dict[str, dict[int, int]] = {}

    def add_document(self, **fields):
        self._check_state()
        perdocwriter, schema, docnum = self.perdocwriter, self.schema, self.docnum
        pool, fast = self.pool, self._fast
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        tokenized: dict[tuple, list[str]] = {}
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    boost = self._field_boost(fields, fieldname, docboost)
                    ff = fast.get(fieldname) if isinstance(value, str) else None
                    if ff is not None:
                        key = (ff.expression.pattern, value)
                        tokens = tokenized.get(key)
                        if tokens is None:
                            tokens = tokenized[key] = ff.expression.findall(value)
                        items, length = ff.postings(tokens)
                        if boost != 1.0:
                            items = [(t, f, w * boost, v) for t, f, w, v in items]
                        pool.add_many(fieldname, docnum, items)
                        if not field.scorable:
                            length = 0
                    else:
                        for tbytes, freq, weight, vbytes in field.index(value):
                            if field.scorable:
                                length += freq
                            pool.add((fieldname, tbytes, docnum, weight * boost, vbytes))
                    if length:  # as the lengths column will hold it: one byte, quantized
                        self._lengths.setdefault(fieldname, {})[docnum] = byte_to_length(length_to_byte(length))
                if field.separate_spelling():
                    spellfield = field.spelling_fieldname(fieldname)
                    ff = fast.get(fieldname) if isinstance(value, str) else None
                    words = ff.spellable_words(tokens) if ff is not None else field.spellable_words(value)
                    # Whoosh gives each spelling posting the value of the field's last posting
                    # (a quirk kept, so that both writers write the same bytes)
                    last = items[-1][3] if ff is not None and items else emptybytes
                    for word in words:
                        pool.add((spellfield, word.encode("utf-8"), 0, 1, last))
                if field.vector:
                    vitems = sorted((t, w, v) for t, _, w, v in
                                    field.vector.word_values(value, field.analyzer, mode="index"))
                    perdocwriter.add_vector_items(fieldname, field, vitems)
                stored = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, field, stored if field.stored else None, length)
                column = field.column_type
                if column and stored is not None:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(stored))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self):
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        fw = self.fieldwriter
        try:
            lastfield = None
            for (fieldname, tbytes), postings in sorted(self.pool.terms.items()):
                if fieldname != lastfield:
                    if lastfield is not None:
                        fw.finish_field()
                    field = self.schema[fieldname]
                    fw.start_field(fieldname, field)
                    lastfield = fieldname
                    known = self._lengths.get(fieldname, {})
                if not self.pool.in_order:
                    postings.sort(key=lambda p: p[0])
                if not field.scorable:
                    lengths = [0] * len(postings)
                else:
                    lengths = [known.get(d) for d, _, _ in postings]
                    if None in lengths:  # documents merged in from old segments
                        lengths = [n if n is not None else (pdr.doc_field_length(d, fieldname) or 0)
                                   for n, (d, _, _) in zip(lengths, postings, strict=True)]
                _write_term(fw, tbytes, postings, lengths)
            if lastfield is not None:
                fw.finish_field()
        finally:
            fw.close()
            if pdr is not None:
                pdr.close()


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


def _write_term(fw, tbytes: bytes, postings: list[tuple], lengths: list) -> None:
    """Write one term's posting list and its term-table row as W3FieldWriter does through
    ``start_term``/``add``/``finish_term``: the same blocks (``W3PostingsWriter.
    _write_block``, ``W3TermInfo.add_block``/``to_bytes``), built a block at a time, their
    data pickled with a newer protocol (``BLOCK_PICKLE_PROTOCOL``)."""
    postfile, codec = fw._postfile, fw._codec
    limit = codec._blocklimit
    count = len(postings)
    compression = codec._compression if count >= COMPRESS_MIN_POSTINGS else 0
    fixedsize = fw._format.fixed_value_size()
    startoffset = postfile.tell()
    out = [WHOOSH3_HEADER_MAGIC]
    total, minlength, maxlength, maxweight = 0, None, 0, 0
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
        if all(w == 1.0 for w in weights):
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
            top_delta = max(deltas)
            ids_out = array("B" if top_delta < 256 else "H" if top_delta < 65536 else "I", deltas)
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
        if start + limit >= count:
            blocklength = -blocklength  # the last block
        out += (pack_int(blocklength), infobytes, databytes)
    data = emptybytes.join(out)
    postfile.write(data)
    info = _TERMINFO.pack(False, total, count, 0 if minlength is None else length_to_byte(minlength),
                          length_to_byte(maxlength), maxweight, postings[0][0], postings[-1][0])
    info += pack_long(startoffset) + pack_int(len(data))
    fw._tindex.add(pack_ushort(fw._fieldid) + tbytes, info)
