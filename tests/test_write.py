"""The fast writer (compiled analysis, per-term pool, whole-block postings, worker
processes) writes the same index as Whoosh's own writer (``write_documents_plain``)."""
from __future__ import annotations

import json
import random

import pytest
from whoosh import index

from indexer import write
from indexer.codec.postings import fast_fields
from indexer.model import Document
from indexer.pipeline import read_documents
from indexer.schema import build_schema, link_bytes, link_fields, text_fields
from indexer.text.analyzers import SnowballFilter
from indexer.text.chains import compile_chain

from .conftest import SITE


def site_documents() -> list[Document]:
    return read_documents(str(SITE))


@pytest.fixture(scope="module")
def many_docs() -> list[Document]:
    """180 documents recombined from the bundled site's sentences: posting lists longer than
    one of Whoosh's 128-posting blocks (the fast writer's blocks hold 1,024: its lists longer
    than that are checked in test_scores), compressed and not, stopwords, accents, repeats."""
    rng = random.Random(7)
    base = site_documents()
    sentences = [s for d in base for s in d.text.split(". ") if s]
    docs = []
    for n in range(180):
        model = base[n % len(base)]
        text = ". ".join(rng.sample(sentences, rng.randint(1, 6)))
        docs.append(Document(id=f"{model.id}?copy={n}", url=model.url, title=model.title, text=text,
                             lang=model.lang, type=model.type, country=model.country, themes=model.themes,
                             keywords=model.keywords, group=model.group, source="file:///copies"))
    return docs


def dump(index_dir) -> dict:
    """Every term's statistics and postings, every document's stored fields and lengths."""
    ix = index.open_dir(index_dir)
    try:
        with ix.reader() as r:
            terms = {}
            for field, term in r.all_terms():
                info = r.term_info(field, term)
                m = r.postings(field, term)
                postings = []
                while m.is_active():
                    # A spelling field's postings only list its words; Whoosh gives them the
                    # value of whichever posting its loop wrote last, which nothing reads.
                    value = None if field.startswith("spell_") else m.value()
                    postings.append((m.id(), m.weight(), value))
                    m.next()
                terms[field, term] = (info.weight(), info.doc_frequency(), info.min_length(),
                                      info.max_length(), info.max_weight(), info.min_id(), info.max_id(),
                                      postings)
            docs = {}
            links = r.column_reader("link", translate=False)
            for docnum in r.all_doc_ids():
                stored = r.stored_fields(docnum)
                docs[docnum] = (stored, [r.doc_field_length(docnum, f) for f in text_fields()], links[docnum])
            totals = {f: r.field_length(f) for f in text_fields()}
        return {"terms": terms, "docs": docs, "totals": totals}
    finally:
        ix.close()


def test_every_text_field_takes_the_fast_path():
    schema = build_schema()
    assert sorted(fast_fields(schema)) == sorted(text_fields()), \
        "an analyzer has a part chains.compile_chain does not know: that field is indexed the slow way"


def test_an_unknown_filter_falls_back_to_whoosh():
    from whoosh.analysis import RegexTokenizer, StripFilter

    assert compile_chain(RegexTokenizer() | StripFilter()) is None


def test_fast_writer_writes_the_same_index_as_whoosh(tmp_path, many_docs):
    write.write_documents_plain(tmp_path / "plain", many_docs, [], rebuild=True)
    write.write_documents(tmp_path / "fast", many_docs, [], rebuild=True, procs=1)
    plain, fast = dump(tmp_path / "plain"), dump(tmp_path / "fast")
    long_lists = [t for t, v in plain["terms"].items() if v[1] > 128]
    assert long_lists, "the sample must have lists of several of Whoosh's 128-posting blocks"
    assert fast == plain
    assert all(link_fields(link) == [stored["id"], stored["lang"], stored["url"], stored["title"]]
               for stored, _, link in fast["docs"].values())


def test_link_column_layouts():
    """The link column's layout, the JSON one of older indexes, and control characters."""
    value = link_bytes("file:///a b/c", "es", "file:///a%20b/c", "Título\x1f con\x1e marcas\n")
    assert link_fields(value) == ["file:///a b/c", "es", "file:///a%20b/c", "Título  con  marcas "]
    assert link_fields(json.dumps(["i", "fr", "u", "T\u00e9"]).encode()) == ["i", "fr", "u", "Té"]
    assert link_fields(link_bytes("i", "en", "u", "")) == ["i", "en", "u", ""]


def segments(index_dir) -> int:
    ix = index.open_dir(index_dir)
    try:
        return len(ix._segments())
    finally:
        ix.close()


def test_worker_processes_write_one_segment_the_same_as_whoosh(tmp_path, many_docs):
    write.write_documents_plain(tmp_path / "plain", many_docs, [], rebuild=True)
    write.write_documents(tmp_path / "two", many_docs, [], rebuild=True, procs=2)
    assert segments(tmp_path / "two") == 1  # the two processes' posting lists joined
    plain, two = dump(tmp_path / "plain"), dump(tmp_path / "two")
    across = [t for t, v in two["terms"].items() if v[5] < 90 <= v[6]]
    assert across, "the sample must have lists with postings on both sides of the split"
    assert two == plain


def test_batches_analyzed_apart_join_into_one_segment(tmp_path, many_docs, monkeypatch):
    monkeypatch.setattr(write, "BATCH_MAX_DOCS", 50)  # four batches, analyzed in this process
    monkeypatch.setattr(write, "LISTS_PER_CHUNK", 7)  # each batch's lists written in many chunks
    write.write_documents_plain(tmp_path / "plain", many_docs, [], rebuild=True)
    write.write_documents(tmp_path / "batches", many_docs, [], rebuild=True, procs=1)
    assert segments(tmp_path / "batches") == 1
    assert dump(tmp_path / "batches") == dump(tmp_path / "plain")
    assert not list((tmp_path / "batches").glob("MAIN.lists-*")), "the batches' list files are removed"


def test_naive_mode_uses_pure_python_stemmers_without_cache():
    from benchmarks.naive import naive_stemmers  # the indexing benchmark's baseline

    schema = build_schema()
    naive_stemmers(schema)
    stem = next(f for f in schema["content_es"].analyzer.items if isinstance(f, SnowballFilter))._stem
    assert type(stem.__self__).__module__ == "snowballstemmer.spanish_stemmer"
    assert stem("migraciones") == "migracion"


def test_update_replaces_documents_and_keeps_the_others(tmp_path, many_docs):
    path = tmp_path / "ix"
    write.write_documents(path, many_docs[:120], ["file:///copies"], rebuild=True, procs=2)
    changed = [Document(**{**d.__dict__, "title": "Changed title"}) for d in many_docs[100:160]]
    counts = write.write_documents(path, changed, [], procs=2)
    assert counts == {"added": 60, "deleted": 0}
    ix = index.open_dir(path)
    try:
        with ix.searcher() as s:
            assert s.doc_count() == 160
            titles = {f["id"]: f["title"] for f in s.all_stored_fields()}
    finally:
        ix.close()
    assert titles[many_docs[110].id] == "Changed title"
    assert titles[many_docs[10].id] == many_docs[10].title



def test_fast_writer_stores_fields_uncompressed(tmp_path, many_docs):
    """The fast writer deflates stored fields at level 0 (stored blocks, read by Whoosh's own
    reader as any level); Whoosh's writer at its level 3. Both hold the same fields."""
    import zlib

    from whoosh.codec.whoosh3 import STORED_COLUMN
    from whoosh.columns import VarBytesColumn

    write.write_documents_plain(tmp_path / "plain", many_docs[:50], [], rebuild=True)
    write.write_documents(tmp_path / "fast", many_docs[:50], [], rebuild=True, procs=1)
    raw = {}
    for name in ("plain", "fast"):
        ix = index.open_dir(tmp_path / name)
        with ix.reader() as reader:
            column = reader._perdoc._cached_reader("_stored", STORED_COLUMN)._child
            raw[name] = [VarBytesColumn.Reader.__getitem__(column, d) for d in range(reader.doc_count_all())]
            assert [reader.stored_fields(d)["id"] for d in range(len(raw[name]))] == [d.id for d in many_docs[:50]]
        ix.close()
    assert all(blob[:2] == b"\x78\x01" for blob in raw["fast"])  # zlib's header of levels 0-1
    assert all(blob[:2] == b"\x78\x5e" for blob in raw["plain"])  # levels 2-5
    assert [zlib.decompress(b) for b in raw["fast"]] == [zlib.decompress(b) for b in raw["plain"]]
