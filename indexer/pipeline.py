"""Run a crawl end to end: crawl → extract → segment → enrich → write, with progress."""
from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from .crawl import LocalCrawler
from .enrich import EnrichReport, enrich
from .extract import ExtractError, extract
from .segment import segment
from .write import write_documents, write_meta

log = logging.getLogger(__name__)


@dataclass
class CrawlSummary:
    """The one-line summary of a crawl, and the details for ``--report``."""

    pages: int = 0
    documents: int = 0
    deleted: int = 0
    seconds: float = 0.0
    by_lang: Counter = field(default_factory=Counter)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    unknown_themes: dict[str, int] = field(default_factory=dict)
    unknown_countries: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        langs = ", ".join(f"{k} {v}" for k, v in sorted(self.by_lang.items()))
        text = (f"indexed {self.documents} documents ({langs or 'none'}) from {self.pages} pages "
                f"in {self.seconds:.1f} s; {len(self.skipped)} skipped, {len(self.errors)} errors, "
                f"{self.deleted} removed")
        if self.unknown_themes:
            text += "; unknown themes: " + ", ".join(sorted(self.unknown_themes))
        if self.unknown_countries:
            text += "; unknown countries: " + ", ".join(sorted(self.unknown_countries))
        return text

    def as_dict(self) -> dict:
        return {"pages": self.pages, "documents": self.documents, "deleted": self.deleted,
                "seconds": round(self.seconds, 3), "by_lang": dict(self.by_lang),
                "skipped": [{"url": u, "reason": r} for u, r in self.skipped],
                "errors": [{"url": u, "reason": r} for u, r in self.errors],
                "unknown_themes": self.unknown_themes, "unknown_countries": self.unknown_countries}


def run_crawl(sources: list[str], index_dir, *, rebuild: bool = False, max_pages: int | None = None,
              max_depth: int | None = None, progress=None, procs: int | None = None,
              naive: bool = False) -> CrawlSummary:
    """Crawl sources into the index at index_dir and return the summary.

    :param progress: called with (pages, documents) after each page, or None.
    :param procs, naive: how the index is written (``write.write_documents``).
    """
    started = time.monotonic()
    summary = CrawlSummary()
    crawlers = [LocalCrawler(s, max_pages=max_pages, max_depth=max_depth) for s in sources]
    docs, failed = [], set()
    for crawler in crawlers:
        for page in crawler:
            summary.pages += 1
            try:
                parsed = extract(page)
                crawler.add_links(page, [] if parsed.nofollow else parsed.links)
                if parsed.noindex:
                    summary.skipped.append((page.url, "robots meta noindex"))
                    continue
                docs += segment(parsed)
            except ExtractError as exc:
                summary.skipped.append((page.url, str(exc)))
            except Exception as exc:  # one bad page must not end the crawl
                log.exception("failed to process %s", page.url)
                summary.errors.append((page.url, f"{type(exc).__name__}: {exc}"))
                failed.add(page.url)
            if progress:
                progress(summary.pages, len(docs))
        summary.skipped += crawler.skipped
    report = EnrichReport()
    enrich(docs, report)
    counts = write_documents(index_dir, docs, [c.source for c in crawlers], keep=failed, rebuild=rebuild,
                             procs=procs, naive=naive)
    summary.documents, summary.deleted = counts["added"], counts["deleted"]
    summary.by_lang = Counter(d.lang for d in {d.id: d for d in docs}.values())
    summary.unknown_themes, summary.unknown_countries = report.unknown_themes, report.unknown_countries
    summary.seconds = time.monotonic() - started
    write_meta(index_dir, {"sources": sources, "summary": summary.as_dict()})
    return summary


def stderr_progress(pages: int, documents: int) -> None:
    """Print crawl progress on one refreshed line when stderr is a terminal."""
    if sys.stderr.isatty():
        print(f"\rcrawled {pages} pages, {documents} documents", end="", file=sys.stderr, flush=True)
