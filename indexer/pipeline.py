"""Run a crawl end to end: crawl → extract → split listings → enrich → write, with progress."""
from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import islice

from indexer.crawl.local import LocalCrawler, localize
from indexer.crawl.sources import make_crawlers
from indexer.crawl.state import crawl_lock
from indexer.enrich.boilerplate import strip_repeated
from indexer.enrich.facets import EnrichReport, enrich
from indexer.errors import CrawlFailed, ExtractError, PageTimeout, SourceError
from indexer.parse.extract import extract
from indexer.parse.limits import cap_document, page_budget
from indexer.parse.listing import split_listing
from indexer.pgstore.connect import is_database_url, redacted
from indexer.settings import DEFAULT_STATE_DIR
from indexer.write import check_writable, default_procs, held_documents, write_documents, write_meta

log = logging.getLogger(__name__)


@dataclass
class CrawlSummary:
    """The one-line summary of a crawl, and the details for ``--report``."""

    pages: int = 0
    documents: int = 0
    deleted: int = 0
    unchanged: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    by_lang: Counter = field(default_factory=Counter)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    limited: list[tuple[str, str]] = field(default_factory=list)  # pages cut by indexer.parse.limits
    unknown_themes: dict[str, int] = field(default_factory=dict)
    unknown_countries: dict[str, int] = field(default_factory=dict)
    relabelled: dict[str, int] = field(default_factory=dict)  # "declared→detected" language → documents
    outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)  # url → (outcome, reason)
    kept: str | None = None  # why nothing was committed (the index keeps its previous version), or None
    outdated: list[str] = field(default_factory=list)  # fields the index lacks until rebuilt (write.outdated_fields)

    def line(self) -> str:
        langs = ", ".join(f"{k} {v}" for k, v in sorted(self.by_lang.items()))
        reasons = Counter(skip_category(r) for _, r in self.skipped)
        by_reason = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
        text = (f"indexed {self.documents} documents ({langs or 'none'}) from {self.pages} pages "
                f"in {self.seconds:.1f} s; {self.unchanged} unchanged, {len(self.skipped)} skipped"
                f"{f' ({by_reason})' if by_reason else ''}, {len(self.errors)} errors, {self.deleted} removed")
        if self.interrupted:
            text += "; interrupted (run it again to go on)"
        if self.limited:
            text += f"; {len(self.limited)} cut to size"
        if self.unknown_themes:
            text += "; unknown themes: " + ", ".join(sorted(self.unknown_themes))
        if self.unknown_countries:
            text += "; unknown countries: " + ", ".join(sorted(self.unknown_countries))
        if self.relabelled:
            changes = ", ".join(f"{k} {v}" for k, v in sorted(self.relabelled.items(), key=lambda kv: (-kv[1], kv[0])))
            text += f"; {sum(self.relabelled.values())} language labels changed by content ({changes})"
        if self.outdated:
            text += (f"; this index was written by an older version, without {', '.join(self.outdated)}: "
                     "crawl with --rebuild to add them")
        return text

    def as_dict(self) -> dict:
        return {"pages": self.pages, "documents": self.documents, "deleted": self.deleted,
                "unchanged": self.unchanged, "interrupted": self.interrupted,
                "seconds": round(self.seconds, 3), "by_lang": dict(self.by_lang),
                "skipped": [{"url": u, "reason": r} for u, r in self.skipped],
                "errors": [{"url": u, "reason": r} for u, r in self.errors],
                "limited": [{"url": u, "reason": r} for u, r in self.limited],
                "unknown_themes": self.unknown_themes, "unknown_countries": self.unknown_countries,
                "relabelled": self.relabelled, "outdated": self.outdated,
                "outcomes": dict(Counter(o for o, _ in self.outcomes.values())), "kept": self.kept,
                "urls": [{"url": u, "outcome": o, "reason": r} for u, (o, r) in self.outcomes.items()]}


def skip_category(reason: str) -> str:
    """Return the kind of a skip reason ("http 404", "robots.txt", "link trap", …) for the summary."""
    return reason.split(":", 1)[0].split(" (", 1)[0].strip()


def run_crawl(sources: list[str], index_dir, *, rebuild: bool = False, max_pages: int | None = None,
              max_depth: int | None = None, allow_domains=(), settings=None, progress=None, procs: int | None = None,
              write=write_documents, allow_empty: bool = False, shared: bool = False) -> CrawlSummary:
    """Crawl sources into the index at index_dir and return the summary.

    One crawl at a time per index (CrawlLocked otherwise). Ctrl-C stops the crawl: what was
    fetched is indexed, nothing else is deleted, and the summary says ``interrupted``.
    A crawl that reached none of its sources (errors, and no page fetched or found
    unchanged), or a rebuild that found no document for an index holding some (unless
    allow_empty), commits nothing, neither the index nor the crawl state nor the meta file:
    the summary's ``kept`` says why.

    :param settings: a ``settings.CrawlSettings`` for web sources (delay, timeouts, …), or None.
    :param progress: called with (pages, documents, queued=, skipped=, errors=, unchanged=)
        after each fetch, or None.
    :param procs: processes that extract a folder's pages and write the index (None: one per
        core for large crawls, see ``write.default_procs``; 1: this process alone).
    :param write: writes the documents, called as ``write.write_documents`` is (its
        default; ``write.write_documents_plain`` is Whoosh's own writer).
    :param shared: join (or start) the crawl of these websites that other processes share
        through the PostgreSQL store at index_dir (``crawl.shared``): each process fetches
        its part and commits its documents; no lock on this machine.
    """
    started = time.monotonic()
    summary = CrawlSummary()
    store = Target.of(index_dir, write, shared=shared)
    with ExitStack() as stack:
        if shared:  # this worker's own throwaway crawl state: a shared crawl fetches everything
            store.state_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="m4d-shared-"))
        stack.enter_context(crawl_lock(store.state_dir))
        if not rebuild:  # an index in another format: refused before the crawl, not after
            store.check_writable(index_dir)
        crawlers = make_crawlers(sources, store.state_dir, max_pages=max_pages, max_depth=max_depth,
                                 rebuild=rebuild, allow_domains=allow_domains, settings=settings,
                                 shared=store.connect)
        try:
            _run(crawlers, index_dir, summary, rebuild, progress, procs=procs, write=store.write,
                 allow_empty=allow_empty, held_of=store.held_documents)
        except CrawlFailed as exc:  # the writer's refusal: a rebuild without documents
            summary.kept = str(exc)
        finally:
            for crawler in crawlers:
                crawler.close()  # the crawl state's changes are dropped unless finish() committed them
    summary.seconds = time.monotonic() - started
    if summary.kept is None:
        # The crawlers' own sources: a folder as an absolute file:// URL, whatever was typed.
        store.write_meta(index_dir, {"sources": [s for c in crawlers for s in c.sources],
                                     "summary": summary.as_dict()})
    return summary


@dataclass
class Target:
    """Where a crawl writes: an index folder (``write``) or a PostgreSQL store
    (``pgstore.writer``), whose crawl state and lock stay in a folder of this machine."""

    state_dir: str
    write: object
    held_documents: object
    write_meta: object
    check_writable: object
    connect: object = None  # a shared crawl's: connect(autocommit=True) to the store

    @classmethod
    def of(cls, index_dir, write=write_documents, shared: bool = False) -> Target:
        if not is_database_url(index_dir):
            if shared:
                raise SourceError("a shared crawl needs a PostgreSQL store (--store postgresql://…): "
                                  "its frontier lives there")
            return cls(index_dir, write, held_documents, write_meta, check_writable)
        from indexer.pgstore import writer as pg
        from indexer.pgstore.connect import connect
        from indexer.pgstore.migrations import migrate

        key = hashlib.sha256(redacted(index_dir).encode()).hexdigest()[:16]
        state = os.path.join(os.environ.get("M4D_STATE_DIR") or DEFAULT_STATE_DIR, key)
        target = cls(state, pg.write_documents, pg.held_documents, pg.write_meta, migrate)
        if shared:
            target.connect = lambda autocommit=True: connect(index_dir, write=True, autocommit=autocommit)
        return target


def _run(crawlers: list, index_dir, summary: CrawlSummary, rebuild: bool, progress, procs=None,
         write=write_documents, allow_empty: bool = False, held_of=held_documents) -> None:
    docs, failed = [], set()
    for crawler in crawlers:
        if progress:
            crawler.tick = lambda c=crawler: progress(summary.pages, len(docs), **c.counts())
    pool = None
    try:
        for crawler in crawlers:
            pages = iter(crawler)
            try:
                if pool is None and isinstance(crawler, LocalCrawler):
                    pool = _extraction_pool(crawler, procs)
                if pool is not None and isinstance(crawler, LocalCrawler):
                    _extract_in_pool(pool, crawler, pages, docs, failed, summary, progress)
                for page in pages:
                    summary.pages += 1
                    _process(crawler, page, docs, failed, summary)
                    if progress:
                        progress(summary.pages, len(docs), **crawler.counts())
            finally:
                pages.close()
    except KeyboardInterrupt:
        summary.interrupted = True
        log.warning("interrupted: indexing what was fetched")
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    for crawler in crawlers:
        summary.skipped += crawler.skipped
        summary.errors += crawler.errors
        summary.outcomes.update(crawler.outcomes)
    summary.unchanged = sum(1 for o, _ in summary.outcomes.values() if o == "unchanged")
    if summary.errors and not summary.pages and not summary.unchanged:
        held = held_of(index_dir)
        where = redacted(str(index_dir))
        url, reason = summary.errors[0]
        errors = f"{len(summary.errors)} errors, first" if len(summary.errors) > 1 else "1 error"
        kept = f"no index was written in {where}" if held is None else \
            f"the index in {where} keeps its {held} documents"
        raise CrawlFailed(f"the crawl reached none of its sources ({errors}: {url}: {reason}): "
                          f"nothing was committed, {kept}")
    strip_repeated(docs)  # the lines a site repeats on most pages (footers, sidebars)
    report = EnrichReport()
    enrich(docs, report)
    # Documents of pages not reached again are deleted only after a complete crawl.
    complete = [c for c in crawlers if c.complete and not summary.interrupted]
    keep = set(failed).union(*(c.keep for c in crawlers))
    gone = set().union(*(c.gone for c in crawlers))
    # A shared crawl's URLs are marked done in the transaction that commits its documents.
    settle = [c.settle for c in crawlers if hasattr(c, "settle")]
    extra = {"before_commit": lambda conn: [f(conn) for f in settle]} if settle else {}
    counts = write(index_dir, docs, [s for c in complete for s in c.sources], keep=keep,
                   rebuild=rebuild, remove=gone, procs=procs, allow_empty=allow_empty, **extra)
    for crawler in crawlers:
        crawler.finish(failed, complete=crawler in complete)
    summary.documents, summary.deleted = counts["added"], counts["deleted"]
    summary.outdated = counts.get("outdated", [])
    summary.by_lang = Counter(d.lang for d in {d.id: d for d in docs}.values())
    summary.unknown_themes, summary.unknown_countries = report.unknown_themes, report.unknown_countries
    summary.relabelled = report.relabelled


def _process(crawler, page, docs: list, failed: set, summary: CrawlSummary) -> None:
    """Extract one page and split its listing, adding its documents to docs."""
    _record(crawler, page, _extract_one(page, crawler), docs, failed, summary)


def _extract_one(page, crawler=None) -> tuple:
    """Extract one page and split its listing; return (outcome, links to follow, documents, limits
    met, reason).

    A redirect stub (``ParsedPage.redirect``) gives no document: its target is followed as an
    HTTP redirect would be (whatever its robots meta says), and its outcome is "redirect",
    with the target as the reason.

    :param crawler: resolves the page's URLs and queues its links, within the page's budget
        (then no links are returned); None in a worker process, where there is none."""
    links = None
    try:
        with page_budget():  # with indexer.parse.limits' caps: bounded time and memory per page
            parsed = extract(page)
            follow = [] if parsed.nofollow else parsed.links
            if parsed.redirect is not None:
                follow = [parsed.redirect, *follow]
            if crawler is not None:
                crawler.resolve(page, parsed)
                crawler.add_links(page, follow)
            else:  # a folder's page in a worker process: LocalCrawler.resolve's work, done here
                localize(page, parsed)
                links = follow
            if parsed.redirect is not None:
                return "redirect", links, [], [], parsed.redirect
            if parsed.noindex:
                return "noindex", links, [], [], None
            found = split_listing(parsed)
        for doc in found:
            cap_document(doc)
        return "ok", links, found, list(parsed.limited), None
    except (ExtractError, PageTimeout) as exc:
        return "skipped", links, [], [], str(exc)
    except Exception as exc:  # one bad page must not end the crawl
        log.exception("failed to process %s", page.url)
        return "error", links, [], [], f"{type(exc).__name__}: {exc}"


def _record(crawler, page, result: tuple, docs: list, failed: set, summary: CrawlSummary) -> None:
    """Record a page's outcome (``_extract_one``): its links queued, its documents added,
    or why it gave none."""
    outcome, links, found, limited, reason = result
    if links is not None:
        crawler.add_links(page, links)
    if outcome == "noindex":
        summary.skipped.append((page.url, "robots meta noindex"))
    elif outcome == "redirect":  # grouped in the summary as "redirect stub"
        summary.skipped.append((page.url, f"redirect stub (→ {reason})"))
    elif outcome == "skipped":
        summary.skipped.append((page.url, reason))
    elif outcome == "error":
        summary.errors.append((page.url, reason))
        failed.add(page.url)
    else:
        if limited:
            summary.limited.append((page.url, "; ".join(limited)))
        if not found:
            summary.skipped.append((page.url, "no text to index"))
        docs += found


# Extraction in worker processes, for a folder of many pages

#: Pages a folder crawl must have queued before its pages are extracted in one process per
#: core (the writer's threshold: ``write.PARALLEL_MIN_DOCS``); pages go to the workers in
#: rounds of this many, read by the crawl's process, their results taken in page order.
PARALLEL_MIN_PAGES = 2000
ROUND_PAGES = 512


def _extraction_pool(crawler: LocalCrawler, procs: int | None):
    """Return a pool of extracting processes when the folder has pages enough, else None."""
    queued = crawler.counts()["queued"]
    if queued < PARALLEL_MIN_PAGES:
        return None
    procs = default_procs(queued) if procs is None else procs
    if procs <= 1:
        return None
    return multiprocessing.get_context("spawn").Pool(procs)  # no fork: callers may run threads


def _extract_in_pool(pool, crawler: LocalCrawler, pages, docs: list, failed: set, summary: CrawlSummary,
                     progress) -> None:
    """Extract and split a folder's pages in the pool, a round at a time, each page's
    outcome recorded as ``_process`` records it (a local crawler's ``resolve`` is ``localize``,
    which needs no crawler, and the links it follows are only queued, so pages need not be
    read in order)."""
    while True:
        batch = list(islice(pages, ROUND_PAGES))
        if not batch:
            return
        for page, result in zip(batch, pool.map(_extract_one, batch, chunksize=16), strict=True):
            summary.pages += 1
            _record(crawler, page, result, docs, failed, summary)
        if progress:
            progress(summary.pages, len(docs), **crawler.counts())


def read_documents(source: str) -> list:
    """Read a local source (a folder or a file) into enriched Documents without writing an
    index: the same extraction, listing splits and enrichment as a crawl (benchmarks, tests)."""
    crawler, docs, summary = LocalCrawler(source), [], CrawlSummary()
    for page in crawler:
        _process(crawler, page, docs, set(), summary)
    return enrich(docs)


def stderr_progress(pages: int, documents: int, queued: int = 0, skipped: int = 0, errors: int = 0,
                    unchanged: int = 0) -> None:
    """Print crawl progress on one refreshed line when stderr is a terminal (quiet otherwise)."""
    if sys.stderr.isatty():
        print(f"\r{pages} pages fetched, {unchanged} unchanged, {queued} queued, {documents} documents, "
              f"{skipped} skipped, {errors} errors\x1b[K", end="", file=sys.stderr, flush=True)
