"""Helpers of the web crawler tests: a crawl with fast settings, the stored documents of an
index, a URL's outcome in a crawl summary."""
from __future__ import annotations

from whoosh import index as whoosh_index

from indexer.pipeline import run_crawl
from indexer.settings import CrawlSettings

FAST = dict(delay=0.0, timeout=2.0, backoff=0.05, retries=2)


def crawl(seeds, index_dir, **options):
    settings = {k: options.pop(k) for k in list(options) if k in CrawlSettings.__dataclass_fields__}
    return run_crawl(list(seeds), index_dir, settings=CrawlSettings(**{**FAST, **settings}), **options)


def documents(index_dir) -> dict[str, dict]:
    """Every stored document of the index, by id."""
    ix = whoosh_index.open_dir(index_dir)
    try:
        with ix.searcher() as s:
            return {d["id"]: d for d in s.all_stored_fields()}
    finally:
        ix.close()


def outcome(summary, url) -> str:
    return summary.outcomes[url][0]
