"""Crawl: sources → Pages (the first stage).

``sources`` picks a crawler per source: ``local`` walks a folder, a file or a ``file://`` URL;
``web`` crawls http(s) sites breadth-first and politely, over ``frontier`` (a queue per host,
refusals before any request), ``fetch`` (the HTTP client: timeouts, size caps, retries,
robots.txt, sitemaps), ``urls`` (normalization, scope, link traps) and ``state`` (what earlier
crawls learnt about each URL, in SQLite, and the crawl lock). Hands ``model.Page`` values on;
knows nothing of parsing or indexing.
"""
