"""The production server behind ``m4d-search serve``: gunicorn, one worker process per core.

Search is CPU-bound Python, so threads in one process share one core (the GIL); worker
processes use them all. Each worker opens the index once and keeps its searchers and caches
for its lifetime. Workers are gunicorn's *sync* workers: one request at a time, the
connection closed after each response, so no keep-alive connection can pin itself to one
busy worker while the other idles (what gthread workers do under keep-alive load). With
``threads > 1`` the gthread worker is used, with keep-alive off for the same reason.

A sync worker is also held by a client that sends its request slowly or not at all (until
``WORKER_TIMEOUT``, when gunicorn replaces it): in production it runs behind nginx
(``deploy/nginx.conf``, ``m4d-search nginx-config``), which reads whole requests before
passing them on and whole answers before trickling them out, so a worker only ever waits on
nginx over loopback. Sync workers are what gunicorn recommends behind such a proxy.
"""
from __future__ import annotations

import os
import socket

from gunicorn.app.base import BaseApplication

#: Seconds a worker may be silent (busy or blocked on one client) before gunicorn replaces
#: it: the only bound a sync worker has on a client that trickles its request.
WORKER_TIMEOUT = 30
#: Request-line bytes accepted: a 500-character query, percent-encoded, plus filters (the
#: most gunicorn allows); more fields or larger ones are refused with a 400 before the app.
LIMIT_REQUEST_LINE = 8190
LIMIT_REQUEST_FIELDS = 50
LIMIT_REQUEST_FIELD_SIZE = 8190


def default_workers() -> int:
    """Return one worker per core."""
    return max(1, os.cpu_count() or 1)


class Server(BaseApplication):
    """gunicorn serving a WSGI app with settings given in code, not read from the command line."""

    def __init__(self, app, bind: str, workers: int, threads: int = 1):
        self.application = app
        self.options = {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread" if threads > 1 else "sync",
            "keepalive": 0,
            "timeout": WORKER_TIMEOUT,
            "limit_request_line": LIMIT_REQUEST_LINE,
            "limit_request_fields": LIMIT_REQUEST_FIELDS,
            "limit_request_field_size": LIMIT_REQUEST_FIELD_SIZE,
            "graceful_timeout": 10,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "proc_name": "m4d-search",
            "post_worker_init": self._warm,
        }
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application

    def _warm(self, worker) -> None:
        """Open the index and load its facet sets before the worker takes requests."""
        from .handle import get_index

        app = self.application
        with app.app_context():
            try:
                get_index().warm()
            except Exception:  # noqa: BLE001 - a worker that cannot warm up still serves (and reports) errors
                app.logger.exception("could not warm up the index")


def listen(host: str, port: int) -> socket.socket:
    """Return a listening socket on host:port (port 0: a free one), for ``serve``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=2048)
    sock.set_inheritable(True)
    return sock


def serve(app, sock: socket.socket, workers: int, threads: int = 1) -> None:
    """Run the app on a listening socket until interrupted (SIGINT/SIGTERM stop the workers
    gracefully). gunicorn takes the socket over (``fd://``), so the port is known before it
    starts, and a busy port fails in one line before it (see ``listen``)."""
    Server(app, f"fd://{sock.detach()}", workers, threads).run()
