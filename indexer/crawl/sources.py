"""Crawl sources: which crawler reads each source (``local`` for folders, files and
``file://`` URLs, ``web`` for http(s) sites)."""
from __future__ import annotations

from urllib.parse import urlsplit

from indexer.crawl.local import LocalCrawler
from indexer.crawl.shared import SharedCrawler
from indexer.crawl.web import HttpCrawler
from indexer.errors import SourceError


def is_web(source: str) -> bool:
    """Return True for an http(s) source."""
    return urlsplit(source.strip()).scheme.lower() in ("http", "https")


def make_crawlers(sources: list[str], index_dir, *, max_pages=None, max_depth=None, rebuild=False,
                  allow_domains=(), settings=None, shared=None) -> list:
    """Return one LocalCrawler per local source and one HttpCrawler for all web sources.

    :param shared: for a crawl shared by several processes (``shared.SharedCrawler``), the
        ``connect(autocommit=True)`` of the store that holds its frontier; None otherwise.
    """
    web = [s for s in sources if is_web(s)]
    if shared is not None:
        local = [s for s in sources if not is_web(s)]
        if local:
            raise SourceError(f"{local[0]}: a shared crawl reads websites only (a folder is on one machine)")
        if rebuild:
            raise SourceError("a shared crawl cannot --rebuild: each worker commits only its own part")
        return [SharedCrawler(web, index_dir, connect=shared, settings=settings, allow_domains=allow_domains,
                              max_pages=max_pages, max_depth=max_depth)]
    crawlers: list = [LocalCrawler(s, max_pages=max_pages, max_depth=max_depth)
                      for s in sources if not is_web(s)]
    if web:
        crawlers.append(HttpCrawler(web, index_dir, settings=settings, allow_domains=allow_domains,
                                    max_pages=max_pages, max_depth=max_depth, rebuild=rebuild))
    return crawlers
