"""The engines m4d-search is measured against, fed the same extracted documents.

- ``whoosh-plain``: Whoosh with its default analyzer (``StandardAnalyzer``: tokenize,
  lowercase, English stopwords), one title and one body field, the plain writer.
- ``sqlite-fts5``: a ``docs`` table (what Datasette serves and facets; theme and country are
  plain indexed columns, since each document of the scale corpora has one of each, which is
  Datasette's fastest way to facet them) and an external-content FTS5 index over its title and
  body (``unicode61 remove_diacritics 2``; ``content="docs"`` in double quotes, the form
  Datasette detects).
- ``tantivy``: one stemmed title/body field pair per language (Snowball en/es/fr, ASCII
  folding) plus a language-neutral pair, like m4d-search's schema, facets as fast fields.

A document is a dict: ``id, url, title, body, lang, type, themes, country`` (lists for the
last two), made by ``extracted_documents`` with m4d-search's own crawl → extract → enrich.
"""
from __future__ import annotations

import os
import pickle
import re
import sqlite3
from pathlib import Path

STEMMERS = {"en": "english", "es": "spanish", "fr": "french"}
_WORD = re.compile(r"\w+")


def extracted_documents(corpus: Path, cache: Path) -> list[dict]:
    """Crawl and extract the corpus once with m4d-search's pipeline (cached in ``cache``)."""
    if cache.exists():
        with cache.open("rb") as f:
            return pickle.load(f)
    from indexer.pipeline import read_documents

    docs = read_documents(str(corpus))
    rows = [{"id": d.id, "url": d.url, "title": d.title, "body": "\n".join([d.text, ", ".join(d.keywords)]).strip(),
             "lang": d.lang, "type": d.type, "themes": list(d.themes), "country": list(d.country)}
            for d in {d.id: d for d in docs}.values()]
    cache.parent.mkdir(parents=True, exist_ok=True)
    with cache.open("wb") as f:
        pickle.dump(rows, f)
    return rows


def count_tokens(rows: list[dict]) -> int:
    return sum(len(_WORD.findall(r["title"])) + len(_WORD.findall(r["body"])) for r in rows)


def text_bytes(rows: list[dict]) -> int:
    return sum(len(r["title"].encode()) + len(r["body"].encode()) for r in rows)


def folder_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# Whoosh with its defaults


def whoosh_plain_index(rows: list[dict], out: Path) -> None:
    from whoosh import index
    from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

    schema = Schema(id=ID(stored=True, unique=True), url=STORED(), title=TEXT(stored=True),
                    body=TEXT(stored=True), lang=ID(stored=True), type=ID(stored=True),
                    theme=KEYWORD(commas=True, stored=True), country=KEYWORD(commas=True, stored=True))
    out.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(out, schema)
    with ix.writer() as w:
        for r in rows:
            w.add_document(id=r["id"], url=r["url"], title=r["title"], body=r["body"], lang=r["lang"],
                           type=r["type"], theme=",".join(r["themes"]), country=",".join(r["country"]))
    ix.close()


# SQLite FTS5


def sqlite_index(rows: list[dict], out: Path) -> None:
    """Write the ``docs`` table and its FTS5 index (``docs_fts``) to the database file out."""
    if out.exists():
        out.unlink()
    db = sqlite3.connect(out)
    try:
        db.executescript("""
            CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, url TEXT, title TEXT, body TEXT,
                               lang TEXT, type TEXT, theme TEXT, country TEXT);
            CREATE INDEX docs_lang ON docs(lang);
            CREATE INDEX docs_type ON docs(type);
            CREATE INDEX docs_theme ON docs(theme);
            CREATE INDEX docs_country ON docs(country);
            CREATE VIRTUAL TABLE docs_fts USING fts5(title, body, content="docs", content_rowid="rowid",
                                                     tokenize="unicode61 remove_diacritics 2");
        """)
        db.executemany("INSERT INTO docs (id, url, title, body, lang, type, theme, country) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       ((r["id"], r["url"], r["title"], r["body"], r["lang"], r["type"],
                         ",".join(r["themes"]), ",".join(r["country"])) for r in rows))
        db.execute("INSERT INTO docs_fts (docs_fts) VALUES ('rebuild')")
        db.commit()
    finally:
        db.close()


# Tantivy


def tantivy_schema():
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("url", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("title", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("body", stored=True, tokenizer_name="raw", index_option="basic")
    for lang in STEMMERS:
        sb.add_text_field(f"title_{lang}", tokenizer_name=f"m4d_{lang}")
        sb.add_text_field(f"content_{lang}", tokenizer_name=f"m4d_{lang}")
    sb.add_text_field("title_any", tokenizer_name="m4d_any")
    sb.add_text_field("content_any", tokenizer_name="m4d_any")
    for facet in ("lang", "type", "theme", "country"):
        sb.add_text_field(facet, stored=True, tokenizer_name="raw", fast=True, index_option="basic")
    return sb.build()


def tantivy_register(ix) -> None:
    import tantivy

    def analyzer(stemmer=None):
        b = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.lowercase())
        if stemmer:
            b = b.filter(tantivy.Filter.stemmer(stemmer))
        return b.filter(tantivy.Filter.ascii_fold()).build()

    for lang, name in STEMMERS.items():
        ix.register_tokenizer(f"m4d_{lang}", analyzer(name))
    ix.register_tokenizer("m4d_any", analyzer())


def tantivy_index(rows: list[dict], out: Path, threads: int = 0) -> None:
    import tantivy

    out.mkdir(parents=True, exist_ok=True)
    ix = tantivy.Index(tantivy_schema(), path=str(out))
    tantivy_register(ix)
    writer = ix.writer(heap_size=256_000_000, num_threads=threads)
    for r in rows:
        fields = {"id": r["id"], "url": r["url"], "title": r["title"], "body": r["body"],
                  "title_any": r["title"], "content_any": r["body"], "lang": r["lang"], "type": r["type"],
                  "theme": r["themes"], "country": r["country"]}
        if r["lang"] in STEMMERS:
            fields[f"title_{r['lang']}"] = r["title"]
            fields[f"content_{r['lang']}"] = r["body"]
        writer.add_document(tantivy.Document(**fields))
    writer.commit()
    writer.wait_merging_threads()


def tantivy_open(path: Path):
    import tantivy

    ix = tantivy.Index.open(str(path))
    tantivy_register(ix)
    return ix


def cpu_count() -> int:
    return os.cpu_count() or 1
