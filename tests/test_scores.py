"""Queries scored as arrays (``scores``, ``phrases``, ``topk``) against Whoosh's own
matchers, over real indexes: phrases with any slop and length, proximity bonuses checked
only for the documents that can reach the page, facet and group columns."""
from __future__ import annotations

import random

import numpy as np
import pytest
from whoosh.query import Phrase, Term

from indexer.search.engine import SearchIndex
from indexer.search.scores import Scored
from indexer.search.topk import ScoredMatches, score_plan, top
from indexer.search.versions import FacetColumn, GroupColumn
from indexer.write import write_documents, write_documents_plain

WORDS = "alfa beta gamma delta eco foxtrot golf hotel".split()


@pytest.fixture(scope="module")
def word_index(tmp_path_factory):
    """60 Spanish pages of random words from a small vocabulary (so phrases occur at every
    distance), written in two segments, with one page deleted (Whoosh then filters postings)."""
    from indexer.crawl.local import LocalCrawler
    from indexer.enrich.facets import enrich
    from indexer.parse.extract import extract
    from indexer.parse.listing import split_listing

    root = tmp_path_factory.mktemp("words")
    rng = random.Random(11)
    site = root / "site"
    site.mkdir()
    for n in range(60):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 120)))
        (site / f"p{n:02d}.html").write_text(
            f"<html lang='es'><title>Página {n}</title><p>{text}</p></html>", "utf-8")
    docs = []
    for page in LocalCrawler(str(site)):
        docs += split_listing(extract(page))
    docs = enrich(docs)
    write_documents(root / "ix", docs[:30], [], rebuild=True, procs=1)
    write_documents(root / "ix", docs[30:], [], procs=1)
    write_documents(root / "ix", [], [], remove={docs[3].url}, procs=1)  # a deletion in the first segment
    return SearchIndex(root / "ix", cache_size=0)


def whoosh_scores(searcher, q) -> dict[int, float]:
    """Return docnum → score from Whoosh's own matcher, segment by segment (as it searches)."""
    found = {}
    for sub, offset in searcher.leaf_searchers():
        m = q.matcher(sub, sub.context())
        while m.is_active():
            found[m.id() + offset] = m.score()
            m.next()
    return found


@pytest.mark.parametrize("words", [["alfa", "beta"], ["beta", "alfa"], ["gamma", "gamma"],
                                   ["alfa", "beta", "gamma"], ["eco", "golf", "eco", "hotel"]])
@pytest.mark.parametrize("slop", [1, 2, 4])
def test_phrases_match_and_score_as_whoosh(word_index, words, slop):
    searcher = word_index.searcher()
    assert len(list(searcher.leaf_searchers())) == 2 and searcher.reader().has_deletions()
    for field in ("content_any", "content_es"):
        terms = words if field == "content_any" else [word_index._builder.stem("es", w) for w in words]
        q = Phrase(field, terms, slop=slop, boost=0.7)
        mine = word_index._scores.scores(searcher, searcher.reader().generation(), q)
        theirs = whoosh_scores(searcher, q)
        assert mine is not None and len(theirs) > 0 or words == ["eco", "golf", "eco", "hotel"]
        assert mine.ids.tolist() == sorted(theirs)
        assert mine.scores.tolist() == pytest.approx([theirs[d] for d in mine.ids.tolist()], rel=1e-12)


def test_terms_score_as_whoosh_with_deletions(word_index):
    searcher = word_index.searcher()
    for word in WORDS:
        q = Term("content_any", word, boost=0.5)
        mine = word_index._scores.scores(searcher, searcher.reader().generation(), q)
        theirs = whoosh_scores(searcher, q)
        assert mine.ids.tolist() == sorted(theirs)
        assert mine.scores.tolist() == pytest.approx([theirs[d] for d in mine.ids.tolist()], rel=1e-12)


@pytest.mark.parametrize("q", ["alfa beta", "gamma delta eco", "beta alfa golf hotel", "foxtrot"])
def test_proximity_checked_lazily_ranks_as_scoring_everything(word_index, q):
    """ScoredMatches checks a proximity bonus only where it can change the page; its order must be
    the order of the whole query scored for every match, under any filter."""
    searcher = word_index.searcher()
    generation = searcher.reader().generation()
    plan = word_index.parse(q)
    assert plan.proximity or q == "foxtrot"
    memo: dict = {}
    ranked, _ = score_plan(word_index._scores, searcher, generation, plan, memo)
    full = word_index._scores.scores(searcher, generation, plan.query, {})
    rng = random.Random(len(q))
    size = searcher.doc_count_all()
    for share in (1.0, 0.5, 0.1):
        allow = np.array([rng.random() < share for _ in range(size)])
        keep = allow[full.ids]
        expected = top(full.ids[keep], full.scores[keep], None)
        assert list(ranked.stream(allow)) == expected
        for limit in (1, 3, 10):
            assert ranked.top(allow, limit) == expected[:limit]


def test_ranked_without_bonuses_is_plain_top():
    ranked = ScoredMatches(Scored(np.array([1, 4, 5, 9]), np.array([0.5, 2.0, 2.0, 1.0])))
    allow = np.ones(10, dtype=bool)
    assert ranked.top(allow, 3) == [(2.0, 4), (2.0, 5), (1.0, 9)]  # ties to the lower docnum
    allow[4] = False
    assert list(ranked.stream(allow)) == [(2.0, 5), (1.0, 9), (0.5, 1)]


@pytest.mark.parametrize("single", [False, True])
def test_facet_and_group_columns_equal_set_algebra(single):
    """single: each document holds one value at most (counted from a value per document)."""
    rng = random.Random(2)
    size = 200
    sets = {v: frozenset(rng.sample(range(size), rng.randint(0, 40))) for v in ("ec", "mx", "pe", "fr", "none")}
    sets["none"] = frozenset()
    if single:
        sets = {v: d - frozenset().union(*[e for u, e in sets.items() if u < v]) for v, d in sets.items()}
    column = FacetColumn(sets, size)
    assert (column.value_of is not None) == single
    members = {f"g{n}": frozenset(rng.sample(range(size), 3)) for n in range(20)}
    members = {g: d - frozenset().union(*[m for h, m in members.items() if h < g]) for g, d in members.items()}
    members = {g: d for g, d in members.items() if d}
    group_of = {d: g for g, docs in members.items() for d in docs}
    group_col = GroupColumn(members, size)
    for _ in range(20):
        chosen = set(rng.sample(range(size), rng.randint(0, size)))
        mask = np.zeros(size, dtype=bool)
        mask[list(chosen)] = True
        assert column.counts(mask) == {v: len(d & chosen) for v, d in sets.items() if d & chosen}
        assert set(np.flatnonzero(column.mask(["ec", "pe", "unknown"])).tolist()) == sets["ec"] | sets["pe"]
        reach = chosen | {d for g in {group_of[d] for d in chosen if d in group_of} for d in members[g]}
        assert set(np.flatnonzero(group_col.with_versions(mask)).tolist()) == reach
        assert group_col.distinct(mask) == len({group_of.get(d, d) for d in chosen})


def test_cached_postings_give_the_same_answers(site_index_dir):
    """The budgeted cache keeps postings (docnums, scores, positions) across searches."""
    cold = SearchIndex(site_index_dir, cache_size=0)
    warm = SearchIndex(site_index_dir, cache_size=64)
    for q in ["migración desarrollo", "desarrollo local", '"inclusión social"', "remesas familias Loja"] * 2:
        a, b = cold.search(q), warm.search(q + " ")  # another answer-cache key: the plan and postings are reused
        assert [(r["id"], r["score"], r["snippet"]) for r in a["results"]] == \
            [(r["id"], r["score"], r["snippet"]) for r in b["results"]]
        assert a["facets"] == b["facets"] and a["total"] == b["total"]
    assert warm._scores._held > 0 and cold._scores._held == 0


@pytest.mark.parametrize("how", ["whoosh", "two processes"])
def test_lists_of_several_blocks_read_as_whoosh_reads_them(tmp_path, how, monkeypatch):
    """Posting lists of up to 400 postings: Whoosh's writer cuts them into blocks of 128; the
    fast writer's blocks hold 1,024 (see the next test), so here its lists span blocks because
    two processes each write part of a list, joined block for block, and its term-table rows
    carry the docnums and weights apart (one scoring chunk per part). Read in one piece, from
    the blocks or from the row, the docnums, weights and positions are the ones Whoosh's
    matcher gives."""
    from indexer.codec import positions
    from indexer.codec.postingfile import BlockPlaces, read_term
    from indexer.model import Document

    rng = random.Random(5)
    docs = [Document(id=f"file:///w/{n}", url=f"file:///w/{n}", title=f"Página {n}", lang="es",
                     text=" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 40))), source="file:///w")
            for n in range(400)]
    (write_documents_plain if how == "whoosh" else write_documents)(tmp_path / "ix", docs, [], rebuild=True, procs=2)
    ix = SearchIndex(tmp_path / "ix", cache_size=0)
    searcher = ix.searcher()
    reader = searcher.reader()
    several = 0
    for word in WORDS:
        m = reader.postings("content_any", word)
        expected = []
        while m.is_active():
            expected.append((m.id(), m.weight(), m.value()))
            m.next()
        for values in (False, True):  # scoring alone (the row's chunks when there are), or positions too
            blocks = BlockPlaces()
            ids, tf, keep, frequency = read_term(reader, "content_any", word.encode(), blocks, 0, values)
            assert list(zip(ids.tolist(), tf.tolist(), strict=True)) == [(d, w) for d, w, _ in expected]
            assert keep is None and frequency == len(expected)
            # the fast writer's rows are read alone, their blocks not yet
            assert (blocks._places[0][3] is None) == (how == "two processes")
            places = np.arange(len(ids))[::-1]  # any order, blocks read as they come
            assert blocks.values(searcher, places) == [expected[p][2] for p in places.tolist()]
            several += values and len(blocks._starts) > 1  # resolved by values()
            # positions as arrays: from the list's positions part (the fast writer's), one
            # chunk per process, for any postings in any order, read whole or in place
            decode = searcher.schema["content_any"].format.decode_positions
            for whole in (10 ** 9, 0):
                monkeypatch.setattr(positions, "READ_WHOLE", whole)
                blocks = BlockPlaces()
                read_term(reader, "content_any", word.encode(), blocks, 0, values)
                for chosen in (places, np.array(sorted(rng.sample(range(len(ids)), 7)))):
                    keys = blocks.keys(searcher, chosen)
                    if how == "whoosh":
                        assert keys is None
                        continue
                    assert len(blocks.parts._heads.chunks) == (0 if whole else 2)
                    assert keys.tolist() == [k << 32 | p for k, place in enumerate(chosen.tolist())
                                             for p in decode(expected[place][2])]
    assert several == len(WORDS), "every list must span blocks"


def test_fast_writer_lists_longer_than_a_block_read_as_whoosh_reads_them(tmp_path):
    """The fast writer cuts a posting list into blocks of ``BLOCK_POSTINGS`` (1,024; Whoosh's
    writer 128): 2,500 short pages in one process, all sharing a word, give lists of three
    blocks. Whoosh's own matcher walks those blocks; the array reader (``read_term``: docnums,
    weights, positions from the blocks and from the positions part) and the engine's scores
    of terms and phrases across block boundaries agree with it."""
    from indexer.codec.blocks import BLOCK_POSTINGS
    from indexer.codec.postingfile import BlockPlaces, read_term
    from indexer.model import Document

    count = 2500
    rng = random.Random(17)
    docs = [Document(id=f"file:///k/{n}", url=f"file:///k/{n}", title=f"P{n}", lang="es", source="file:///k",
                     text=" ".join(rng.sample(WORDS, 3) + ["kilo"] + rng.sample(WORDS, 2)))
            for n in range(count)]
    write_documents(tmp_path / "ix", docs, [], rebuild=True, procs=1)
    ix = SearchIndex(tmp_path / "ix", cache_size=0)
    searcher = ix.searcher()
    reader = searcher.reader()
    assert len(list(searcher.leaf_searchers())) == 1, "one segment, one process: blocks come from the block size"
    decode = searcher.schema["content_any"].format.decode_positions
    for word in ["kilo", "alfa"]:
        m = reader.postings("content_any", word)
        expected, sizes, size = [], [], 0
        while m.is_active():
            expected.append((m.id(), m.weight(), m.value()))
            size += 1
            if m.next():  # Whoosh's matcher left a block (for the next one, or the end)
                sizes.append(size)
                size = 0
        assert len(expected) == reader.doc_frequency("content_any", word) > BLOCK_POSTINGS
        assert sizes == [min(BLOCK_POSTINGS, len(expected) - at) for at in range(0, len(expected), BLOCK_POSTINGS)]
        assert len(sizes) >= 2 and (word != "kilo" or len(sizes) == 3)
        for values in (False, True):
            blocks = BlockPlaces()
            ids, tf, keep, frequency = read_term(reader, "content_any", word.encode(), blocks, 0, values)
            assert list(zip(ids.tolist(), tf.tolist(), strict=True)) == [(d, w) for d, w, _ in expected]
            assert keep is None and frequency == len(expected)
            places = np.array(sorted(rng.sample(range(len(ids)), 50)) + [BLOCK_POSTINGS - 1, BLOCK_POSTINGS])
            keys = blocks.keys(searcher, places)
            assert keys.tolist() == [k << 32 | p for k, place in enumerate(places.tolist())
                                     for p in decode(expected[place][2])]
            assert blocks.values(searcher, places) == [expected[p][2] for p in places.tolist()]
            assert len(blocks._starts) == len(sizes)  # the blocks, resolved by values()
    generation = reader.generation()
    phrases = [Phrase("content_any", ["kilo", "alfa"]), Phrase("content_any", ["alfa", "kilo"], slop=2),
               Phrase("content_any", ["beta", "kilo", "alfa"], slop=3)]
    for q in [Term("content_any", "kilo"), Term("content_any", "alfa")] + phrases:
        mine = ix._scores.scores(searcher, generation, q, {})
        theirs = whoosh_scores(searcher, q)
        assert len(theirs) > 50 and max(theirs) > BLOCK_POSTINGS, q  # matches in more than one block
        assert mine.ids.tolist() == sorted(theirs)
        assert mine.scores.tolist() == pytest.approx([theirs[d] for d in mine.ids.tolist()], rel=1e-12)
    assert ix.search("kilo", per_page=1)["total"] == count


def test_segments_of_both_writers_score_and_match_phrases_as_whoosh(tmp_path):
    """An index with a segment from Whoosh's writer (rows without docnums: read from the
    blocks) and one from the fast writer (read from the rows, blocks found when a phrase asks
    for positions): terms and phrases over both give Whoosh's matches and scores."""
    from indexer.codec.blocks import POSITIONS_TAG
    from indexer.codec.postingfile import _ROW
    from indexer.model import Document

    rng = random.Random(9)
    docs = [Document(id=f"file:///m/{n}", url=f"file:///m/{n}", title=f"Página {n}", lang="es",
                     text=" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 60))), source=f"file:///m{n % 2}")
            for n in range(300)]
    write_documents_plain(tmp_path / "ix", docs[:150], [], rebuild=True)
    write_documents(tmp_path / "ix", docs[150:], [], procs=1)
    ix = SearchIndex(tmp_path / "ix", cache_size=0)
    searcher = ix.searcher()
    readers = [sub.reader() for sub, _ in searcher.leaf_searchers()]
    rows = [r._terms._tindex[r._terms._keycoder("content_any", b"alfa")] for r in readers]
    scoring = sorted(row[_ROW:_ROW + len(POSITIONS_TAG)] == POSITIONS_TAG for row in rows)
    assert len(readers) == 2 and scoring == [False, True], "one segment of each writer"
    generation = searcher.reader().generation()
    phrases = [Phrase("content_any", ["alfa", "beta"], slop=1), Phrase("content_any", ["alfa", "beta"], slop=3),
               Phrase("content_any", ["golf", "eco", "golf"])]
    for q in [Term("content_any", w) for w in WORDS] + phrases:
        mine = ix._scores.scores(searcher, generation, q, {})
        theirs = whoosh_scores(searcher, q)
        assert mine.ids.tolist() == sorted(theirs)
        assert mine.scores.tolist() == pytest.approx([theirs[d] for d in mine.ids.tolist()], rel=1e-12)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 128])
@pytest.mark.parametrize("weights", ["none", "one", "each"])
def test_blocks_unpickled_without_their_values(count, weights):
    """A W3 block is a pickled (ids, weights, values); scoring skips the values (positions),
    and a block laid out otherwise is left to the whole unpickling."""
    import pickle

    from indexer.codec.postingfile import _without_values

    ids = tuple(range(1, count + 1))
    w = {"none": None, "one": 2.0, "each": tuple(float(i % 3 + 1) for i in range(count))}[weights]
    values = tuple(bytes([0, 0, 0, 1]) + pickle.dumps([i], 2) for i in range(count))
    data = pickle.dumps((ids, w, values), 2)
    assert _without_values(data, count) == (ids, w, None)
    assert _without_values(pickle.dumps((ids, w, None), 2), count) is None  # no values to skip
    assert _without_values(data, count + 1) is None  # not the block it claims to be


def test_phrases_of_rare_and_frequent_words(tmp_path):
    """Short lists (recoded in Python) and long ones (with numpy) both get positions parts; a
    phrase of a rare word and a frequent one matches and scores as Whoosh's."""
    from indexer.codec.positions import SHORT
    from indexer.model import Document

    rng = random.Random(21)
    docs = []
    for n in range(120):
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 50))]
        if n % 20 == 0:  # a rare word, before and after a frequent one
            words[1:1] = ["zulu", "alfa", "zulu"]
        docs.append(Document(id=f"file:///z/{n}", url=f"file:///z/{n}", title=f"Página {n}", lang="es",
                             text=" ".join(words), source="file:///z"))
    write_documents(tmp_path / "ix", docs, [], rebuild=True, procs=1)
    ix = SearchIndex(tmp_path / "ix", cache_size=0)
    searcher = ix.searcher()
    generation = searcher.reader().generation()
    rare = ix._scores.postings(searcher, generation, "content_any", "zulu", {})
    common = ix._scores.postings(searcher, generation, "content_any", "alfa", {})
    assert len(rare) < SHORT <= len(common)
    assert rare.blocks.parts is not None and common.blocks.parts is not None
    for words in (["zulu", "alfa"], ["alfa", "zulu"], ["zulu", "alfa", "zulu"], ["beta", "zulu"]):
        q = Phrase("content_any", words)
        mine = ix._scores.scores(searcher, generation, q, {})
        theirs = whoosh_scores(searcher, q)
        assert mine.ids.tolist() == sorted(theirs) and (len(theirs) or words == ["beta", "zulu"])
        assert mine.scores.tolist() == pytest.approx([theirs[d] for d in mine.ids.tolist()], rel=1e-12)


def test_term_rows_read_in_place_equal_whooshs_lookup(site_index):
    """``postingfile.term_row`` finds every term-table row Whoosh's hash reader finds, and
    no row for keys the table lacks."""
    from indexer.codec.postingfile import term_row

    searcher = site_index.searcher()
    for sub, _ in searcher.leaf_searchers():
        table = sub.reader()._terms._tindex
        assert getattr(table.dbfile, "_buf", None) is not None, "the in-place path must be the one tested"
        items = list(table.items())
        assert len(items) > 1000
        assert all(term_row(table, key) == value for key, value in items)
        for key, _ in items[::50]:
            for other in (key + b"x", key[:-1], b"\x00" + key):
                if other not in table:
                    with pytest.raises(KeyError):
                        term_row(table, other)
