"""Crawl a local source: a folder, a single file or a ``file://`` URL (websites: ``web``;
``sources.make_crawlers`` picks the crawler for each source).

A crawler hands out Pages breadth-first and is told the links found in each one
(``add_links``); LocalCrawler follows only links that stay inside the source's folder.
Both also offer what the pipeline needs for incremental crawls: ``sources``, ``keep`` (pages
unchanged since the last crawl), ``gone`` (pages now missing), ``complete``, ``resolve``,
``counts``, ``finish`` and ``close``.

The crawl never leaves the source's folder: every path is resolved (symbolic links followed)
and checked against the resolved folder, and only regular files are read, at most the size
cap; links leading out, symbolic link loops, FIFOs, devices and sockets are skips with a
reason. A page is fetched by its real ``file://`` URL, but its documents are identified by
the folder's name and the path inside it (``site/case-studies/a.html``, ``localize``), so
that no absolute server path reaches the index or the API; the folder's absolute
``file://`` URL is the crawl's source (``m4d-meta.json``).
"""
from __future__ import annotations

import errno
import logging
import os
import stat
from collections import deque
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

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


def source_root(source: str) -> Path:
    """Return the folder of a local source's file:// URL (a file's parent folder)."""
    return _root_of(str(path_of(source)))


@lru_cache(maxsize=64)
def _root_of(path: str) -> Path:
    return Path(path) if os.path.isdir(path) else Path(path).parent


def public_url(url: str, root: Path) -> str | None:
    """Return a document's id for a file:// URL inside root: the folder's name and the path
    inside it, "/"-separated and URL-escaped (``site/a%20b.html#item``); None outside root."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    path, top = os.path.normpath(unquote(parts.path)), str(root).rstrip(os.sep)
    if not path.startswith(top + os.sep):
        return None
    rel = path[len(top) + 1:].replace(os.sep, "/")
    name = root.name or "files"
    return quote(f"{name}/{rel}") + (f"#{quote(parts.fragment)}" if parts.fragment else "")


def localize(page: Page, parsed) -> None:
    """Give a parsed local page its public id (``public_url``), and its hreflang alternates
    inside the folder theirs; a canonical URL elsewhere is ignored (a file claims no other
    document's id) and so are alternates in other folders."""
    root = source_root(page.source)
    own = public_url(page.url, root) or page.url
    parsed.url = (public_url(parsed.url, root) if parsed.url != page.url else None) or own
    alternates = {}
    for lang, url in parsed.alternates.items():
        target = public_url(url, root) if urlsplit(url).scheme == "file" else url
        if target:
            alternates[lang] = target
    parsed.alternates = alternates


def file_skip(path: Path, root: Path) -> tuple[Path | None, str | None]:
    """Return (the real path, None) for a regular file inside root, or (None, why not)."""
    try:
        real = Path(os.path.realpath(path, strict=True))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "symbolic link loop"
        return None, "broken symbolic link" if os.path.islink(path) else f"unreadable: {exc.strerror or exc}"
    if not real.is_relative_to(root):
        return None, "symbolic link leading outside the source folder"
    try:
        mode = os.stat(real).st_mode
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"
    if not stat.S_ISREG(mode):
        return None, _not_regular(mode)
    return real, None


def _not_regular(mode: int) -> str:
    kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a special file")
    return f"not a regular file: {kind}"


def read_capped(path: Path, cap: int) -> bytes:
    """Read a regular file, at most cap bytes (never following a link swapped in, never
    blocking on a FIFO).

    :raises SkipPage: not a regular file, larger than cap, or unreadable.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise SkipPage("symbolic link loop" if exc.errno == errno.ELOOP
                       else f"unreadable: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SkipPage(_not_regular(st.st_mode))
        if st.st_size > cap:
            raise SkipPage(f"larger than {cap} bytes ({st.st_size})")
        parts, size = [], 0
        while size <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
        if size > cap:
            raise SkipPage(f"larger than {cap} bytes (grew while read)")
        return b"".join(parts)
    except OSError as exc:
        raise SkipPage(f"unreadable: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


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
        self._real: set[Path] = set()  # real paths read (two links to one file: one page)
        seeds = sorted(self._files(self.root)) if path.is_dir() else [path.resolve()]
        # The folder's index page first, so breadth-first order follows the site's links.
        seeds.sort(key=lambda p: (p.name not in ("index.html", "index.htm"), len(p.parts), str(p)))
        for seed in seeds:
            self._push(seed, 0)

    def _files(self, folder: Path):
        """The folder's files, not resolved (``_read`` checks each); folders that are symbolic
        links are not walked, but listed, so that one leading out is reported."""
        for dirpath, dirnames, filenames in os.walk(folder):
            links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in links)
            for name in [*filenames, *links]:
                if not name.startswith("."):
                    yield Path(dirpath) / name

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
            target = Path(os.path.normpath(unquote(parts.path)))
            if target.is_relative_to(self.root) and os.path.lexists(target) and not os.path.isdir(target):
                self._push(target, depth)  # _read checks where it leads

    def resolve(self, page: Page, parsed) -> None:
        """Give the page its public id and alternates (``localize``)."""
        localize(page, parsed)

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
                if page is None:
                    continue
            except SkipPage as skip:
                self.skipped.append((path.as_uri(), str(skip)))
                log.info("skipped %s: %s", path, skip)
                continue
            self._depth[page.url] = depth
            fetched += 1
            yield page

    def _read(self, path: Path) -> Page | None:
        """Return the page of a file, None for a file already read under another name."""
        real, why = file_skip(path, self.root)
        if why is not None:
            raise SkipPage(why)
        if real in self._real:
            return None
        self._real.add(real)
        path = real
        body = read_capped(real, MAX_PAGE_BYTES)
        if not body.strip():
            raise SkipPage("empty file")
        content_type = sniff_type(path, body)
        if content_type is None:
            raise SkipPage("not an HTML or text page")
        return Page(url=path.as_uri(), body=body, content_type=content_type, source=self.source)
