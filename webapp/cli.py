"""The ``m4d-search`` console script: the indexer's commands plus ``serve``."""
from __future__ import annotations

import click

from indexer.cli import cli, fail, index_option, open_index
from indexer.errors import ConfigError, WhooshVersionError


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0: any free port, printed at start).")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes (default: one per core).")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Threads per worker (1: sync workers; more: gthread workers, keep-alive off).")
@click.option("--site", multiple=True, type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="Folder whose crawled files are served under /site/ (default: the last crawl's folders).")
@click.option("--public-url", metavar="URL", help="Scheme and host the site is reached at from outside, for "
              "absolute links (/opensearch.xml) [default: $M4D_PUBLIC_URL].")
@index_option
def serve(host, port, workers, threads, site, public_url, index_dir):
    """Serve the search page and JSON API on a production WSGI server (gunicorn)."""
    from . import create_app
    from .server import default_workers, listen
    from .server import serve as run_server

    open_index(index_dir).close()  # fail early, in one line, when there is no index or it is damaged
    try:
        sock = listen(host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    workers = workers or default_workers()
    try:
        public = {"PUBLIC_URL": public_url} if public_url else {}  # else $M4D_PUBLIC_URL
        app = create_app({"INDEX_DIR": index_dir, "SITE_DIRS": list(site) or None, "SERVE_HOST": host, **public})
    except ConfigError as exc:
        fail(str(exc))
    # The port actually bound (--port 0 picks a free one), so scripts and tests can read it.
    bound = sock.getsockname()[1]
    click.echo(f"m4d-search: serving {index_dir} on http://{host}:{bound}/ "
               f"({_count(workers, 'worker')} × {_count(threads, 'thread')})", err=True)
    run_server(app, sock, workers, threads)


@cli.command("nginx-config")
@click.option("--listen", default="80", show_default=True, help="Port (or address:port) nginx listens on.")
@click.option("--upstream", default="127.0.0.1:5000", show_default=True,
              help="Where `m4d-search serve` listens (its --host:--port).")
@click.option("--server-name", default="_", show_default=True, help="The site's host name(s), space-separated.")
def nginx_config(listen, upstream, server_name):
    """Print the nginx configuration for production: a buffering proxy in front of `serve`."""
    from .proxy import nginx_config as render

    try:
        click.echo(render(listen, upstream, server_name), nl=False)
    except ConfigError as exc:
        fail(str(exc))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def main():
    """Console-script entry point."""
    try:
        cli()
    except WhooshVersionError as exc:  # the index codec, imported by a command, refuses this Whoosh
        fail(str(exc))
