"""The frontier of a web crawl: which URLs wait to be fetched, one queue per origin, and which
are refused before any request (outside the scope, link traps, too deep).
"""
from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from urllib.parse import urlsplit

from indexer.crawl.fetch import Robots
from indexer.crawl.urls import Scope, origin, trap_reason
from indexer.settings import CrawlSettings


@dataclass
class Task:
    """A URL waiting to be fetched."""

    url: str
    depth: int
    source: str
    kind: str = "page"  # "page" or "sitemap"
    hops: int = 0  # redirects followed to get here
    etag: str | None = None
    last_modified: str | None = None


class Host:
    """One origin: its queue, robots.txt rules and politeness clock."""

    def __init__(self, name: str):
        self.origin = name
        self.queue: deque[Task] = deque()
        self.busy = False
        self.ready_at = 0.0
        self.robots: Robots | None = None

    def delay(self, settings: CrawlSettings, revalidated: bool = False) -> float:
        """Seconds to wait between two requests: --delay, or Crawl-delay when larger (capped).

        :param revalidated: the last answer was a 304 Not Modified: it transferred no page, so
            the next request follows after ``revalidated_delay`` of the delay (a site's own
            Crawl-delay still applies in full).
        """
        crawl_delay = self.robots.crawl_delay() if self.robots else 0.0
        own = settings.delay * settings.revalidated_delay if revalidated else settings.delay
        return max(own, min(crawl_delay, settings.max_crawl_delay))


class Frontier:
    """Queues per origin (breadth-first within each), each URL queued at most once per crawl."""

    def __init__(self, scope: Scope, settings: CrawlSettings, max_depth: int):
        self.scope = scope
        self.settings = settings
        self.max_depth = max_depth
        self.hosts: dict[str, Host] = {}
        self.seen: set[str] = set()
        self.full = False  # True once a URL was refused because max_queued were waiting
        self.sitemaps = 0  # sitemap tasks queued so far (max_sitemaps)
        self._variants: Counter = Counter()
        self._queued: Counter = Counter()  # kind → tasks waiting

    def add(self, url: str, depth: int, source: str, kind: str = "page", hops: int = 0,
            front: bool = False) -> str | None:
        """Queue a normalized URL; return why it is refused, or None (queued, or seen before)."""
        if url in self.seen:
            return None
        s = self.settings
        if self.queued() >= s.max_queued:  # not marked seen: it may be queued once there is room
            self.full = True
            return f"queue full: {s.max_queued} URLs waiting (max_queued)"
        if kind == "sitemap" and self.sitemaps >= s.max_sitemaps:
            return f"more than {s.max_sitemaps} sitemaps (max_sitemaps)"
        self.seen.add(url)
        reason = self.scope.refuse(url) or trap_reason(url, max_length=s.max_url_length)
        if reason is None and kind == "page" and depth > self.max_depth:
            reason = f"deeper than max depth {self.max_depth}"
        parts = urlsplit(url)
        if reason is None and parts.query:
            key = (parts.netloc, parts.path)
            self._variants[key] += 1
            if self._variants[key] > s.max_query_variants:
                reason = f"link trap: more than {s.max_query_variants} query variants of {parts.path}"
        if reason is not None:
            return reason
        self._queue(Task(url, depth, source, kind, hops), front)
        self._queued[kind] += 1
        self.sitemaps += kind == "sitemap"
        return None

    def _queue(self, task: Task, front: bool) -> None:
        """Put an accepted task in its origin's queue (first when front)."""
        host = self.hosts.setdefault(origin(task.url), Host(origin(task.url)))
        host.queue.appendleft(task) if front else host.queue.append(task)

    def pop(self, host: Host) -> Task:
        """Take the next task of a host's queue."""
        task = host.queue.popleft()
        self._queued[task.kind] -= 1
        return task

    def room(self) -> int:
        """How many more URLs may be queued (max_queued)."""
        return max(0, self.settings.max_queued - self.queued())

    def queued(self, kind: str | None = None) -> int:
        """How many tasks wait (of one kind, or all)."""
        return self._queued[kind] if kind is not None else sum(self._queued.values())
