"""Crawl a local source: a folder, a single file or a ``file://`` URL (websites: ``web``;
``sources.make_crawlers`` picks the crawler for each source).

A crawler hands out Pages breadth-first and is told the links found in each one
(``add_links``); LocalCrawler follows only links that stay inside the source's folder.
Both also offer what the pipeline needs for incremental crawls: ``sources``, ``keep`` (pages
unchanged since the last crawl), ``gone`` (pages now missing), ``complete``, ``resolve``,
``counts``, ``finish`` and ``close``.
"""
from __future__ import annotations

import logging
import os
from collections import deque
from pathlib import Path
from urllib.parse import unquote, urlsplit

from indexer.errors import SkipPage, SourceError
from indexer.model import Page
from indexer.settings import MAX_PAGE_BYTES

log = logging.getLogger(__name__)

HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
TEXT_SUFFIXES = {".txt", ".text"}


def path_of(source: str) -> Path:
    """Return the local path a source names (a path or a ``file://`` URL)."""
    parts = urlsplit(source)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if parts.scheme and len(parts.scheme) > 1:
        raise SourceError(f"{source}: unsupported scheme {parts.scheme!r}")
    return Path(source)


def sniff_type(path: Path, head: bytes) -> str | None:
    """Return "text/html", "text/plain" or None (not a page) for a file."""
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return "text/html"
    if suffix in TEXT_SUFFIXES:
        return "text/plain"
    lowered = head[:1024].lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    return None


class LocalCrawler:
    """Breadth-first walk over the pages of one local source."""

    def __init__(self, source: str, max_pages: int | None = None, max_depth: int | None = None):
        path = path_of(source).expanduser()
        if not path.exists():
            raise SourceError(f"{source}: no such file or folder")
        self.root = (path if path.is_dir() else path.parent).resolve()
        self.source = path.resolve().as_uri()
        self.max_pages = max_pages
        self.max_depth = max_depth
        self.sources = [self.source]
        self.skipped: list[tuple[str, str]] = []
        self.errors: list[tuple[str, str]] = []
        self.keep: set[str] = set()
        self.gone: set[str] = set()
        self.outcomes: dict[str, tuple[str, str]] = {}
        self.complete = True
        self.tick = None
        self._queue: deque[tuple[Path, int]] = deque()
        self._seen: set[Path] = set()
        self._depth: dict[str, int] = {}
        seeds = sorted(self._files(path)) if path.is_dir() else [path.resolve()]
        # The folder's index page first, so breadth-first order follows the site's links.
        seeds.sort(key=lambda p: (p.name not in ("index.html", "index.htm"), len(p.parts), str(p)))
        for seed in seeds:
            self._push(seed, 0)

    def _files(self, folder: Path):
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in filenames:
                if not name.startswith("."):
                    yield (Path(dirpath) / name).resolve()

    def _push(self, path: Path, depth: int) -> None:
        if path in self._seen:
            return
        self._seen.add(path)
        self._queue.append((path, depth))

    def add_links(self, page: Page, links: list[str]) -> None:
        """Queue the links of a page that lead to files inside the source's folder."""
        depth = self._depth.get(page.url, 0) + 1
        if self.max_depth is not None and depth > self.max_depth:
            return
        for link in links:
            parts = urlsplit(link)
            if parts.scheme != "file":
                continue
            target = Path(unquote(parts.path)).resolve()
            if target.is_relative_to(self.root) and target.is_file():
                self._push(target, depth)

    def resolve(self, page: Page, parsed) -> None:
        """Nothing to adjust: file URLs are already in one form."""

    def counts(self) -> dict:
        return {"queued": len(self._queue), "skipped": len(self.skipped), "errors": 0, "unchanged": 0}

    def finish(self, failed: set[str], complete: bool) -> None:
        """Nothing to record: a folder is read in full each time."""

    def close(self) -> None:
        """Nothing to release."""

    def __iter__(self):
        fetched = 0
        while self._queue:
            if self.max_pages is not None and fetched >= self.max_pages:
                break
            path, depth = self._queue.popleft()
            try:
                page = self._read(path)
            except SkipPage as skip:
                self.skipped.append((path.as_uri(), str(skip)))
                log.info("skipped %s: %s", path, skip)
                continue
            self._depth[page.url] = depth
            fetched += 1
            yield page

    def _read(self, path: Path) -> Page:
        try:
            size = path.stat().st_size
            if size > MAX_PAGE_BYTES:
                raise SkipPage(f"larger than {MAX_PAGE_BYTES} bytes ({size})")
            with path.open("rb") as f:
                body = f.read()
        except OSError as exc:
            raise SkipPage(f"unreadable: {exc.strerror or exc}") from None
        if not body.strip():
            raise SkipPage("empty file")
        content_type = sniff_type(path, body)
        if content_type is None:
            raise SkipPage("not an HTML or text page")
        return Page(url=path.as_uri(), body=body, content_type=content_type, source=self.source)
