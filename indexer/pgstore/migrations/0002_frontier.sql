-- m4d-search's PostgreSQL store, version 2: the frontier of shared web crawls
-- (`m4d-search crawl --shared`, indexer/crawl/shared.py): several crawler processes or
-- machines crawl the same seeds together, each claiming one URL at a time.

-- One row per shared crawl (its key: a hash of its seeds). A crawl whose frontier ran dry is
-- finished; the next `crawl --shared` of the same seeds starts a new one.
CREATE TABLE crawl_runs (
    key text PRIMARY KEY,
    sources text[] NOT NULL,
    started timestamptz NOT NULL DEFAULT now(),
    finished timestamptz
);

-- One row per origin of a crawl. A worker fetching from an origin holds its row locked
-- (FOR UPDATE) until the page is parsed and its links queued, so no two requests to one
-- origin run at once, whichever worker makes them; ready_at keeps the delay between them.
CREATE TABLE crawl_hosts (
    crawl text NOT NULL REFERENCES crawl_runs ON DELETE CASCADE,
    origin text NOT NULL,
    ready_at timestamptz NOT NULL DEFAULT '-infinity',
    robots jsonb,  -- robots.txt as the first worker read it: {"text", "allow_all", "note"}
    PRIMARY KEY (crawl, origin)
);

-- The URLs of a crawl, each at most once. state: queued (waiting, or locked by the worker
-- fetching it), fetched (by owner, whose documents are not committed yet), done (committed).
-- A fetched row whose owner's session is gone (a killed worker) is queued again.
CREATE TABLE crawl_frontier (
    crawl text NOT NULL REFERENCES crawl_runs ON DELETE CASCADE,
    url text NOT NULL,
    origin text NOT NULL,
    depth integer NOT NULL,
    source text NOT NULL,
    kind text NOT NULL,
    hops integer NOT NULL DEFAULT 0,
    priority smallint NOT NULL DEFAULT 1,  -- 0: a redirect's target, fetched next
    seq bigserial,
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'fetched', 'done')),
    owner text,
    PRIMARY KEY (crawl, url)
);
CREATE INDEX crawl_frontier_queued ON crawl_frontier (crawl, priority, seq) WHERE state = 'queued';
CREATE INDEX crawl_frontier_owner ON crawl_frontier (crawl, owner) WHERE state = 'fetched';

-- The first URL each page body was seen at: a body met again elsewhere is an alias.
CREATE TABLE crawl_hashes (
    crawl text NOT NULL REFERENCES crawl_runs ON DELETE CASCADE,
    hash text NOT NULL,
    url text NOT NULL,
    PRIMARY KEY (crawl, hash)
);
