"""The ``m4d-search`` console script: the indexer's commands plus ``serve``."""
from __future__ import annotations

import click

from indexer.cli import _fail, _index_option, _open, cli


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Worker threads.")
@_index_option
def serve(host, port, threads, index_dir):
    """Serve the search page and JSON API on a production WSGI server (waitress)."""
    import waitress

    from . import create_app

    _open(index_dir).close()  # fail early, in one line, when there is no index
    app = create_app({"INDEX_DIR": index_dir})
    click.echo(f"m4d-search: serving {index_dir} on http://{host}:{port}/ ({threads} threads)", err=True)
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="m4d-search")
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def main():
    """Console-script entry point."""
    cli()
