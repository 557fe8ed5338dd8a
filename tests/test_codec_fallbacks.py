"""Every fall-back of the codec's fast paths, forced for real and compared with Whoosh's own
reading: where the read side finds a structure other than the one it expects (a term-table
row without the project's tag, a list without a positions part, an uncompressed block, a
file read without a memory map, a reader of another codec, a filtered matcher, a segment
without a lengths column, segments merged by Whoosh's writer…), its answer must be Whoosh's.
``indexer/codec/FORMAT.md`` lists them with the tests (here and elsewhere) that force each.
"""
from __future__ import annotations

import random

import numpy as np
import pytest
from whoosh import index, scoring
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3TermInfo, W3TermsReader, _lenfield
from whoosh.filedb.filestore import FileStorage
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import Phrase, QueryError, Term

from indexer.codec import blocks, positions
from indexer.codec.format import CHUNK_HEAD, POSITIONS_TAG, SCORING_TAG
from indexer.codec.postingfile import _ROW, BlockPlaces, field_lengths, read_postings, read_term
from indexer.model import Document
from indexer.search.scores import ArrayScores
from indexer.write import fields_of, open_or_create, write_documents, write_documents_plain

from .test_scores import whoosh_scores

WORDS = "alfa beta gamma delta eco foxtrot golf hotel".split()
THEMES = ["social-inclusion", "remittances", "diaspora"]


def make_docs(n: int, seed: int, start: int = 0, lang: str = "es", longest: int = 60) -> list[Document]:
    """Pages of random words (phrases at every distance; lists short and long), themes, and
    one page repeating a word 300 times (a weight past a byte) unless longest is under 60."""
    rng = random.Random(seed)
    docs = []
    for i in range(start, start + n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(2, longest))]
        if i == start and longest >= 60:
            words += ["eco"] * 300
        if i % 7 == 0:
            words += ["zulu", "alfa"]  # a rare word: a list under COMPRESS_MIN_POSTINGS
        docs.append(Document(id=f"file:///w/{i}", url=f"file:///w/{i}", title=f"Página {rng.choice(WORDS)} {i}",
                             lang=lang, text=" ".join(words), themes=[THEMES[i % 3]], country=["ec"],
                             type="case-study" if i % 2 else "project", source="file:///w"))
    return docs


def matcher_postings(reader, field: str, btext: bytes) -> list[tuple]:
    """(docnum, weight, value) of a term's postings, read by Whoosh's matcher."""
    m = reader.postings(field, btext)
    found = []
    while m.is_active():
        found.append((m.id(), m.weight(), m.value()))
        m.next()
    return found


def assert_scores_as_whoosh(searcher, queries) -> None:
    generation = searcher.reader().generation()
    scores = ArrayScores(0)
    for q in queries:
        mine = scores.scores(searcher, generation, q, {})
        theirs = whoosh_scores(searcher, q)
        assert mine.ids.tolist() == sorted(theirs), q
        assert mine.scores.tolist() == pytest.approx([theirs[d] for d in mine.ids.tolist()], rel=1e-12), q


QUERIES = [Term("content_any", w) for w in WORDS + ["zulu", "nada"]] + [
    Term("title_any", "pagina"), Term("content_es", "alfa"),
    Phrase("content_any", ["alfa", "beta"]), Phrase("content_any", ["zulu", "alfa"]),
    Phrase("content_any", ["eco", "eco", "eco"], slop=2), Phrase("content_es", ["golf", "hotel"], slop=3)]


def row_of(reader, field: str, btext: bytes) -> bytes:
    terms = reader._terms
    return terms._tindex[terms._keycoder(field, btext)]


def tag_of(row: bytes) -> bytes:
    return row[_ROW:_ROW + len(SCORING_TAG)]


def check_every_term(searcher, fields=None) -> dict:
    """Read every term of every field of every segment with ``read_term`` (scoring alone, and
    keeping values) and compare the docnums, weights, values and positions with Whoosh's
    matcher; return what was seen: row tags, scoring weight codes, block compression."""
    seen = {"tags": set(), "codes": set(), "compressed": set(), "terms": 0}
    for segment, (sub, _) in enumerate(searcher.leaf_searchers()):
        reader = sub.reader()
        for field, btext in reader.all_terms():
            # (a spelling field's postings only list its words: their values are whichever posting
            # Whoosh's loop wrote last, and nothing reads them; test_write compares them apart)
            if field.startswith("spell_") or (fields and field not in fields):
                continue
            expected = matcher_postings(reader, field, btext)
            for values in (False, True):
                found = BlockPlaces()
                ids, tf, keep, frequency = read_term(reader, field, btext, found, segment, values)
                assert list(zip(ids.tolist(), tf.tolist(), strict=True)) == [(d, w) for d, w, _ in expected]
                assert frequency == reader.doc_frequency(field, btext)
                if keep is not None:
                    found.kept = np.flatnonzero(keep)
                places = np.arange(len(ids))[::-1]
                assert found.values(searcher, places) == [expected[p][2] for p in places.tolist()]
                seen["compressed"].update(p[3] for p in found._places)
                keys = found.keys(searcher, places)
                if keys is not None:
                    decode = reader.schema[field].format.decode_positions
                    assert keys.tolist() == [k << 32 | p for k, place in enumerate(places.tolist())
                                             for p in decode(expected[place][2])]
            row = row_of(reader, field, btext)
            seen["tags"].add(tag_of(row))
            if tag_of(row) == SCORING_TAG:
                seen["codes"].add(CHUNK_HEAD.unpack_from(row, _ROW + len(SCORING_TAG))[2])
            elif tag_of(row) == POSITIONS_TAG:
                seen["codes"].add(CHUNK_HEAD.unpack_from(row, _ROW + len(POSITIONS_TAG) + 4)[2])
            seen["terms"] += 1
    return seen


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    """The same pages written by each writer in two segments (an English one in the second
    only: fields without a lengths column in the first), with a deletion in the first."""
    root = tmp_path_factory.mktemp("fallbacks")
    first, second = make_docs(60, 1), make_docs(30, 2, start=60, lang="en")
    for name, write in (("whoosh", write_documents_plain), ("fast", write_documents)):
        write(root / name, first, [], rebuild=True, procs=1)
        write(root / name, second, [], procs=1)
        write(root / name, [], [], remove={first[5].url}, procs=1)
    return root


def open_searcher(path, mmap: bool):
    ix = FileStorage(str(path), supports_mmap=mmap).open_index()
    return ix, ix.searcher()


@pytest.mark.parametrize("mmap", [True, False])
@pytest.mark.parametrize("writer", ["whoosh", "fast"])
def test_every_term_reads_as_whoosh_reads_it(indexes, writer, mmap, monkeypatch):
    """Rows without the project's tag (Whoosh's writer: read from the blocks; protocol-2 blocks
    cut before their values, value-less ones of ID fields unpickled whole), rows with
    SCORING_TAG (fields without positions: the blocks read for values, uncompressed when the
    list is short) or POSITIONS_TAG (positions parts, read whole or in place), weight codes
    0, B and f; the files read through the memory map (in place) or without one (term rows
    through Whoosh's hash reader, positions parts and blocks read by ``get``)."""
    ix, searcher = open_searcher(indexes / writer, mmap)
    try:
        reader = searcher.leaf_searchers()[0][0].reader()
        assert (getattr(reader._terms._tindex.dbfile, "_buf", None) is not None) == mmap
        assert len(searcher.leaf_searchers()) == 2 and searcher.reader().has_deletions()
        seen = check_every_term(searcher)
        monkeypatch.setattr(positions, "READ_WHOLE", 0)  # positions parts read in place
        check_every_term(searcher, ["content_any", "content_es", "title_en"])
        assert seen["terms"] > 50
        if writer == "whoosh":
            assert seen["tags"] - {SCORING_TAG, POSITIONS_TAG} and not seen["tags"] & {SCORING_TAG, POSITIONS_TAG}
        else:
            assert seen["tags"] == {SCORING_TAG, POSITIONS_TAG}
            assert seen["codes"] == {b"0", b"B", b"f"}
            assert seen["compressed"] == {True, False}
        assert_scores_as_whoosh(searcher, QUERIES)
    finally:
        searcher.close()
        ix.close()


def test_lists_without_a_positions_part_check_phrases_from_their_blocks(tmp_path, monkeypatch):
    """When ``positions.chunk`` declines a list (values it cannot read as Whoosh ``Positions``),
    the fast writer writes the row with SCORING_TAG and no positions part: phrases then read
    the positions from the blocks (compressed and not), as Whoosh's matcher does."""
    monkeypatch.setattr(blocks, "positions_chunk", lambda values: b"")
    write_documents(tmp_path / "ix", make_docs(80, 3), [], rebuild=True, procs=1)
    monkeypatch.undo()
    ix, searcher = open_searcher(tmp_path / "ix", True)
    try:
        seen = check_every_term(searcher, ["content_any", "content_es"])
        assert seen["tags"] == {SCORING_TAG} and seen["compressed"] == {True, False}
        assert_scores_as_whoosh(searcher, QUERIES)
    finally:
        searcher.close()
        ix.close()


def test_lists_joined_from_parts_with_and_without_positions_have_none():
    """A list joined from parts of which one has no positions part gets none (its row then
    carries SCORING_TAG); a list whose values are not ``Positions`` values gets none."""
    from whoosh.formats import Positions

    fmt = Positions()
    postings = [(d, 1.0, fmt.encode([d % 5])) for d in range(40)]
    with_part = blocks.encode(postings[:20], [1] * 20, 1024, 3, None, positions=True)
    without = blocks.encode(postings[20:], [1] * 20, 1024, 3, None, positions=False)
    assert with_part[1].positions and not without[1].positions
    data, stats = blocks.join([with_part, without])
    assert stats.positions == b"" and tag_of(stats.row(0, len(data))) == SCORING_TAG
    assert positions.chunk([b"\x00\x00\x00\x03"] * 3) == b""  # a Frequency value
    assert positions.chunk([b"\x00\x00\x00\x01 not a pickle"]) == b""


def test_a_reader_of_another_codec_is_read_through_its_matchers(tmp_path):
    """A segment of another codec (Whoosh's plain-text codec) has no W3 terms reader nor
    per-document reader: postings come from its matchers (``read_postings``) and lengths
    document by document; terms and phrases score as Whoosh's."""
    from whoosh.codec.plaintext import PlainTextCodec
    from whoosh.writing import SegmentWriter

    ix = open_or_create(tmp_path / "ix")
    writer = SegmentWriter(ix, codec=PlainTextCodec())
    for doc in make_docs(40, 4, longest=40):  # (its files hold values as text: a position of 61 breaks them)
        writer.add_document(**fields_of(doc, ix.schema))
    writer.commit()
    ix = index.open_dir(tmp_path / "ix")
    with ix.searcher() as searcher:
        reader = searcher.leaf_searchers()[0][0].reader()
        assert type(getattr(reader, "_terms", None)) is not W3TermsReader
        for field in ("content_any", "title_any", "content_es"):
            assert field_lengths(reader, field) == [reader.doc_field_length(d, field, 1) or 1
                                                    for d in range(reader.doc_count_all())]
        found = BlockPlaces()
        ids, _, keep, frequency = read_term(reader, "content_any", b"alfa", found, 0)
        assert ids.tolist() == [d for d, _, _ in matcher_postings(reader, "content_any", b"alfa")]
        assert keep is None and frequency == len(ids)
        assert_scores_as_whoosh(searcher, QUERIES)


def test_a_filter_matcher_of_deleted_documents_is_read_without_them(indexes):
    """``read_postings`` takes a matcher of a reader with deletions (a ``FilterMatcher``
    excluding them) apart: its child's postings, the deleted ones left out, with which were
    kept (places of values count the deleted postings, as ``BlockPlaces`` does)."""
    ix = index.open_dir(indexes / "fast")
    try:
        with ix.reader() as multi:
            reader = next(r for r, _ in multi.leaf_readers() if r.has_deletions())
            for word in WORDS:
                m = reader.postings("content_any", word)
                assert type(m) is FilterMatcher
                found = BlockPlaces()
                ids, tf, keep = read_postings(m, found, 0)
                expected = matcher_postings(reader, "content_any", word.encode())
                assert list(zip(ids.tolist(), tf.tolist(), strict=True)) == [(d, w) for d, w, _ in expected]
                if keep is not None:
                    found.kept = np.flatnonzero(keep)
                    assert len(keep) == len(ids) + int((~keep).sum())
                places = np.arange(len(ids))
                assert found.values(None, places) == [v for _, _, v in expected]
    finally:
        ix.close()


def test_segments_without_a_lengths_column_read_lengths_as_whoosh(indexes):
    """A field no document of a segment has: no lengths column (every length 1, as Whoosh's
    default); else the column in one piece. Both as Whoosh's ``doc_field_length``."""
    ix = index.open_dir(indexes / "fast")
    try:
        with ix.reader() as multi:
            missing = 0
            for reader, _ in multi.leaf_readers():
                for field in ("content_any", "title_any", "content_es", "content_en", "title_en", "content_fr"):
                    missing += reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN) is None
                    assert field_lengths(reader, field) == [reader.doc_field_length(d, field, 1) or 1
                                                            for d in range(reader.doc_count_all())]
            assert missing >= 3
    finally:
        ix.close()


def test_fast_segments_merged_by_whooshs_writer_read_as_whoosh(tmp_path):
    """Whoosh's own writer merging the fast writer's segments reads their blocks (protocol 5,
    arrays), ignores the rows' tags and the positions parts, and writes plain W3 rows: the
    postings are the ones an index written by Whoosh alone holds, and score as Whoosh's."""
    first, second, third = make_docs(40, 5), make_docs(40, 6, start=40), make_docs(3, 7, start=80)
    write_documents(tmp_path / "mixed", first, [], rebuild=True, procs=1)
    write_documents(tmp_path / "mixed", second, [], procs=1)
    ix = index.open_dir(tmp_path / "mixed")
    writer = ix.writer()
    for doc in third:
        writer.add_document(**fields_of(doc, ix.schema))
    writer.commit(optimize=True)  # Whoosh's writer merges the fast writer's segments with its own
    ix.close()
    write_documents_plain(tmp_path / "plain", first + second + third, [], rebuild=True)
    by_id = {}
    for name in ("mixed", "plain"):
        ix = index.open_dir(tmp_path / name)
        with ix.searcher() as searcher:
            reader = searcher.reader()
            if name == "mixed":
                assert len(searcher.leaf_searchers()) == 1
                leaf = searcher.leaf_searchers()[0][0].reader()
                assert tag_of(row_of(leaf, "content_any", b"alfa")) not in (SCORING_TAG, POSITIONS_TAG)
                assert_scores_as_whoosh(searcher, QUERIES)
            ids = {d: searcher.stored_fields(d)["id"] for d in reader.all_doc_ids()}
            by_id[name] = {(w, ids[d], weight, value) for w in WORDS + ["zulu"]
                           for d, weight, value in matcher_postings(reader, "content_any", w.encode())}
        ix.close()
    assert by_id["mixed"] == by_id["plain"]


def test_documents_merged_into_the_fast_writers_segment_keep_their_lengths(tmp_path):
    """An incremental write merges small old segments into the parent writer's own: their
    documents' lengths (for the term rows' shortest and longest) are read from the old
    segment, as Whoosh's writer reads them; the merged segment scores as Whoosh's."""
    path = tmp_path / "ix"
    for n in range(5):  # five small segments: Whoosh's policy (MERGE_SMALL) merges them at the next write
        write_documents(path, make_docs(3, 8 + n, start=3 * n, longest=20), [], rebuild=n == 0, procs=1)
    ix = index.open_dir(path)
    old = {s.segment_id() for s in ix._segments()}
    ix.close()
    assert len(old) == 5
    write_documents(path, make_docs(30, 9, start=15), [], procs=1)
    ix = index.open_dir(path)
    try:
        assert not old & {s.segment_id() for s in ix._segments()}, "the old segment merged anew"
        with ix.searcher() as searcher:
            leaves = [sub.reader() for sub, _ in searcher.leaf_searchers()]
            assert sorted(r.doc_count_all() for r in leaves) == [15, 30]
            for reader in leaves:
                for field, btext in reader.all_terms():
                    if field not in ("content_any", "title_any", "content_es"):
                        continue
                    info = reader.term_info(field, btext)
                    lengths = [reader.doc_field_length(d, field) for d in reader.postings(field, btext).all_ids()]
                    assert (info.min_length(), info.max_length()) == (min(lengths), max(lengths))
            assert_scores_as_whoosh(searcher, QUERIES)
    finally:
        ix.close()


def test_scores_of_what_the_arrays_do_not_score_are_whooshs(indexes):
    """``scores`` hands Whoosh what it does not score itself: another weighting than BM25F
    (and BM25F without the ranking's ``term_constants``: its scorer's), an unscored field
    (``theme``), a term not in the index, a phrase in a field without positions (Whoosh's
    error); the answers are Whoosh's."""
    ix = index.open_dir(indexes / "fast")
    try:
        for weighting in (scoring.BM25F(), scoring.TF_IDF()):
            with ix.searcher(weighting=weighting) as searcher:
                assert_scores_as_whoosh(searcher, QUERIES + [Term("theme", t) for t in THEMES + ["nada"]])
                assert ArrayScores(0).postings(searcher, 0, "theme", "diaspora", {}) is None
                phrase = Phrase("type", ["case-study", "project"])
                with pytest.raises(QueryError):
                    whoosh_scores(searcher, phrase)
                with pytest.raises(QueryError):
                    ArrayScores(0).scores(searcher, 0, phrase, {})
    finally:
        ix.close()


def test_whoosh_2_7_5_cannot_write_inlined_lists():
    """``read_term``'s branch for a list inlined in its term row is not reachable: W3's writer
    inlines lists shorter than ``inlinelimit`` (1: none) and, asked to inline more, calls a
    method ``W3TermInfo`` lacks. A Whoosh that can must get a test of that branch (FORMAT.md)."""
    assert not hasattr(W3TermInfo, "set_inline") and hasattr(W3TermInfo, "set_inlined")
