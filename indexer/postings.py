"""Fast postings for the writer: the same terms, positions and lengths as Whoosh's own
``add_document``, with less Python work per token.

Whoosh analyzes a field by pushing one mutable token through a chain of generators, then
pools every posting as a tuple and sorts them all at commit. Here:

- An analyzer chain made only of parts whose behaviour is known (``RegexTokenizer``,
  ``LowercaseFilter``, ``StopFilter``, our ``SnowballFilter``, ``CharsetFilter``) is
  *compiled* into one ``raw token -> term | None`` function, memoized per field: word
  frequencies are Zipfian, so most tokens are a dict hit (the stem cache). A chain with any
  other part is left to Whoosh, so a changed analyzer is never indexed wrongly, only slower.
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

from whoosh.analysis import CharsetFilter, CompositeAnalyzer, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo, byte_to_length, length_to_byte
from whoosh.formats import Positions
from whoosh.system import emptybytes, pack_ushort
from whoosh.writing import SegmentWriter

from .analyze import SnowballFilter

#: Memoized tokens per field before the cache starts over (bounds memory on huge crawls).
TERM_CACHE_SIZE = 400_000
_STOPPED = None


def compile_chain(analyzer):
    """Return ``(pattern, term_of, renumber)`` for a chain of known parts, or None.

    ``term_of(raw_token)`` gives the indexed term, or None for a stopped token;
    ``renumber`` tells whether positions skip stopped tokens (StopFilter's default).
    """
    items = analyzer.items if isinstance(analyzer, CompositeAnalyzer) else [analyzer]
    tokenizer, filters = items[0], items[1:]
    if type(tokenizer) is not RegexTokenizer or tokenizer.gaps:
        return None
    steps, renumber, stops = [], False, 0
    for f in filters:
        kind = type(f)
        if kind is LowercaseFilter:
            steps.append(("map", str.lower))
        elif kind is StopFilter:
            stops += 1
            renumber = f.renumber
            steps.append(("stop", (f.stops, f.min, f.max)))
        elif kind is SnowballFilter:
            steps.append(("map", f.stemmer()))
        elif kind is CharsetFilter:
            charmap = f.charmap
            steps.append(("map", lambda text, charmap=charmap: text.translate(charmap)))
        else:
            return None
    if stops > 1:
        return None

    def term_of(token: str):
        for kind, arg in steps:
            if kind == "map":
                token = arg(token)
            else:
                stoplist, minsize, maxsize = arg
                if len(token) < minsize or (maxsize is not None and len(token) > maxsize) or token in stoplist:
                    return _STOPPED
        return token

    return tokenizer.expression, term_of, renumber


class _FastField:
    """Index-time analysis of one text field with a compiled chain and a term cache."""

    def __init__(self, field, compiled):
        self.expression, self.term_of, self.renumber = compiled
        self.encode = field.format.encode
        self.boost = field.format.field_boost
        self.cache: dict[str, str | None] = {}
        self.single: dict[int, bytes] = {}  # position → encoding of [position]

    def postings(self, tokens: list[str]) -> tuple[list[tuple], int]:
        """Return ``([(tbytes, freq, weight, vbytes)], length)`` for a tokenized text."""
        cache, term_of = self.cache, self.term_of
        if len(cache) > TERM_CACHE_SIZE:
            cache.clear()
        positions: dict[str, list[int]] = {}
        pos = -1
        renumber = self.renumber
        for i, token in enumerate(tokens):
            try:
                term = cache[token]
            except KeyError:
                term = cache[token] = term_of(token)
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


def fast_fields(schema) -> dict:
    """Return field name → _FastField for each text field whose chain compiles."""
    fast = {}
    for name, field in schema.items():
        if not field.indexed or type(field.format) is not Positions or field.vector:
            continue
        if field.separate_spelling():
            continue
        compiled = compile_chain(field.analyzer)
        if compiled is not None:
            fast[name] = _FastField(field, compiled)
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
    tell the difference; ``tests/test_write.py`` compares the postings.
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
                    for word in field.spellable_words(value):
                        pool.add((spellfield, word.encode("utf-8"), 0, 1, emptybytes))
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


class _BlockStats:
    """What ``W3TermInfo.add_block`` reads off a block of postings."""

    __slots__ = ("_weights", "_ids", "_minlength", "_maxlength", "_maxweight")

    def __init__(self, ids, weights, minlength, maxlength, maxweight):
        self._ids, self._weights = ids, weights
        self._minlength, self._maxlength, self._maxweight = minlength, maxlength, maxweight

    def __len__(self):
        return len(self._ids)

    def min_id(self):
        return self._ids[0]

    def max_id(self):
        return self._ids[-1]

    def min_length(self):
        return self._minlength

    def max_length(self):
        return self._maxlength

    def max_weight(self):
        return self._maxweight


def _write_term(fw, tbytes: bytes, postings: list[tuple], lengths: list) -> None:
    """Write one term's posting list and its term-table row as W3FieldWriter does through
    ``start_term``/``add``/``finish_term`` (same blocks, same bytes), in whole blocks."""
    postfile, codec = fw._postfile, fw._codec
    limit = codec._blocklimit
    compression = codec._compression if len(postings) >= COMPRESS_MIN_POSTINGS else 0
    fixedsize = fw._format.fixed_value_size()
    terminfo = W3TermInfo()
    startoffset = postfile.tell()
    postfile.write(WHOOSH3_HEADER_MAGIC)
    count = len(postings)
    for start in range(0, count, limit):
        chunk = postings[start:start + limit]
        ids = array("I", [d for d, _, _ in chunk])
        raw = [w for _, w, _ in chunk]
        weights = array("f", raw)
        top = max(raw)
        maxweight = top if top > 0 else 0
        present = [n for n in lengths[start:start + limit] if n]
        minlength = min(present) if present else None
        maxlength = max(present) if present else 0
        terminfo.add_block(_BlockStats(ids, weights, minlength, maxlength, maxweight))

        deltas, base = [], 0
        for d in ids:
            deltas.append(d - base)
            base = d
        if all(w == 1.0 for w in weights):
            mini_weights = None
        elif all(w == weights[0] for w in weights):
            mini_weights = weights[0]
        else:
            mini_weights = tuple(weights)
        values = [v for _, _, v in chunk if v]
        if fixedsize is None or fixedsize < 0:
            mini_values = tuple(values)
        elif fixedsize == 0:
            mini_values = None
        else:
            mini_values = emptybytes.join(values)
        databytes = dumps((tuple(deltas), mini_weights, mini_values), 2)
        if compression:
            databytes = zlib.compress(databytes, compression)
        infobytes = dumps((len(ids), ids[-1], maxweight, compression,
                           length_to_byte(minlength), length_to_byte(maxlength)), 2)
        blocklength = len(infobytes) + len(databytes)
        if start + limit >= count:
            blocklength = -blocklength  # the last block
        postfile.write_int(blocklength)
        postfile.write(infobytes)
        postfile.write(databytes)
    terminfo.set_extent(startoffset, postfile.tell() - startoffset)
    fw._tindex.add(pack_ushort(fw._fieldid) + tbytes, terminfo.to_bytes())
