"""Crawl websites: breadth-first over http(s) links within the allowed domains, politely
(robots.txt, one request at a time per host with a delay, a few hosts at once), incrementally
(conditional requests against the state store) and safely (scope, redirects and link traps).

Like LocalCrawler, the crawler hands out Pages and is told the links found in each one
(``add_links``); pages that did not change since the last crawl are not handed out: their
canonical URLs go to ``keep`` and their stored links are followed again.
"""
from __future__ import annotations

import hashlib
import logging
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from urllib.parse import urlsplit

from indexer.crawl.fetch import Fetcher, Response, fetch_robots, read_sitemap
from indexer.crawl.frontier import Frontier, Host, Task
from indexer.crawl.state import CrawlState, PageState, now_iso
from indexer.crawl.urls import Scope, normalize, origin
from indexer.errors import FetchError, SkipPage, SourceError
from indexer.model import Page, ParsedPage
from indexer.settings import CrawlSettings

log = logging.getLogger(__name__)


@dataclass
class _Done:
    """What a worker brings back for one task."""

    task: Task
    response: Response | None = None
    skip: str | None = None
    error: str | None = None
    new_robots: bool = False


class HttpCrawler:
    """Breadth-first crawl of http(s) seeds; iterate it for Pages."""

    def __init__(self, sources: list[str], index_dir, *, settings: CrawlSettings | None = None,
                 allow_domains=(), max_pages: int | None = None, max_depth: int | None = None,
                 rebuild: bool = False):
        self.settings = settings or CrawlSettings()
        seeds = []
        for source in sources:
            try:
                seed = normalize(source)
            except ValueError as exc:
                raise SourceError(f"{source}: {exc}") from None
            if seed not in seeds:
                seeds.append(seed)
        self.sources = seeds
        self.scope = Scope(seeds, allow_domains)
        self.max_pages = max_pages
        self.max_depth = self.settings.max_depth if max_depth is None else max_depth
        self.rebuild = rebuild
        self.skipped: list[tuple[str, str]] = []
        self.errors: list[tuple[str, str]] = []
        self.keep: set[str] = set()  # canonical URLs whose documents stay as they are
        self.gone: set[str] = set()  # canonical URLs that answered 404 or 410
        self.outcomes: dict[str, tuple[str, str]] = {}  # url → (outcome, reason), for the report
        self.complete = True  # False when --max-pages stopped the crawl with URLs still queued
        self.tick = None  # called after each fetch (progress)
        self.frontier = self._make_frontier()
        self._hosts = self.frontier.hosts
        self._visited: set[str] = set()
        self._depth: dict[str, int] = {}
        self._hashes: dict[str, str] = {}
        self._seed_of_origin = {}
        for seed in seeds:
            self._seed_of_origin.setdefault(origin(seed), seed)
        self._sitemaps = 0
        self._fetched = 0
        self._unchanged_count = 0
        self.state = CrawlState(index_dir)
        if rebuild:
            self.state.reset()
        self._start(seeds)

    def _make_frontier(self) -> Frontier:
        return Frontier(self.scope, self.settings, self.max_depth)

    def _start(self, seeds: list[str]) -> None:
        for seed in seeds:
            self._enqueue(seed, 0, seed)

    # Queueing

    def add_links(self, page: Page, links: list[str]) -> None:
        """Record the links a page gives and queue those the crawl may follow."""
        targets = []
        for link in links:
            try:
                targets.append(normalize(link))
            except ValueError:
                scheme = urlsplit(link).scheme
                if link not in self.frontier.seen:
                    self.frontier.seen.add(link)
                    self._skip(link, f"unsupported scheme: {scheme}" if scheme not in ("http", "https")
                               else "invalid URL")
        targets = list(dict.fromkeys(targets))
        self.state.update(page.url, links=targets)
        self._follow(targets, self._depth.get(page.url, 0) + 1, page.source)

    def _follow(self, links: list[str], depth: int, source: str) -> None:
        for link in links:
            self._enqueue(link, depth, source)

    def _enqueue(self, url: str, depth: int, source: str, kind: str = "page", hops: int = 0,
                 front: bool = False) -> None:
        refused = self.frontier.add(url, depth, source, kind, hops, front)
        if refused is not None:
            self._skip(url, refused)
            if self.frontier.full:  # a URL left out for want of room: what was not reached stays
                self.complete = False

    # The fetch loop

    def __iter__(self):
        s = self.settings
        fetcher = Fetcher(s)
        pool = ThreadPoolExecutor(max_workers=s.concurrency, thread_name_prefix="m4d-fetch")
        running: dict[Future, tuple[Task, Host]] = {}
        try:
            while True:
                now = time.monotonic()
                pages_running = sum(1 for t, _ in running.values() if t.kind == "page")
                limit_reached = self.max_pages is not None and self._fetched + pages_running >= self.max_pages
                for host in self._hosts.values():
                    if len(running) >= s.concurrency:
                        break
                    if host.busy or not host.queue or host.ready_at > now or limit_reached:
                        continue
                    task = self._prepare(self.frontier.pop(host))
                    host.busy = True
                    running[pool.submit(self._work, fetcher, task, host)] = (task, host)
                if not running:
                    idle = [h.ready_at for h in self._hosts.values() if h.queue]
                    if not idle:
                        break
                    if limit_reached:
                        self.complete = False
                        break
                    time.sleep(max(0.0, min(idle) - now))
                    continue
                # Wake up when a fetch ends, or when an idle host's delay is over and a slot is free.
                ready = [h.ready_at for h in self._hosts.values() if h.queue and not h.busy]
                can_start = ready and not limit_reached and len(running) < s.concurrency
                timeout = max(0.0, min(ready) - time.monotonic()) if can_start else None
                done, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
                for future in done:
                    task, host = running.pop(future)
                    host.busy = False
                    result = future.result()
                    revalidated = result.response is not None and result.response.status == 304
                    host.ready_at = time.monotonic() + host.delay(s, revalidated=revalidated)
                    page = self._handle(task, host, result)
                    if self.tick:
                        self.tick()
                    if page is not None:
                        self._depth[page.url] = task.depth
                        yield page
        finally:
            fetcher.close()
            pool.shutdown(wait=True, cancel_futures=True)

    def _prepare(self, task: Task) -> Task:
        """Attach the validators of the last fetch, for a conditional request."""
        prev = None if self.rebuild or task.kind != "page" else self.state.get(task.url)
        if prev is not None and prev.status == 200 and prev.hash:
            task.etag, task.last_modified = prev.etag, prev.last_modified
        return task

    def _work(self, fetcher: Fetcher, task: Task, host: Host) -> _Done:
        """Fetch one task (in a worker thread; only this worker touches the host meanwhile)."""
        done = _Done(task)
        try:
            if host.robots is None:
                host.robots = fetch_robots(fetcher, host.origin, self.scope.refuse)
                done.new_robots = True
                if host.robots.note:
                    log.info("%s: %s", host.origin, host.robots.note)
                fetcher.pause(host.delay(self.settings))  # politeness between the two requests
            if not host.robots.allowed(task.url):
                if host.robots.parser is None:  # unreachable: not a rule, a failure (RFC 9309 2.3.1.4)
                    done.error = host.robots.note
                else:
                    done.skip = "robots.txt: disallowed"
                return done
            done.response = fetcher.get(task.url, kind=task.kind, etag=task.etag,
                                        last_modified=task.last_modified)
        except SkipPage as skip:
            done.skip = str(skip)
        except FetchError as exc:
            done.error = str(exc)
        except Exception as exc:  # a bug must not stop the crawl
            if fetcher.stopped:  # the client was closed under it: Ctrl-C
                done.error = "crawl stopped"
            else:
                log.exception("fetching %s failed", task.url)
                done.error = f"{type(exc).__name__}: {exc}"
        return done

    # Outcomes

    def _handle(self, task: Task, host: Host, done: _Done) -> Page | None:
        if done.new_robots and host.origin in self._seed_of_origin:
            self._queue_sitemaps(host)
        if task.kind == "sitemap":
            self._read_sitemap(task, done)
            return None
        url = task.url
        self._visited.add(url)
        if done.skip:
            # Its documents go (robots.txt, type, size): never take it for unchanged later.
            self.state.update(url, hash=None, etag=None, last_modified=None, reason=done.skip)
            self._skip(url, done.skip)
            return None
        if done.error:
            self._failed(task, done.error)
            return None
        r = done.response
        if r.location is not None:
            self._redirect(task, r)
            return None
        prev = self.state.get(url)
        if r.status == 304 and prev is not None:
            self._fetched += 1
            self.state.update(url, fetched_at=now_iso(), etag=r.headers.get("etag") or prev.etag)
            self._unchanged(task, prev, "not modified (304)")
            return None
        if r.status in (404, 410):
            self.gone.add(prev.canonical or url if prev else url)
            self._record(task, r, reason=f"http {r.status}")
            self._skip(url, f"http {r.status}", outcome="gone")
            return None
        if r.status == 429 or r.status >= 500:
            self._failed(task, f"http {r.status}")
            return None
        if r.status != 200:
            self._record(task, r, reason=f"http {r.status}")
            self._skip(url, f"http {r.status}")
            return None
        self._fetched += 1
        digest = hashlib.sha256(r.body).hexdigest()
        first = self._first_with(digest, url)
        if first != url:
            self._record(task, r, hash=digest, alias_of=first)
            self._skip(url, f"duplicate: same content as {first}", outcome="alias")
            return None
        if prev is not None and prev.hash == digest and not prev.alias_of and not self.rebuild:
            self.state.update(url, status=200, fetched_at=now_iso(), etag=r.headers.get("etag"),
                              last_modified=r.headers.get("last-modified"))
            self._unchanged(task, prev, "same content")
            return None
        self._record(task, r, hash=digest)
        changed = prev is not None and prev.hash is not None and not self.rebuild
        self.outcomes[url] = ("changed" if changed else "new", "")
        return Page(url=url, body=r.body, content_type=r.content_type, source=task.source, encoding=r.encoding)

    def _first_with(self, digest: str, url: str) -> str:
        """Return the first URL of this crawl whose body had this digest (url, if none)."""
        return self._hashes.setdefault(digest, url)

    def _record(self, task: Task, r: Response, **values) -> None:
        self.state.put(PageState(url=task.url, source=task.source, status=r.status, fetched_at=now_iso(),
                                 etag=r.headers.get("etag"), last_modified=r.headers.get("last-modified"),
                                 **values))

    def _unchanged(self, task: Task, prev: PageState, reason: str) -> None:
        self.outcomes[task.url] = ("unchanged", reason)
        self._unchanged_count += 1
        if prev.alias_of:
            return
        if prev.hash:
            self._hashes.setdefault(prev.hash, task.url)
        self.keep.add(prev.canonical or task.url)
        self._depth[task.url] = task.depth
        self._follow(prev.links, task.depth + 1, task.source)

    def _failed(self, task: Task, reason: str) -> None:
        """A fetch that failed for good: keep what was indexed and go on from its old links."""
        self.errors.append((task.url, reason))
        self.outcomes[task.url] = ("error", reason)
        prev = self.state.get(task.url)
        if prev is not None and prev.hash and not prev.alias_of:
            self.keep.add(prev.canonical or task.url)
            self._follow(prev.links, task.depth + 1, task.source)

    def _redirect(self, task: Task, r: Response) -> None:
        try:
            target = normalize(r.location)
        except ValueError:
            self._skip(task.url, f"redirect to an invalid URL: {r.location}")
            return
        self._record(task, r, redirect_to=target)
        self.outcomes[task.url] = ("redirect", f"http {r.status} to {target}")
        if task.hops >= self.settings.max_redirects:
            self._skip(task.url, f"too many redirects (over {self.settings.max_redirects})")
            return
        refused = self.scope.refuse(target)
        if refused:
            self._skip(task.url, f"redirect refused: {refused}: {target}")
            return
        self._enqueue(target, task.depth, task.source, task.kind, task.hops + 1, front=True)

    def _skip(self, url: str, reason: str, outcome: str = "skipped") -> None:
        log.info("skipped %s: %s", url, reason)
        self.skipped.append((url, reason))
        self.outcomes[url] = (outcome, reason)

    # Sitemaps

    def _queue_sitemaps(self, host: Host) -> None:
        urls = [*host.robots.sitemaps(), host.origin + "/sitemap.xml"]
        seed = self._seed_of_origin[host.origin]
        for url in urls:
            try:
                self._enqueue(normalize(url), 0, seed, kind="sitemap")
            except ValueError:
                log.info("%s: ignored sitemap %r", host.origin, url)

    def _read_sitemap(self, task: Task, done: _Done) -> None:
        r = done.response
        if r is not None and r.location is not None:
            if task.hops < self.settings.max_redirects and self.scope.refuse(r.location) is None:
                try:
                    self._enqueue(normalize(r.location), task.depth, task.source, "sitemap", task.hops + 1, True)
                except ValueError:
                    pass
            return
        if r is None or r.status != 200:
            log.info("sitemap %s: %s", task.url, done.skip or done.error or f"http {r.status}")
            return
        self._sitemaps += 1
        # Its URLs count toward --max-pages and max_queued: no more are read than may be queued.
        room = self.frontier.room()
        if self.max_pages is not None:
            room = min(room, max(0, self.max_pages - self._fetched - self.frontier.queued("page")))
        pages, nested, left_out = read_sitemap(r.body, max_pages=room,
                                                max_sitemaps=self.settings.max_sitemaps - self.frontier.sitemaps)
        log.info("sitemap %s: %d pages, %d sitemaps%s", task.url, len(pages), len(nested),
                 f", {left_out} more left out (--max-pages, max_queued, max_sitemaps)" if left_out else "")
        if left_out:
            self.complete = False
        for url in pages:
            try:
                self._enqueue(normalize(url), 0, task.source)
            except ValueError:
                continue
        for url in nested:
            try:
                self._enqueue(normalize(url), task.depth + 1, task.source, kind="sitemap")
            except ValueError:
                continue

    # The pipeline's side

    def resolve(self, page: Page, parsed: ParsedPage) -> None:
        """Normalize a parsed page's canonical and alternate URLs; a canonical outside the
        crawl's scope is ignored, so no page can claim another site's document ids."""
        canonical = page.url
        if parsed.url != page.url:
            try:
                candidate = normalize(parsed.url)
                if self.scope.refuse(candidate) is None:
                    canonical = candidate
            except ValueError:
                pass
        parsed.url = canonical
        alternates = {}
        for lang, url in parsed.alternates.items():
            try:
                alternates[lang] = normalize(url)
            except ValueError:
                continue
        parsed.alternates = alternates
        self.state.update(page.url, canonical=canonical)

    def counts(self) -> dict:
        return {"queued": self.frontier.queued(), "skipped": len(self.skipped), "errors": len(self.errors),
                "unchanged": self._unchanged_count}

    def finish(self, failed: set[str], complete: bool) -> None:
        """Commit the state after the index commit; forget URLs a complete crawl no longer reached."""
        for url in failed:  # processing failed: fetch it in full next time
            self.state.update(url, hash=None, etag=None, last_modified=None)
        if complete and self.complete:
            self.state.forget(self.sources, self._visited)
        self.state.commit()

    def close(self) -> None:
        self.state.close()
