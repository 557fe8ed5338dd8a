"""A web crawl shared by several crawler processes or machines: its frontier lives in the
PostgreSQL store (``crawl_runs``, ``crawl_hosts``, ``crawl_frontier``, ``crawl_hashes``;
``indexer/pgstore/migrations/0002_frontier.sql``), and each worker claims one URL at a time.

- **Claims.** A worker takes the oldest queued URL whose origin is ready, locking its row and
  its origin's row (``FOR UPDATE … SKIP LOCKED``: other workers pass over both), and keeps
  them locked while it fetches the page, parses it and queues its links. So no two requests
  to one origin run at once, whichever workers make them; the delay (``--delay``, or
  robots.txt's Crawl-delay) is kept in the origin's ``ready_at``.
- **Exactly once.** Each URL is queued once per crawl (its key); robots.txt is fetched once
  per origin and kept; a page body met again at another URL is an alias, as in one crawl.
- **Failures.** A worker killed while fetching loses its transaction: the URL and its origin
  are free again. A fetched URL waits as ``fetched`` by its worker (the session that claimed
  it) until the worker's documents are committed; if the worker dies first, the next worker
  to look queues it again. Each worker commits its documents in one transaction
  (``settle``), which also marks its URLs done; the crawl is finished when none is left.

The crawl module knows no database driver: it is given a ``connect(autocommit=True)`` that
returns a DB-API connection of psycopg's kind (the pipeline passes ``pgstore.connect``).
"""
from __future__ import annotations

import hashlib
import json
import logging
import time

from indexer.crawl.fetch import Fetcher, Robots
from indexer.crawl.frontier import Frontier, Host, Task
from indexer.crawl.urls import origin
from indexer.crawl.web import HttpCrawler

log = logging.getLogger(__name__)

#: The identity of a database session, as pg_stat_activity shows it while the session lives.
_SESSION = "a.pid::text || ':' || floor(extract(epoch FROM a.backend_start) * 1000000)::bigint::text"
#: Seconds a worker waits at most before looking again for a ready origin.
POLL = 0.25

_CLAIM = """
SELECT f.url, f.depth, f.source, f.kind, f.hops, h.origin, h.robots
FROM crawl_frontier f JOIN crawl_hosts h ON h.crawl = f.crawl AND h.origin = f.origin
WHERE f.crawl = %(key)s AND f.state = 'queued' AND h.ready_at <= clock_timestamp()
ORDER BY f.priority, f.seq
LIMIT 1
FOR UPDATE OF f, h SKIP LOCKED
"""

# A fetched URL whose worker's session ended before its documents were committed: queued again.
_RECLAIM = f"""
UPDATE crawl_frontier SET state = 'queued', owner = NULL
WHERE crawl = %(key)s AND state = 'fetched'
  AND owner <> ALL (ARRAY(SELECT {_SESSION} FROM pg_stat_activity a WHERE a.backend_type = 'client backend'))
"""

_WAITING = """
SELECT count(*), min(h.ready_at - clock_timestamp())
FROM crawl_frontier f JOIN crawl_hosts h ON h.crawl = f.crawl AND h.origin = f.origin
WHERE f.crawl = %(key)s AND f.state = 'queued'
"""


def crawl_key(seeds: list[str]) -> str:
    """Return the key that workers crawling the same seeds share."""
    return hashlib.sha256("\n".join(sorted(seeds)).encode()).hexdigest()[:16]


class SharedFrontier(Frontier):
    """The frontier of one shared crawl, as one worker sees it: the scope, trap and depth
    rules of ``Frontier`` applied here, the queue in the store."""

    def __init__(self, scope, settings, max_depth: int, connect, key: str):
        super().__init__(scope, settings, max_depth)
        self.key = key
        self.db = connect(autocommit=True)  # queueing, counts: one statement at a time
        self.claims = connect(autocommit=False)  # the claim being fetched: one transaction
        self.owner = self.claims.execute(f"SELECT {_SESSION} FROM pg_stat_activity a "
                                         "WHERE a.pid = pg_backend_pid()").fetchone()[0]
        self.claims.commit()
        self.started = False

    def start(self, seeds: list[str], enqueue) -> None:
        """Join the crawl of these seeds, or start it (queueing the seeds with enqueue) when
        none runs: one transaction, so no worker sees a started crawl without its seeds."""
        with self.db.transaction():
            self.db.execute("SELECT pg_advisory_xact_lock(hashtext('m4d-crawl:' || %s))", (self.key,))
            row = self.db.execute("SELECT finished FROM crawl_runs WHERE key = %s", (self.key,)).fetchone()
            if row is None or row[0] is not None:
                self.db.execute("DELETE FROM crawl_runs WHERE key = %s", (self.key,))
                self.db.execute("INSERT INTO crawl_runs (key, sources) VALUES (%s, %s)", (self.key, seeds))
                self.started = True
            for seed in seeds:
                enqueue(seed)
        self.reclaim()
        log.info("%s the shared crawl %s", "started" if self.started else "joined", self.key)

    def _queue(self, task: Task, front: bool) -> None:
        self.db.execute("INSERT INTO crawl_hosts (crawl, origin) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                        (self.key, origin(task.url)))
        self.db.execute("INSERT INTO crawl_frontier (crawl, url, origin, depth, source, kind, hops, priority) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                        (self.key, task.url, origin(task.url), task.depth, task.source, task.kind, task.hops,
                         0 if front else 1))

    def first_with(self, digest: str, url: str) -> str:
        """Return the first URL of the crawl whose body had this digest (url, if none)."""
        return self.db.execute(
            "INSERT INTO crawl_hashes (crawl, hash, url) VALUES (%s, %s, %s) "
            "ON CONFLICT (crawl, hash) DO UPDATE SET url = crawl_hashes.url RETURNING url",
            (self.key, digest, url)).fetchone()[0]

    def claim(self) -> tuple[Task, Host] | None:
        """Lock the next ready URL and its origin for this worker; None when none is ready."""
        row = self.claims.execute(_CLAIM, {"key": self.key}).fetchone()
        if row is None:
            self.claims.rollback()
            return None
        url, depth, source, kind, hops, name, robots = row
        host = Host(name)
        host.robots = Robots(**robots) if robots is not None else None
        return Task(url, depth, source, kind, hops), host

    def release(self, task: Task, host: Host, delay: float, new_robots: bool) -> None:
        """Record the claimed URL as fetched by this worker, start its origin's delay, commit."""
        robots = json.dumps(host.robots.as_dict()) if new_robots and host.robots is not None else None
        self.claims.execute("UPDATE crawl_hosts SET ready_at = clock_timestamp() + make_interval(secs => %s), "
                            "robots = coalesce(%s::jsonb, robots) WHERE crawl = %s AND origin = %s",
                            (delay, robots, self.key, host.origin))
        self.claims.execute("UPDATE crawl_frontier SET state = 'fetched', owner = %s WHERE crawl = %s AND url = %s",
                            (self.owner, self.key, task.url))
        self.claims.commit()

    def abandon(self) -> None:
        """Give the claimed URL back (an interrupted fetch)."""
        self.claims.rollback()

    def reclaim(self) -> int:
        """Queue again the URLs fetched by workers that died before committing; return how many."""
        n = self.db.execute(_RECLAIM, {"key": self.key}).rowcount
        if n:
            log.info("shared crawl %s: %d URLs of a stopped worker queued again", self.key, n)
        return n

    def pause(self) -> float | None:
        """Seconds to wait before claiming again, or None when no URL waits (the crawl is
        over for this worker: whatever others still fetch queues nothing not yet queued)."""
        self.reclaim()
        waiting, soonest = self.db.execute(_WAITING, {"key": self.key}).fetchone()
        if not waiting:
            return None
        seconds = soonest.total_seconds() if soonest is not None else 0.0
        return min(max(seconds, 0.02), POLL)

    def settle(self, conn) -> None:
        """In the transaction that commits this worker's documents: mark its URLs done."""
        conn.execute("UPDATE crawl_frontier SET state = 'done' WHERE crawl = %s AND state = 'fetched' "
                     "AND owner = %s", (self.key, self.owner))

    def finish(self) -> bool:
        """Mark the crawl finished when no URL is left; return whether it is."""
        return self.db.execute(
            "UPDATE crawl_runs SET finished = now() WHERE key = %s AND finished IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM crawl_frontier WHERE crawl = %s AND state <> 'done')",
            (self.key, self.key)).rowcount == 1

    def close(self) -> None:
        for conn in (self.claims, self.db):
            conn.close()


class SharedCrawler(HttpCrawler):
    """An ``HttpCrawler`` whose frontier is shared (``SharedFrontier``): run one per process,
    on as many machines as wanted, with the same seeds and store.

    Every URL is fetched in full (conditional requests need the crawl state of one machine),
    one at a time per worker. A shared crawl adds and replaces documents and removes gone
    pages (404, 410); it never takes an unseen page for removed (no worker sees the whole
    crawl), so ``complete`` stays False.
    """

    def __init__(self, sources: list[str], state_dir, *, connect, settings=None, allow_domains=(),
                 max_pages: int | None = None, max_depth: int | None = None):
        self._connect = connect
        super().__init__(sources, state_dir, settings=settings, allow_domains=allow_domains,
                         max_pages=max_pages, max_depth=max_depth, rebuild=True)
        self.complete = False

    def _make_frontier(self) -> SharedFrontier:
        return SharedFrontier(self.scope, self.settings, self.max_depth, self._connect, crawl_key(self.sources))

    def _start(self, seeds: list[str]) -> None:
        self.frontier.start(seeds, lambda seed: self._enqueue(seed, 0, seed))

    def _first_with(self, digest: str, url: str) -> str:
        return self.frontier.first_with(digest, url)

    def __iter__(self):
        frontier = self.frontier
        fetcher = Fetcher(self.settings)
        try:
            while self.max_pages is None or self._fetched < self.max_pages:
                claimed = frontier.claim()
                if claimed is None:
                    pause = frontier.pause()
                    if pause is None:
                        return
                    time.sleep(pause)
                    continue
                task, host = claimed
                try:
                    done = self._work(fetcher, self._prepare(task), host)
                    page = self._handle(task, host, done)
                    if self.tick:
                        self.tick()
                    if page is not None:
                        self._depth[page.url] = task.depth
                        yield page  # parsed, and its links queued (add_links), before the claim ends
                    revalidated = done.response is not None and done.response.status == 304
                    frontier.release(task, host, host.delay(self.settings, revalidated), done.new_robots)
                except BaseException:
                    frontier.abandon()
                    raise
        finally:
            fetcher.close()

    def settle(self, conn) -> None:
        """Mark this worker's URLs done in the transaction that commits its documents."""
        self.frontier.settle(conn)

    def finish(self, failed: set[str], complete: bool) -> None:
        super().finish(failed, complete)
        if self.frontier.finish():
            log.info("shared crawl %s finished", self.frontier.key)

    def close(self) -> None:
        super().close()
        self.frontier.close()
