"""The ``m4d-search`` console script: the indexer's commands plus ``serve``."""
from __future__ import annotations

import click

from indexer.cli import _fail, _index_option, _open, cli


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0: any free port, printed at start).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Worker threads.")
@click.option("--site", multiple=True, type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="Folder whose crawled files are served under /site/ (default: the last crawl's folders).")
@_index_option
def serve(host, port, threads, site, index_dir):
    """Serve the search page and JSON API on a production WSGI server (waitress)."""
    import waitress

    from . import create_app

    _open(index_dir).close()  # fail early, in one line, when there is no index
    app = create_app({"INDEX_DIR": index_dir, "SITE_DIRS": list(site) or None})
    try:
        server = waitress.create_server(app, host=host, port=port, threads=threads, ident="m4d-search")
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    # The port actually bound (--port 0 picks a free one), so scripts and tests can read it.
    click.echo(f"m4d-search: serving {index_dir} on http://{host}:{server.effective_port}/ "
               f"({threads} threads)", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def main():
    """Console-script entry point."""
    cli()
