"""The nginx configuration shipped for production (``deploy/nginx.conf``), filled in.

``m4d-search nginx-config`` prints it with the address nginx listens on, the gunicorn it
passes requests to (``serve``'s host and port) and the folder of the static
files (this package's, by default). Each value is checked, so nothing but the value lands in
the file.
"""
from __future__ import annotations

import re
from pathlib import Path

from indexer.errors import ConfigError

TEMPLATE = Path(__file__).resolve().parent / "deploy" / "nginx.conf"
STATIC_DIR = Path(__file__).resolve().parent / "static"

_HOST_PORT = re.compile(r"(?:(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]):)?\d{1,5}")
_UPSTREAM = re.compile(r"(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}")
_SERVER_NAME = re.compile(r"[\w.\-*~^$]+(?: [\w.\-*~^$]+)*")
_PATH = re.compile(r"/[\w./\-]*")


def _check(pattern: re.Pattern, value: str, what: str, example: str, port: bool = False) -> str:
    if not pattern.fullmatch(value):
        raise ConfigError(f"{what} must look like {example}, not {value!r}")
    if port and not 0 < int(value.rpartition(":")[2]) < 65536:
        raise ConfigError(f"{what} has a port outside 1-65535: {value!r}")
    return value


def nginx_config(listen: str = "80", upstream: str = "127.0.0.1:5000", server_name: str = "_",
                 static_dir: str | Path = STATIC_DIR) -> str:
    """Return deploy/nginx.conf with its placeholders replaced by checked values."""
    values = {
        "@LISTEN@": _check(_HOST_PORT, listen, "--listen", "80 or 127.0.0.1:8080", port=True),
        "@UPSTREAM@": _check(_UPSTREAM, upstream, "--upstream", "127.0.0.1:5000", port=True),
        "@SERVER_NAME@": _check(_SERVER_NAME, server_name, "--server-name", "search.example.org"),
        "@STATIC_DIR@": _check(_PATH, str(static_dir).rstrip("/") or "/", "the static folder",
                               "an absolute path without spaces"),
    }
    text = TEMPLATE.read_text("utf-8")
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text
