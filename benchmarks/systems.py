"""The systems the relevance benchmark compares, each behind ``build(...)`` and ``search(...)``.

- ``m4d-search``: the real pipeline: ``Document``s → ``write.write_documents`` (the project's
  schema and analyzers) → Whoosh index on disk → ``SearchIndex.search``.
- ``whoosh``: plain Whoosh, ``StandardAnalyzer`` (the language's stopwords, no stemming), OR, BM25F.
- ``fts5``: SQLite FTS5, ``unicode61 remove_diacritics 2`` (``porter`` first for English),
  every term quoted and OR-ed, ranked by ``bm25()``.
- ``tantivy``: Tantivy's Python bindings with a language analyzer (simple tokenizer, long-token
  removal, lower case, the language's stopwords, its Snowball stemmer, ASCII folding), OR.

Every system indexes the same paragraphs (title and text) and gets the same query string.
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

#: Weight of a title match against a body match, per peer: each peer's best of 0, 0.5, 1
#: and 2 on this benchmark (MRR@10; plain Whoosh keeps its default, 1).
TITLE_WEIGHT = {"whoosh": 1.0, "fts5": 2.0, "tantivy": 0.5}
_WORD = re.compile(r"\w+")
_LANG_NAMES = {"en": "english", "es": "spanish", "fr": "french"}


class M4dSearch:
    name = "m4d-search"

    def __init__(self, ranking=None):
        self.ranking = ranking  # an indexer.search.weighting.Ranking; None: the defaults

    def build(self, docs, lang: str, folder: Path):
        from indexer.model import Document
        from indexer.search.engine import SearchIndex
        from indexer.write import write_documents

        documents = [Document(id=d.id, url=f"https://example.org/{d.id}", title=d.title, text=d.text,
                              lang=d.lang, type="page", source="benchmark") for d in docs]
        write_documents(folder, documents, sources=["benchmark"], rebuild=True)
        return SearchIndex(folder, self.ranking)

    def search(self, handle, query: str, k: int) -> list[str]:
        return [hit["id"] for hit in handle.search(query, per_page=k)["results"]]

    def close(self, handle):
        handle.close()


class M4dPostgres(M4dSearch):
    """m4d-search's PostgreSQL store, on a throwaway local cluster (``tests/pgcluster.py``:
    Debian's server, started for the run and removed at exit)."""

    name = "m4d-postgres"
    _cluster = None
    _databases = 0

    def build(self, docs, lang: str, folder: Path):
        import atexit

        from indexer.model import Document
        from indexer.pgstore.writer import write_documents
        from indexer.stores import open_store
        from tests.pgcluster import Cluster

        if M4dPostgres._cluster is None:
            M4dPostgres._cluster = Cluster().init().start()
            atexit.register(M4dPostgres._cluster.stop)
        M4dPostgres._databases += 1
        url = M4dPostgres._cluster.create_database(f"bench{M4dPostgres._databases}")
        documents = [Document(id=d.id, url=f"https://example.org/{d.id}", title=d.title, text=d.text,
                              lang=d.lang, type="page", source="benchmark") for d in docs]
        write_documents(url, documents, sources=["benchmark"], rebuild=True)
        return open_store(url, ranking=self.ranking)


class PlainWhoosh:
    name = "whoosh"

    def build(self, docs, lang: str, folder: Path):
        from whoosh import index
        from whoosh.analysis import StandardAnalyzer
        from whoosh.fields import ID, TEXT, Schema
        from whoosh.lang.stopwords import stoplists
        from whoosh.qparser import MultifieldParser, OrGroup

        analyzer = StandardAnalyzer(stoplist=stoplists[lang])
        schema = Schema(id=ID(stored=True, unique=True), content=TEXT(analyzer=analyzer),
                        title=TEXT(analyzer=analyzer, field_boost=TITLE_WEIGHT[self.name]))
        folder.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(folder, schema)
        with ix.writer() as w:
            for d in docs:
                w.add_document(id=d.id, title=d.title, content=d.text)
        parser = MultifieldParser(["title", "content"], schema, group=OrGroup)
        return ix, ix.searcher(), parser

    def search(self, handle, query: str, k: int) -> list[str]:
        _, searcher, parser = handle
        words = _WORD.findall(query)
        if not words:
            return []
        q = parser.parse(" ".join(w.lower() for w in words))  # lower case: no AND/OR operators
        return [hit["id"] for hit in searcher.search(q, limit=k)]

    def close(self, handle):
        ix, searcher, _ = handle
        searcher.close()
        ix.close()


class Fts5:
    name = "fts5"

    def build(self, docs, lang: str, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        tokenizer = "unicode61 remove_diacritics 2"
        if lang == "en":
            tokenizer = "porter " + tokenizer
        db = sqlite3.connect(folder / "fts.db")
        db.execute(f"CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, tokenize='{tokenizer}')")
        db.executemany("INSERT INTO docs (id, title, body) VALUES (?, ?, ?)",
                       [(d.id, d.title, d.text) for d in docs])
        db.commit()
        return db

    def search(self, handle, query: str, k: int) -> list[str]:
        words = _WORD.findall(query)
        if not words:
            return []
        # Each term quoted: bare words could be FTS5 operators or column filters.
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        rows = handle.execute(
            "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0.0, ?, 1.0) LIMIT ?",
            (match, TITLE_WEIGHT[self.name], k))
        return [r[0] for r in rows]

    def close(self, handle):
        handle.close()


class Tantivy:
    name = "tantivy"

    def build(self, docs, lang: str, folder: Path):
        import tantivy

        name = _LANG_NAMES[lang]
        analyzer = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
                    .filter(tantivy.Filter.remove_long(40))
                    .filter(tantivy.Filter.lowercase())
                    .filter(tantivy.Filter.stopword(name))
                    .filter(tantivy.Filter.stemmer(name))
                    .filter(tantivy.Filter.ascii_fold())
                    .build())
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", tokenizer_name="lang")
        builder.add_text_field("body", tokenizer_name="lang")
        folder.mkdir(parents=True, exist_ok=True)
        ix = tantivy.Index(builder.build(), path=str(folder))
        ix.register_tokenizer("lang", analyzer)
        writer = ix.writer(heap_size=50_000_000, num_threads=1)
        for d in docs:
            writer.add_document(tantivy.Document(id=d.id, title=d.title, body=d.text))
        writer.commit()
        writer.wait_merging_threads()
        ix.reload()
        return ix, ix.searcher()

    def search(self, handle, query: str, k: int) -> list[str]:
        ix, searcher = handle
        words = _WORD.findall(query)
        if not words:
            return []
        q = ix.parse_query(" ".join(w.lower() for w in words), ["title", "body"],
                           field_boosts={"title": TITLE_WEIGHT[self.name]})
        return [searcher.doc(addr)["id"][0] for _, addr in searcher.search(q, k).hits]

    def close(self, handle):
        pass


SYSTEMS = {cls.name: cls for cls in (M4dSearch, M4dPostgres, PlainWhoosh, Fts5, Tantivy)}
