"""The ``m4d-search`` console script: the indexer's commands plus ``serve``."""
from __future__ import annotations

import click

from indexer.cli import _fail, _index_option, _open, cli


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes (default: one per core).")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Threads per worker (1: sync workers; more: gthread workers, keep-alive off).")
@_index_option
def serve(host, port, workers, threads, index_dir):
    """Serve the search page and JSON API on a production WSGI server (gunicorn)."""
    import socket

    from . import create_app
    from .server import default_workers
    from .server import serve as run_server

    _open(index_dir).close()  # fail early, in one line, when there is no index
    workers = workers or default_workers()
    try:  # gunicorn reports a busy port only in its log; say it in one line instead
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    app = create_app({"INDEX_DIR": index_dir})
    click.echo(f"m4d-search: serving {index_dir} on http://{host}:{port}/ "
               f"({workers} workers × {threads} threads)", err=True)
    run_server(app, host, port, workers, threads)


def main():
    """Console-script entry point."""
    cli()
