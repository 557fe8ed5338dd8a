"""Fast postings for the writer: the same terms, positions and lengths as Whoosh's own
``add_document``, with less Python work per token.

Whoosh analyzes a field by pushing one mutable token through a chain of generators, then
pools every posting as a tuple and sorts them all at commit. Here:

- Each field's analyzer chain is compiled into a memoized ``raw token -> term | None``
  function (``text.chains``: the stem cache); a chain that does not compile is left to Whoosh.
- A text is tokenized once per tokenizer pattern, not once per field (``content_es`` and
  ``content_any`` share the tokenizer).
- Postings go to a per-term dict (documents arrive in order, so each list is already
  sorted) and the field lengths stay in memory for the commit, instead of a global sort
  and a re-read of the lengths column.

``tests/test_write.py`` checks that both paths give identical postings.
"""
from __future__ import annotations

import heapq
from itertools import groupby

from whoosh.codec.whoosh3 import byte_to_length, length_to_byte
from whoosh.formats import Positions
from whoosh.system import emptybytes, pack_ushort
from whoosh.writing import SegmentWriter

from indexer.codec import blocks
from indexer.text.chains import CompiledChain, compile_chain

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


def field_names(fields: dict) -> list[str]:
    """Return the names of a document's fields, in order, leaving out Whoosh's ``_``
    options (boosts, stored values)."""
    return sorted(name for name in fields if not name.startswith("_"))


class DocumentAnalyzer:
    """The postings side of ``add_document``: each field of a document analyzed into a
    ``TermPool``, with its length. No per-document file is touched, so worker processes can
    analyze batches of documents numbered as they will be in one segment."""

    def __init__(self, schema):
        self.schema = schema
        self.fast = fast_fields(schema)
        self.pool = TermPool()
        self.lengths: dict[str, dict[int, int]] = {}  # field → docnum → length, quantized as stored

    def add(self, docnum: int, fields: dict, fieldnames: list[str]) -> dict[str, int]:
        """Add a document's postings and return each field's length (as the per-document
        writer takes it). Boosts as Whoosh's writer reads them: ``_boost`` for the document,
        ``_<field>_boost`` for one field."""
        schema, pool, fast = self.schema, self.pool, self.fast
        docboost = float(fields.get("_boost", 1.0))
        tokenized: dict[tuple, list[str]] = {}
        out = {}
        for fieldname in fieldnames:
            value = fields.get(fieldname)
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            ff = fast.get(fieldname) if isinstance(value, str) else None
            if field.indexed:
                boost = float(fields.get(f"_{fieldname}_boost", docboost))
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
                    self.lengths.setdefault(fieldname, {})[docnum] = byte_to_length(length_to_byte(length))
            if field.separate_spelling():
                spellfield = field.spelling_fieldname(fieldname)
                words = ff.spellable_words(tokens) if ff is not None else field.spellable_words(value)
                # Whoosh gives each spelling posting the value of the field's last posting
                # (a quirk kept, so that both writers write the same bytes)
                last = items[-1][3] if ff is not None and items else emptybytes
                for word in words:
                    pool.add((spellfield, word.encode("utf-8"), 0, 1, last))
            out[fieldname] = length
        return out

    def lists(self, limit: int, compression: int, length_of=None):
        """Yield ((fieldname, term bytes), bytes, ``blocks.ListStats``) of each posting list, in
        term-table order; length_of(docnum, fieldname): the length of a document the analyzer
        did not see (one merged in from an old segment)."""
        pool, schema = self.pool, self.schema
        lastfield = None
        for key, postings in sorted(pool.terms.items()):
            fieldname = key[0]
            if fieldname != lastfield:
                field, lastfield = schema[fieldname], fieldname
                known = self.lengths.get(fieldname, {})
                fixedsize = field.format.fixed_value_size()
            if not pool.in_order:
                postings.sort(key=lambda p: p[0])
            if not field.scorable:
                lengths = [0] * len(postings)
            else:
                lengths = [known.get(d) for d, _, _ in postings]
                if None in lengths and length_of is not None:
                    lengths = [n if n is not None else length_of(d, fieldname)
                               for n, (d, _, _) in zip(lengths, postings, strict=True)]
            yield (key, *blocks.encode(postings, lengths, limit, compression, fixedsize,
                                       type(field.format) is Positions))


#: zlib level of the stored fields. W3 deflates each document's stored fields at level 3;
#: a result page then spends 15 µs a hit inflating them (a third of making the hit a
#: result, with its snippet). Level 0 writes deflate's stored blocks, which Whoosh's reader
#: inflates as it does any level (a copy: 1.3 µs), for about 1.2 KB more a document.
STORED_LEVEL = 0


def _store_uncompressed(perdocwriter) -> None:
    """Have W3's per-document writer deflate stored fields at ``STORED_LEVEL``."""
    writer = getattr(perdocwriter, "_colwriters", {}).get("_stored")
    child = getattr(writer, "_child", None)
    if child is not None and hasattr(child, "_level") and hasattr(child, "_compress"):
        child._level = STORED_LEVEL


class FastSegmentWriter(SegmentWriter):
    """A SegmentWriter with compiled analysis, a per-term pool and in-memory lengths.

    It writes the same segment files as ``SegmentWriter`` (same codec), so readers cannot
    tell the difference (a block's data is pickled with protocol 5, not 2: unpickling detects
    it); ``tests/test_write.py`` compares the postings. It can also take documents analyzed
    elsewhere (``add_analyzed``) with their posting lists (``add_lists``): the parts of one
    segment written by several processes.
    """

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        self.analyzer = DocumentAnalyzer(self.schema)
        self.pool = self.analyzer.pool
        self._parts: list = []  # iterables of posting lists from other processes
        _store_uncompressed(self.perdocwriter)

    def add_document(self, **fields):
        self._add(fields)

    def add_analyzed(self, fields: dict, lengths: dict[str, int]) -> None:
        """Add a document whose postings another process wrote: its stored fields, lengths
        and columns only."""
        self._add(fields, lengths)

    def _add(self, fields: dict, lengths: dict[str, int] | None = None) -> None:
        """Add a document: analyzed here when its field lengths are not given."""
        self._check_state()
        fieldnames = field_names(fields)
        self._check_fields(self.schema, fieldnames)
        self.perdocwriter.start_doc(self.docnum)
        try:
            if lengths is None:
                lengths = self.analyzer.add(self.docnum, fields, fieldnames)
            self._add_perdoc(fields, fieldnames, lengths)
        except Exception:
            self.perdocwriter.cancel_doc()
            raise
        self.perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def add_lists(self, lists) -> None:
        """Add an iterable of (key, bytes, ListStats) posting lists in term-table order
        (``DocumentAnalyzer.lists``) over documents added with ``add_analyzed``; parts of one
        term from several iterables are joined in the order the iterables were added."""
        self._parts.append(lists)

    def _add_perdoc(self, fields: dict, fieldnames: list[str], lengths: dict[str, int]) -> None:
        schema, perdocwriter = self.schema, self.perdocwriter
        for fieldname in fieldnames:
            value = fields.get(fieldname)
            if value is None:
                continue
            field = schema[fieldname]
            if field.vector:
                vitems = sorted((t, w, v) for t, _, w, v in
                                field.vector.word_values(value, field.analyzer, mode="index"))
                perdocwriter.add_vector_items(fieldname, field, vitems)
            stored = fields.get(f"_stored_{fieldname}", value)
            perdocwriter.add_field(fieldname, field, stored if field.stored else None, lengths.get(fieldname, 0))
            column = field.column_type
            if column and stored is not None:
                perdocwriter.add_column_value(fieldname, column, field.to_column_value(stored))

    def _flush_segment(self):
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        fw = self.fieldwriter
        codec = fw._codec
        try:
            def length_of(docnum: int, fieldname: str) -> int:  # a document merged in from an old segment
                return pdr.doc_field_length(docnum, fieldname) or 0 if pdr is not None else 0
            sources = [self.analyzer.lists(blocks.BLOCK_POSTINGS, codec._compression, length_of)] + self._parts
            merged = heapq.merge(*sources, key=lambda item: item[0]) if len(sources) > 1 else sources[0]
            lastfield = None
            for (fieldname, tbytes), parts in groupby(merged, key=lambda item: item[0]):
                if fieldname != lastfield:
                    if lastfield is not None:
                        fw.finish_field()
                    fw.start_field(fieldname, self.schema[fieldname])
                    lastfield = fieldname
                data, stats = blocks.join([(data, stats) for _, data, stats in parts])
                offset = fw._postfile.tell()
                fw._postfile.write(data)
                if stats.positions:  # right after the blocks (``positions``)
                    fw._postfile.write(stats.positions)
                fw._tindex.add(pack_ushort(fw._fieldid) + tbytes, stats.row(offset, len(data)))
            if lastfield is not None:
                fw.finish_field()
        finally:
            fw.close()
            if pdr is not None:
                pdr.close()
