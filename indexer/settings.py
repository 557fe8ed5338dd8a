"""What is declared once and read everywhere: the contract's constants (DESIGN.md) and the
crawl's settings, each with its default and its help text (the README lists them; a test
checks it). Nothing here imports another module of the project.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from importlib.metadata import PackageNotFoundError, version

#: The facets, in the order the page and the API list them; each is also a filter parameter
#: and a stored field of the index.
FACETS = ("lang", "theme", "country", "type")
#: The orders of a search's results (``sort``), the default first: by relevance, or newest first.
SORTS = ("relevance", "date")
#: The languages of the interface (labels, messages), English first: the fallback.
UI_LANGS = ("en", "es", "fr")
#: The index folder when neither ``--index`` nor ``$M4D_INDEX`` names one.
DEFAULT_INDEX_DIR = "var/index"
#: m4d-search's own metadata beside Whoosh's files in an index folder (last crawl, sources,
#: the format version of the project's additions).
META_FILE = "m4d-meta.json"
#: Longest query accepted, in characters (a longer one is a 400).
MAX_QUERY_CHARS = 500
#: Most results on one page (``per_page``).
MAX_PER_PAGE = 100
#: Pages larger than this are skipped, local or fetched (bytes).
MAX_PAGE_BYTES = 5 * 1024 * 1024
#: The product token robots.txt rules are matched against.
ROBOTS_TOKEN = "m4d-search"
#: Seconds a browser or proxy may reuse a search answer (the page, ``/api/search``,
#: ``/api/suggest``): the index changes only when a crawl commits.
ANSWER_MAX_AGE = 60
#: Seconds a static file (CSS, JS, icon) is cached under its versioned URL (``?v=<digest>``,
#: which changes with the file); a bare URL is cached for ``STATIC_MAX_AGE_BARE``.
STATIC_MAX_AGE = 365 * 24 * 3600
STATIC_MAX_AGE_BARE = 3600
#: The origins allowed to read the JSON API from another site when ``$M4D_CORS_ORIGINS`` is
#: unset: any (the API is read-only, GET only, and uses no cookies or credentials).
DEFAULT_CORS_ORIGINS = "*"
#: The hosts whose name ``/opensearch.xml`` writes into its absolute links when
#: ``$M4D_PUBLIC_URL`` is unset and ``$M4D_ALLOWED_HOSTS`` lists no others (``serve`` adds the
#: host it binds to); any other ``Host`` header gets links without a host (``webapp.public``).
DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def default_index_dir() -> str:
    """Return the store: ``$M4D_STORE`` (an index folder or a ``postgresql://`` URL), else
    ``$M4D_INDEX`` (its older name), else ``DEFAULT_INDEX_DIR``."""
    return os.environ.get("M4D_STORE") or os.environ.get("M4D_INDEX") or DEFAULT_INDEX_DIR


#: Where a crawl into a PostgreSQL store keeps this machine's crawl state (what earlier
#: crawls learnt of each URL, the crawl lock): ``$M4D_STATE_DIR``, else this folder, one
#: sub-folder per store.
DEFAULT_STATE_DIR = "var/crawl-state"


def _product_version() -> str:
    try:
        return version("m4d-search")
    except PackageNotFoundError:  # running from a source tree
        return "dev"


@dataclass
class CrawlSettings:
    """Settings of a web crawl: each with its default and what it does (README lists them)."""

    delay: float = field(default=1.0, metadata={"help": "seconds between two requests to one host; "
                                                        "robots.txt Crawl-delay wins when larger"})
    revalidated_delay: float = field(default=0.25, metadata={
        "help": "after a 304 Not Modified answer (no page transferred), this fraction of the delay; "
                "robots.txt Crawl-delay still applies in full"})
    contact: str = field(default="", metadata={"help": "a URL or e-mail address for site owners, "
                                                       "sent in the User-Agent"})
    timeout: float = field(default=10.0, metadata={"help": "seconds to connect and between two reads; "
                                                           "a whole response must arrive within 4× this"})
    max_bytes: int = field(default=MAX_PAGE_BYTES, metadata={"help": "pages larger than this are skipped"})
    retries: int = field(default=2, metadata={"help": "retries after a timeout, a network error, 429 or 5xx "
                                                      "(none after another 4xx)"})
    backoff: float = field(default=1.0, metadata={"help": "first retry wait in seconds, doubled each time; "
                                                          "Retry-After wins when larger"})
    max_retry_wait: float = field(default=60.0, metadata={"help": "a Retry-After longer than this gives up"})
    concurrency: int = field(default=4, metadata={"help": "fetches at once, across hosts (one per host)"})
    max_redirects: int = field(default=5, metadata={"help": "redirects followed from one URL"})
    max_crawl_delay: float = field(default=30.0, metadata={"help": "cap on a robots.txt Crawl-delay"})
    max_depth: int = field(default=20, metadata={"help": "link depth when --max-depth is not given"})
    max_url_length: int = field(default=2048, metadata={"help": "longer URLs are refused as link traps"})
    max_query_variants: int = field(default=100, metadata={"help": "distinct queries followed per path "
                                                                   "(calendar and filter traps)"})
    max_sitemaps: int = field(default=50, metadata={"help": "sitemap files read per crawl (index files too)"})
    max_queued: int = field(default=100_000, metadata={"help": "URLs waiting to be fetched at most (links and "
                                                             "sitemap entries); beyond it URLs are left out and "
                                                             "the crawl counts as incomplete"})

    @property
    def user_agent(self) -> str:
        contact = f"; +{self.contact}" if self.contact else ""
        return f"Mozilla/5.0 (compatible; {ROBOTS_TOKEN}/{_product_version()}{contact})"

    @classmethod
    def documented(cls) -> list[tuple[str, object, str]]:
        """Return (name, default, help) of every setting."""
        return [(f.name, f.default, f.metadata["help"]) for f in fields(cls)]
