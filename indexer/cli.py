"""The ``m4d-search`` command line: crawl, search, stats (``serve`` joins in webapp.cli,
since nothing in the indexer imports the web app).

Errors are one readable line on stderr: exit 1 for failures, 2 for usage errors. The engine
and the writer are imported when a command runs, not with this module, so that a Whoosh the
index codec was not written for (``WhooshVersionError``, raised when ``indexer.codec`` is
imported) is one line too.
"""
from __future__ import annotations

import json
import logging
import os
import sys
from typing import TYPE_CHECKING

import click

from indexer.errors import IndexUnavailable, M4DError, SearchError, WhooshVersionError
from indexer.settings import DEFAULT_INDEX_DIR, SORTS, default_index_dir

if TYPE_CHECKING:
    from indexer.search.engine import SearchIndex


def index_option(f):
    return click.option("--store", "--index", "index_dir", default=default_index_dir,
                        show_default=f"$M4D_STORE, $M4D_INDEX or {DEFAULT_INDEX_DIR}", metavar="FOLDER|URL",
                        help="Where the index is: a folder (Whoosh), or a postgresql:// URL (several hosts: "
                        "read replicas). --index is its older name.")(f)


def fail(message: str, code: int = 1):
    click.echo(f"m4d-search: error: {message}", err=True)
    sys.exit(code)


def open_index(index_dir: str) -> SearchIndex:
    """Open the store (a folder or a PostgreSQL URL: ``stores.open_store``) or exit with one line."""
    try:
        from indexer.stores import open_store

        return open_store(index_dir)
    except (IndexUnavailable, WhooshVersionError) as exc:  # missing, damaged, another format, unreachable
        fail(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log each page and skip.")
def cli(verbose: bool):
    """Multilingual full-text search for migration-and-development knowledge."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@index_option
@click.option("--allow-domain", multiple=True, metavar="D",
              help="Also follow links to domain D and its subdomains (web crawls; default: the seeds' hosts).")
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop after this many pages.")
@click.option("--max-depth", type=click.IntRange(min=0),
              help="Follow links at most this many hops from a seed (web crawls: 20 when not given).")
@click.option("--delay", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Seconds between requests to one host (web crawls; robots.txt Crawl-delay wins when larger).")
@click.option("--contact", default=lambda: os.environ.get("M4D_CONTACT", ""), show_default="$M4D_CONTACT",
              metavar="URL", help="A URL or e-mail for site owners, sent in the User-Agent (web crawls).")
@click.option("--rebuild", is_flag=True, help="Start the index (and the crawl state) over instead of updating it.")
@click.option("--allow-empty", is_flag=True, help="Let --rebuild commit an index with no documents (by default a "
              "rebuild that indexes nothing keeps the previous index).")
@click.option("--report", type=click.Path(dir_okay=False, writable=True),
              help="Write the crawl report (per-URL outcome, skips, errors, unknown labels) as JSON to this file.")
@click.option("--procs", type=click.IntRange(min=1), help="Processes that extract a folder's pages and write "
              "the index (default: one per core for 2,000 pages or documents or more, else one).")
@click.option("--shared", is_flag=True, help="Join (or start) the crawl of these websites that several processes "
              "or machines share through a PostgreSQL store: run the same command on each.")
def crawl(sources, index_dir, allow_domain, max_pages, max_depth, delay, contact, rebuild, allow_empty, report,
          procs, shared):
    """Crawl SOURCES (folders, files, file:// URLs, http(s):// sites) into the index."""
    from whoosh.index import LockError

    from indexer.errors import CrawlLocked, SourceError
    from indexer.pipeline import run_crawl, stderr_progress
    from indexer.settings import CrawlSettings

    settings = CrawlSettings(delay=delay, contact=contact)
    try:
        summary = run_crawl(list(sources), index_dir, rebuild=rebuild, max_pages=max_pages,
                            max_depth=max_depth, allow_domains=allow_domain, settings=settings,
                            progress=stderr_progress, procs=procs, allow_empty=allow_empty, shared=shared)
    except SourceError as exc:
        fail(str(exc), 2)
    except IndexUnavailable as exc:  # in another format: only --rebuild replaces it
        fail(str(exc))
    except (CrawlLocked, LockError) as exc:
        fail(str(exc) or f"another process is writing the index in {index_dir}")
    except OSError as exc:
        fail(f"cannot write the index in {index_dir}: {exc.strerror or exc}")
    except M4DError as exc:  # a PostgreSQL store's refusal (another crawl's commit outlasting the wait)
        fail(str(exc))
    if sys.stderr.isatty():
        click.echo("", err=True)
    if summary.kept is None:
        click.echo(summary.line(), err=True)
    if report:
        with open(report, "w", encoding="utf-8") as f:
            json.dump(summary.as_dict(), f, ensure_ascii=False, indent=1)
    if summary.kept is not None:  # nothing committed: the index keeps its previous version
        fail(summary.kept)
    if summary.interrupted:
        sys.exit(130)
    if summary.errors:
        sys.exit(1)


@cli.command()
@click.argument("query", default="")
@click.option("--lang", multiple=True, metavar="L", help="Only documents in language L (repeatable).")
@click.option("--theme", multiple=True, metavar="T", help="Only documents of theme T (repeatable).")
@click.option("--country", multiple=True, metavar="C", help="Only documents about country C (repeatable).")
@click.option("--type", "doc_type", multiple=True, metavar="T", help="Only documents of type T (repeatable).")
@click.option("--collapse", is_flag=True, help="One hit per translation group.")
@click.option("--page", default=1, show_default=True, type=int, help="Result page.")
@click.option("--per-page", default=10, show_default=True, type=int, help="Results per page.")
@click.option("--ui", default="en", show_default=True, type=click.Choice(["en", "es", "fr"]),
              help="Language of facet labels.")
@click.option("--sort", default=SORTS[0], show_default=True, type=click.Choice(SORTS),
              help="Order: by relevance, or newest first.")
@click.option("--exact", is_flag=True, help="Search the words as typed (no typo correction).")
@click.option("--json", "as_json", is_flag=True, help="Print the /api/search body.")
@index_option
def search(query, lang, theme, country, doc_type, collapse, page, per_page, ui, sort, exact, as_json, index_dir):
    """Search the index for QUERY (empty: browse)."""
    ix = open_index(index_dir)
    filters = {"lang": list(lang), "theme": list(theme), "country": list(country), "type": list(doc_type)}
    try:
        body = ix.search(query, filters, page=page, per_page=per_page, collapse=collapse, ui=ui, sort=sort,
                         exact=exact)
    except SearchError as exc:
        fail(str(exc), 2)
    except IndexUnavailable as exc:  # damaged files met while reading
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    click.echo(f"{body['total']} results ({body['took_ms']} ms), page {body['page']} of {body['pages']}")
    if body.get("corrected"):
        click.echo(f"Searched for: {body['corrected']['to']} (instead of {body['corrected']['from']})")
    if body.get("suggestion"):
        click.echo(f"Did you mean: {body['suggestion']}")
    if body.get("nearby"):
        click.echo(f"Nearby: {' · '.join(body['nearby'])}")
    for n, hit in enumerate(body["results"], start=(body["page"] - 1) * body["per_page"] + 1):
        also = " · ".join(t["lang"].upper() for t in hit["translations"])
        details = [hit["type"]] + ([hit["date"]] if hit.get("date") else []) + ([f"also in {also}"] if also else [])
        click.echo(f"\n{n}. [{hit['lang']}] {hit['title']}  ({', '.join(details)})")
        click.echo(f"   {hit['url']}")
        click.echo("   " + _plain_snippet(hit["snippet"]))


def _plain_snippet(snippet: str) -> str:
    import html
    import re

    marked = snippet.replace("<mark>", "«").replace("</mark>", "»")
    return html.unescape(re.sub(r"<[^>]+>", "", marked))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@index_option
def stats(as_json, index_dir):
    """Show documents by language, type, theme and country, and the index size."""
    try:
        body = open_index(index_dir).stats()
    except IndexUnavailable as exc:  # damaged files met while reading
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    click.echo(f"{body['documents']} documents, {body['index_bytes']} bytes, last crawl {body['last_crawl']}")
    for facet, counts in body["by"].items():
        click.echo(f"  {facet}: " + ", ".join(f"{v} {c}" for v, c in counts.items()))


@cli.command("init-store")
@index_option
def init_store(index_dir):
    """Create or upgrade a PostgreSQL store's tables (a crawl does it too; a folder needs nothing)."""
    from indexer.stores import describe
    from indexer.stores import init_store as migrate

    try:
        done = migrate(index_dir)
    except IndexUnavailable as exc:  # unreachable, or a newer schema
        fail(str(exc))
    if done:
        click.echo(f"{describe(index_dir)}: applied {', '.join(done)}", err=True)
    else:
        click.echo(f"{describe(index_dir)}: up to date", err=True)


def main():
    """Entry point of the indexer's commands (the console script adds ``serve``: webapp.cli)."""
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
    except WhooshVersionError as exc:  # the codec imported by a command
        fail(str(exc))
