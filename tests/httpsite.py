"""A real HTTP server on 127.0.0.1 for crawler tests: static files from a folder (with
Last-Modified and If-Modified-Since, as ``python -m http.server``) plus custom routes, and
a log of every request it answered (path, headers, client port, time).
"""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


@dataclass
class Request:
    path: str  # path and query, as sent
    headers: Message
    port: int  # the client's port: one per connection
    at: float  # time.monotonic() when it arrived


@dataclass
class Site:
    """Serve root (if given) and routes; ``routes[path](handler)`` answers a request itself."""

    root: Path | None = None
    routes: dict = field(default_factory=dict)
    log: list[Request] = field(default_factory=list)

    def __post_init__(self):
        site = self
        self.stopping = threading.Event()

        class Handler(SimpleHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the crawler should reuse connections
            wbufsize = 1 << 16  # headers and body in one send (no Nagle / delayed-ACK stall)

            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(site.root or Path("/nonexistent")), **kwargs)

            def do_GET(self):
                site.log.append(Request(self.path, self.headers, self.client_address[1], time.monotonic()))
                route = site.routes.get(self.path) or site.routes.get(urlsplit(self.path).path)
                if route is not None:
                    route(self)
                elif site.root is not None:
                    super().do_GET()
                else:
                    self.send_error(404)

            def log_message(self, format, *args):  # quiet
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                if not isinstance(sys.exc_info()[1], ConnectionError):  # a crawler hanging up is fine
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return self.base + path

    def close(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def count(self, path: str) -> int:
        """How many requests asked for path (path and query as sent)."""
        return sum(1 for r in self.log if r.path == path)

    def requests(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path == path]

    def paths(self) -> list[str]:
        return [r.path for r in self.log]


def reply(handler, status: int = 200, body: bytes | str = b"", content_type: str | None = "text/html; charset=utf-8",
          headers: dict | None = None, length: bool = True) -> None:
    """Answer a request with status, headers and body (no Content-Length when length is False:
    the body is then sent and the connection closed)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    else:
        handler.send_header("Connection", "close")
        handler.close_connection = True
    handler.end_headers()
    try:
        handler.wfile.write(body)
    except OSError:  # the crawler gave up on this response
        handler.close_connection = True


def html(title: str, body: str = "", head: str = "", lang: str = "en") -> str:
    """A small HTML page."""
    return (f"<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title>{head}"
            f"</head><body><h1>{title}</h1>{body}</body></html>")


def page(text: str, **kwargs):
    """A route answering one fixed HTML page."""
    return lambda h: reply(h, 200, text, **kwargs)


def sequence(*routes):
    """A route answering with routes[0] first, then routes[1], …, repeating the last one."""
    calls = []

    def route(h):
        calls.append(1)
        routes[min(len(calls), len(routes)) - 1](h)
    return route
