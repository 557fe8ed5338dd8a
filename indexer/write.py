"""Write: Documents → the Whoosh index. The only module that writes an index.

One crawl is one transaction: every document is added or updated under its stable id,
documents of the crawled source that were not seen again are deleted, and the commit
publishes all of it at once (Whoosh writes new segments, then swaps its table of
contents), so readers see the previous version or the new one, never a half-written one.

One writer at a time: a crawl holds the index's write lock (Whoosh's own ``MAIN_WRITELOCK``,
an ``flock``) from before it opens or creates the index until its commit. The kernel
releases an ``flock`` when its process dies, so a crawl killed with SIGKILL leaves a lock
file that the next crawl simply takes, while a second live crawl is refused (``IndexBusy``).
The next writer removes what a killed one left behind (its temporary folder and table of
contents); Whoosh removes the unused segment files at the next commit.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from whoosh import index
from whoosh.filedb.filestore import FileStorage
from whoosh.query import Prefix
from whoosh.util.filelock import try_for
from whoosh.writing import CLEAR

from indexer.codec import blocks, readers, segments
from indexer.codec.format import FORMAT_VERSION, META_FIELD, check_index, meta_format
from indexer.codec.leftovers import remove_leftovers
from indexer.codec.postings import DocumentAnalyzer, FastSegmentWriter, field_names
from indexer.errors import CrawlFailed, IndexBusy
from indexer.model import Document
from indexer.schema import build_schema, document_body, link_bytes
from indexer.settings import META_FILE
from indexer.text.analyzers import STEMMED

#: Seconds a crawl waits for another crawl's write lock before giving up.
LOCK_WAIT = 2.0
#: Below this many documents one process writes (starting workers costs ~0.5 s).
PARALLEL_MIN_DOCS = 2000
#: At most this many writer processes.
MAX_PROCS = 4
#: Documents per batch at most: bounds each analyzing process's memory (postings stay in
#: memory until the batch's lists are written). A crawl's batches still make one segment.
BATCH_MAX_DOCS = 20000



def open_or_create(index_dir: str | os.PathLike, replace_damaged: bool = False, current_schema: bool = False):
    """Open the index in index_dir, creating the folder and an empty index if needed (or if
    its table of contents cannot be read and replace_damaged: a rebuild replaces it).

    :param current_schema: open it with this version's schema (``build_schema``), not the one
        its table of contents holds, so that the next commit records it: a rebuild gives an
        index written before a field was added (``date``) that field."""
    path = Path(index_dir)
    path.mkdir(parents=True, exist_ok=True)
    try:
        if index.exists_in(path):
            return index.open_dir(path, schema=build_schema() if current_schema else None)
    except Exception:  # noqa: BLE001 - whatever a damaged table of contents raises
        if not replace_damaged:
            raise
    return index.create_in(path, build_schema())


def fields_of(doc: Document, schema=None) -> dict:
    """Return the Whoosh fields of a document (for schema: an index made before the ``link``
    column or the ``date`` field gets none)."""
    body = document_body(doc.text, doc.keywords)
    fields = {
        "id": doc.id, "url": doc.url, "source": doc.source, "title": doc.title, "text": doc.text,
        "keywords": doc.keywords, "themes": doc.themes, "countries": doc.country,
        "lang": doc.lang, "type": doc.type, "group": doc.group or doc.id,
        "theme": ",".join(doc.themes), "country": ",".join(doc.country),
        "title_any": doc.title, "content_any": body,
        "link": link_bytes(doc.id, doc.lang, doc.url, doc.title),
    }
    if schema is not None and "link" not in schema:
        del fields["link"]
    if doc.date and (schema is None or "date" in schema):
        fields["date"] = doc.date
    if doc.lang in STEMMED:
        fields[f"title_{doc.lang}"] = doc.title
        fields[f"content_{doc.lang}"] = body
    return fields


def write_documents(index_dir, docs: list[Document], sources: list[str], keep: set[str] = frozenset(),
                    rebuild: bool = False, remove: set[str] = frozenset(), procs: int | None = None,
                    allow_empty: bool = False) -> dict:
    """Add or update docs, delete stale ones of the given sources, commit once (the fast writer).
    A rebuild without docs of an index holding some is refused (``CrawlFailed``) unless allow_empty.

    :param keep: page URLs that failed or did not change this time: their documents are kept.
    :param remove: page URLs that are gone (404, 410): their documents are deleted, whatever the source.
    :param procs: writer processes (None: one per core for large batches, see ``default_procs``).
    :return: counts ``{"added": …, "deleted": …}``, and ``"outdated"``: the fields the index
        lacks (``outdated_fields``), if any.
    """
    def fast(ix, unique: list[Document]) -> dict:
        n = default_procs(len(unique)) if procs is None else max(1, procs)
        return _write_fast(ix, unique, sources, keep, rebuild, remove, n)

    return _write_locked(index_dir, docs, fast, rebuild, allow_empty)


def write_documents_plain(index_dir, docs: list[Document], sources: list[str], keep: set[str] = frozenset(),
                          rebuild: bool = False, remove: set[str] = frozenset(), procs: int | None = None,
                          allow_empty: bool = False, *, prepare_schema=None) -> dict:
    """What ``write_documents`` does, with Whoosh's own writer in this process: the reference
    the fast writer is tested against. It takes the same arguments, so that it can stand in
    for it (``pipeline.run_crawl(..., write=write_documents_plain)``); procs is ignored.

    :param prepare_schema: called with the writer's schema before any document is analyzed
        (the indexing benchmark's baseline swaps its stemmers there), or None.
    """
    return _write_locked(index_dir, docs, lambda ix, unique: _write_plain(ix, unique, sources, keep, rebuild,
                                                                          remove, prepare_schema), rebuild,
                         allow_empty)


def _write_locked(index_dir, docs: list[Document], write, rebuild: bool, allow_empty: bool = False) -> dict:
    """Under the index's write lock, open or create it and return ``write(ix, docs)``, the
    docs without repeated ids (the first version of an id wins). An index in another format
    of the project's additions is refused (``IndexFormatError``) unless rebuilt, an empty
    rebuild too (``write_documents``); after the commit, the meta records its format (``format``)."""
    path = Path(index_dir)
    lock = FileStorage(str(path)).create().lock("MAIN_WRITELOCK")  # the lock Whoosh's writers take
    if not try_for(lock.acquire, timeout=LOCK_WAIT, delay=0.1):
        raise IndexBusy("another crawl is writing to it (it holds MAIN_WRITELOCK); try again when it ends")
    try:
        remove_leftovers(path)
        first: dict[str, Document] = {}
        for doc in docs:
            first.setdefault(doc.id, doc)  # the first version of an id wins
        unique = list(first.values())
        ix = open_or_create(path, replace_damaged=rebuild, current_schema=rebuild)
        try:
            if not rebuild:
                check_index(ix, path)
            elif not unique and not allow_empty and (held := held_documents(path)):
                raise CrawlFailed(f"--rebuild found no document to index: nothing was committed, the index in "
                                  f"{path} keeps its {held} documents (--allow-empty commits an empty index)")
            counts = write(ix, unique)
            if outdated := outdated_fields(ix.schema):
                counts["outdated"] = outdated
        except BaseException:
            ix.close()
            remove_leftovers(path)  # a failed commit's partial segment files go now, not at the next one
            raise
        ix.close()
        if meta_format(path) != FORMAT_VERSION and (path / META_FILE).exists():
            _replace_meta(path, dict(_read_meta(path), **{META_FIELD: FORMAT_VERSION}))
        return counts
    finally:
        lock.release()


def outdated_fields(schema) -> list[str]:
    """Return the fields of this version's schema that an index's schema lacks (it was
    written by an older version, and keeps its schema until rebuilt: ``open_or_create``)."""
    return sorted(set(build_schema().names()) - set(schema.names()))


def held_documents(index_dir) -> int | None:
    """Return how many documents the index in index_dir holds; None when there is none or it
    cannot be read (a damaged index is no loss to replace)."""
    try:
        ix = index.open_dir(index_dir, readonly=True)
        try:
            return ix.doc_count()
        finally:
            ix.close()
    except Exception:  # noqa: BLE001 - no index, or whatever a damaged one raises
        return None


def check_writable(index_dir) -> None:
    """Raise ``IndexFormatError`` if index_dir holds an index in another format of the
    project's additions, which only a rebuild may replace (before a crawl spends its time),
    and ``IndexDamaged`` if its files cannot be read."""
    path = Path(index_dir)
    ix = readers.open_readable(path)
    if ix is not None:
        try:
            check_index(ix, path)
        finally:
            ix.close()


def default_procs(n_docs: int) -> int:
    """Return how many writer processes pay for n_docs: one per core past PARALLEL_MIN_DOCS."""
    if n_docs < PARALLEL_MIN_DOCS:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_PROCS))


def _stale(ix, writer, sources, seen: set[str], keep: set[str], remove: set[str]) -> int:
    """Delete the documents of gone pages, and of the crawled sources' pages not seen again."""
    deleted = 0
    with ix.searcher() as searcher:
        for page_url in remove - seen_pages(seen):
            for fields in searcher.documents(id=page_url):
                writer.delete_by_term("id", fields["id"])
                deleted += 1
            for docnum in searcher.search(Prefix("id", page_url + "#"), limit=None).docs():
                writer.delete_by_term("id", searcher.stored_fields(docnum)["id"])
                deleted += 1
        for source in sources:
            for fields in searcher.documents(source=source):
                page_url = fields["id"].split("#", 1)[0]
                if fields["id"] not in seen and page_url not in keep and page_url not in remove:
                    writer.delete_by_term("id", fields["id"])
                    deleted += 1
    return deleted


def _write_plain(ix, docs, sources, keep, rebuild, remove, prepare_schema=None) -> dict:
    writer = ix.writer(limitmb=256, _lk=False)  # write_documents_plain holds the lock
    if prepare_schema is not None:
        prepare_schema(writer.schema)
    deleted = 0
    try:
        for doc in docs:
            writer.update_document(**fields_of(doc, ix.schema))
        if rebuild:
            writer.commit(mergetype=CLEAR)
        else:
            deleted = _stale(ix, writer, sources, {d.id for d in docs}, keep, remove)
            writer.commit()
    except BaseException:
        writer.cancel()
        raise
    return {"added": len(docs), "deleted": deleted}


def _write_fast(ix, docs, sources, keep, rebuild, remove, procs) -> dict:
    """Write new segments (in worker processes when procs > 1), then publish them in one TOC."""
    parent = FastSegmentWriter(ix, limitmb=256, _lk=False)  # applies deletions, commits
    deleted = 0
    try:
        if not rebuild:
            for doc in docs:  # update: the old version of each document goes
                parent.delete_by_term("id", doc.id)
            deleted = _stale(ix, parent, sources, {d.id for d in docs}, keep, remove)
        schema = ix.schema
        batches = _batches([fields_of(d, schema) for d in docs], procs)
        written = [_write_batches(ix, batches, procs, current_schema=rebuild)] if batches else []
        segments.commit(parent, written, rebuild)
    except BaseException:
        if not parent.is_closed:
            parent.cancel()
        raise
    return {"added": len(docs), "deleted": deleted}


def _batches(rows: list[dict], procs: int) -> list[list[dict]]:
    """Split rows into about equal batches: at least one per process, none over BATCH_MAX_DOCS."""
    if not rows:
        return []
    count = max(procs, -(-len(rows) // BATCH_MAX_DOCS))
    count = -(-count // procs) * procs if procs > 1 else count
    size = -(-len(rows) // count)
    return [rows[i:i + size] for i in range(0, len(rows), size)]


def _write_batches(ix, batches: list[list[dict]], procs: int, current_schema: bool = False):
    """Write batches as one new segment of ix (not yet published) and return it. With one
    batch, this process analyzes and writes it; with more, each batch is analyzed on its own
    (in worker processes when procs > 1) into posting lists numbered where its documents
    will be, and this process writes the documents' stored fields and lengths and joins the
    lists, term by term, into one segment: one segment answers a query with one look-up per
    term, where a segment per batch takes one each. current_schema: ix was opened with
    ``build_schema()`` (``open_or_create``), which the other processes then use too."""
    if len(batches) == 1:
        writer = FastSegmentWriter(ix, _lk=False, limitmb=256)
        try:
            for row in batches[0]:
                writer.add_document(**row)
            return segments.finish(writer)
        except BaseException:
            segments.close(writer)
            raise
    folder = str(ix.storage.folder)
    jobs, base = [], 0
    for batch in batches:
        fd, path = tempfile.mkstemp(dir=folder, prefix="MAIN.lists-", suffix=".tmp")
        os.close(fd)
        jobs.append((folder, batch, base, path, current_schema))
        base += len(batch)
    try:
        if procs > 1:
            ctx = multiprocessing.get_context("spawn")  # no fork: callers may run threads
            pool = ctx.Pool(min(procs, len(batches)))
            try:
                results = pool.map(_analyze_batch, jobs)
                pool.close()
            finally:
                pool.terminate()
                pool.join()
        else:
            results = [_analyze_batch(job) for job in jobs]
        writer = FastSegmentWriter(ix, _lk=False, limitmb=256)
        try:
            for batch, lengths in zip(batches, results, strict=True):
                for row, doc_lengths in zip(batch, lengths, strict=True):
                    writer.add_analyzed(row, doc_lengths)
            for _, _, _, path, _ in jobs:
                writer.add_lists(_read_lists(path))
            return segments.finish(writer)
        except BaseException:
            segments.close(writer)
            raise
    finally:
        for _, _, _, path, _ in jobs:
            Path(path).unlink(missing_ok=True)


#: Posting lists a batch writes per chunk: each chunk is a pickled list of their headers (key,
#: length, statistics) and then their bytes, so the joining process holds one chunk per batch.
LISTS_PER_CHUNK = 20000


def _analyze_batch(job) -> list[dict]:
    """Analyze a batch of rows as documents base, base + 1…; write their posting lists to
    path in term-table order, in chunks (``LISTS_PER_CHUNK``). Return each document's field
    lengths. Runs in a worker process."""
    index_dir, rows, base, path, current_schema = job
    ix = index.open_dir(index_dir, schema=build_schema() if current_schema else None)
    try:
        analyzer = DocumentAnalyzer(ix.schema)
        lengths = []
        for docnum, row in enumerate(rows, start=base):
            lengths.append(analyzer.add(docnum, row, field_names(row)))
        with open(path, "wb") as out:
            heads, datas = [], []
            for key, data, stats in analyzer.lists(blocks.BLOCK_POSTINGS, segments.compression()):
                heads.append((key, len(data), stats))
                datas.append(data)
                if len(heads) == LISTS_PER_CHUNK:
                    _write_chunk(out, heads, datas)
                    heads, datas = [], []
            if heads:
                _write_chunk(out, heads, datas)
        return lengths
    finally:
        ix.close()


def _write_chunk(out, heads: list, datas: list) -> None:
    pickle.dump(heads, out, pickle.HIGHEST_PROTOCOL)
    out.write(b"".join(datas))


def _read_lists(path: str):
    """Yield (key, bytes, stats) of the posting lists a batch wrote to path."""
    with open(path, "rb") as f:
        while True:
            try:
                heads = pickle.load(f)
            except EOFError:
                return
            for key, length, stats in heads:
                yield key, f.read(length), stats


def seen_pages(ids: set[str]) -> set[str]:
    """Return the page URLs of document ids (the id without its #fragment)."""
    return {i.split("#", 1)[0] for i in ids}


def write_meta(index_dir, meta: dict) -> None:
    """Record the last crawl's summary next to the index, atomically, with the format version
    of the project's additions the index is in (the crawl's writer refused any other)."""
    _replace_meta(index_dir, dict(meta, last_crawl=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                  **{META_FIELD: FORMAT_VERSION}))


def _read_meta(index_dir) -> dict:
    try:
        meta = json.loads((Path(index_dir) / META_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _replace_meta(index_dir, meta: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=index_dir, prefix=".meta-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=1)
    os.replace(tmp, Path(index_dir) / META_FILE)
