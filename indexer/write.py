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
import os
import re
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from whoosh import index
from whoosh.filedb.filestore import FileStorage
from whoosh.query import Prefix
from whoosh.util.filelock import try_for
from whoosh.writing import CLEAR

from .analyze import STEMMED
from .model import Document
from .schema import build_schema

META_FILE = "m4d-meta.json"
#: Seconds a crawl waits for another crawl's write lock before giving up.
LOCK_WAIT = 2.0
#: What a writer killed mid-commit leaves: Whoosh's temporary folder and table of contents.
_LEFTOVER = re.compile(r"^(?:MAIN\.tmp|_MAIN_\d+\.toc\..+)$")
#: Temporary meta files older than this are leftovers of a killed crawl (seconds).
_STALE_META = 600


class IndexBusy(OSError):
    """Another live crawl holds the index's write lock."""


def open_or_create(index_dir: str | os.PathLike):
    """Open the index in index_dir, creating the folder and an empty index if needed."""
    path = Path(index_dir)
    path.mkdir(parents=True, exist_ok=True)
    if index.exists_in(path):
        return index.open_dir(path)
    return index.create_in(path, build_schema())


def fields_of(doc: Document) -> dict:
    """Return the Whoosh fields of a document."""
    body = "\n".join([doc.text, ", ".join(doc.keywords)]).strip()
    fields = {
        "id": doc.id, "url": doc.url, "source": doc.source, "title": doc.title, "text": doc.text,
        "keywords": doc.keywords, "themes": doc.themes, "countries": doc.country,
        "lang": doc.lang, "type": doc.type, "group": doc.group or doc.id,
        "theme": ",".join(doc.themes), "country": ",".join(doc.country),
        "title_any": doc.title, "content_any": body,
    }
    if doc.lang in STEMMED:
        fields[f"title_{doc.lang}"] = doc.title
        fields[f"content_{doc.lang}"] = body
    return fields


def write_documents(index_dir, docs: list[Document], sources: list[str], keep: set[str] = frozenset(),
                    rebuild: bool = False, remove: set[str] = frozenset()) -> dict:
    """Add or update docs, delete stale ones of the given sources, commit once.

    :param keep: page URLs that failed or did not change this time: their documents are kept.
    :param remove: page URLs that are gone (404, 410): their documents are deleted, whatever the source.
    :return: counts ``{"added": …, "deleted": …}``.
    """
    path = Path(index_dir)
    lock = FileStorage(str(path)).create().lock("MAIN_WRITELOCK")  # the lock Whoosh's writers take
    if not try_for(lock.acquire, timeout=LOCK_WAIT, delay=0.1):
        raise IndexBusy("another crawl is writing to it (it holds MAIN_WRITELOCK); try again when it ends")
    try:
        remove_leftovers(path)
        return _write(path, docs, sources, keep, rebuild, remove)
    finally:
        lock.release()


def _write(index_dir: Path, docs: list[Document], sources: list[str], keep: set[str], rebuild: bool,
           remove: set[str]) -> dict:
    ix = open_or_create(index_dir)
    writer = ix.writer(limitmb=256, _lk=False)  # write_documents holds the lock
    deleted = 0
    try:
        seen = set()
        for doc in docs:
            if doc.id in seen:
                continue
            seen.add(doc.id)
            writer.update_document(**fields_of(doc))
        if rebuild:
            writer.commit(mergetype=CLEAR)
        else:
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
            writer.commit()
    except BaseException:
        writer.cancel()
        raise
    finally:
        ix.close()
    return {"added": len(seen), "deleted": deleted}


def seen_pages(ids: set[str]) -> set[str]:
    """Return the page URLs of document ids (the id without its #fragment)."""
    return {i.split("#", 1)[0] for i in ids}


def remove_leftovers(index_dir: Path) -> list[str]:
    """Remove what a writer killed mid-commit left in index_dir; call only under the write lock."""
    removed = []
    for entry in list(index_dir.iterdir()):
        try:
            stale_meta = entry.name.startswith(".meta-") and time.time() - entry.stat().st_mtime > _STALE_META
        except FileNotFoundError:  # a finishing crawl renamed its meta file meanwhile
            continue
        if _LEFTOVER.match(entry.name) or stale_meta:
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry.name)
    return removed


def write_meta(index_dir, meta: dict) -> None:
    """Record the last crawl's summary next to the index, atomically."""
    meta = dict(meta, last_crawl=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    fd, tmp = tempfile.mkstemp(dir=index_dir, prefix=".meta-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=1)
    os.replace(tmp, Path(index_dir) / META_FILE)
