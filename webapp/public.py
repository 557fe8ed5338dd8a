"""The absolute URLs the app writes (``/opensearch.xml``'s links), never taken from an
arbitrary ``Host`` header.

- ``$M4D_PUBLIC_URL`` (app config ``PUBLIC_URL``, ``serve --public-url``): the scheme and host
  the site is reached at from outside (``https://search.example.org``); when set, every
  absolute link starts with it, whatever the request says.
- Else the request's own scheme and host, only when its ``Host`` is listed in
  ``$M4D_ALLOWED_HOSTS`` (app config ``ALLOWED_HOSTS``: host names, with a port or not,
  separated by commas or spaces; default ``settings.DEFAULT_ALLOWED_HOSTS`` plus the host
  ``serve --host`` binds to). A name without a port matches any port.
- Else a link without scheme and host (``/search?q=…``): the browser resolves it against
  the description's own URL.

A malformed setting fails when the app is created (``ConfigError``: one line in ``serve``).
"""
from __future__ import annotations

import os
import re

from flask import current_app, request, url_for

from indexer.errors import ConfigError
from indexer.settings import DEFAULT_ALLOWED_HOSTS

_HOST = r"(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.\-]*[a-z0-9])?)"
_PUBLIC_URL = re.compile(rf"https?://{_HOST}(?::\d{{1,5}})?/?", re.IGNORECASE)
_ALLOWED = re.compile(rf"{_HOST}(?::\d{{1,5}})?")
#: Bind addresses that name no host a client would send.
_ANY_ADDRESS = ("0.0.0.0", "::", "[::]", "")


def parse_public_url(value: str) -> str:
    """Return a public URL without its trailing slash ('' when unset); ConfigError if it is
    not a scheme and a host (and port)."""
    value = (value or "").strip()
    if value and not _PUBLIC_URL.fullmatch(value):
        raise ConfigError(f"M4D_PUBLIC_URL must be a scheme and host such as https://search.example.org, "
                          f"not {value!r}")
    return value.rstrip("/")


def parse_hosts(value, serve_host: str | None = None) -> frozenset[str]:
    """Return the allowed hosts (lowercase, IPv6 addresses in brackets) of an ALLOWED_HOSTS
    value (a string, a list, or None for the default), plus the host ``serve`` binds to."""
    if value is None:
        names = list(DEFAULT_ALLOWED_HOSTS)
    else:
        names = re.split(r"[\s,]+", value.strip()) if isinstance(value, str) else list(value)
    if serve_host and serve_host not in _ANY_ADDRESS:
        names.append(serve_host)
    hosts = set()
    for name in filter(None, (n.strip().lower() for n in names)):
        if ":" in name and not name.startswith("[") and name.count(":") > 1:
            name = f"[{name}]"  # a bare IPv6 address
        if not _ALLOWED.fullmatch(name):
            raise ConfigError(f"M4D_ALLOWED_HOSTS must list host names (with a port or not), not {name!r}")
        hosts.add(name)
    return frozenset(hosts)


def host_allowed(host: str, allowed: frozenset[str]) -> bool:
    """Tell whether a request's Host (``name`` or ``name:port``) is allowed."""
    host = host.strip().lower()
    name = host.rsplit(":", 1)[0] if re.search(r":\d+$", host) else host
    return host in allowed or name in allowed


def external_url(endpoint: str, **values) -> str:
    """Return the URL of endpoint, absolute when a public URL or an allowed Host gives its host."""
    path = url_for(endpoint, **values)
    public, allowed = current_app.extensions["m4d_public"]
    if public:
        return public + path
    if host_allowed(request.host, allowed):
        return request.host_url.rstrip("/") + path
    return path


def init_app(app) -> None:
    """Read the settings (a bad one fails here) and offer ``external_url`` to templates."""
    app.config.setdefault("PUBLIC_URL", os.environ.get("M4D_PUBLIC_URL", ""))
    app.config.setdefault("ALLOWED_HOSTS", os.environ.get("M4D_ALLOWED_HOSTS"))
    app.extensions["m4d_public"] = (parse_public_url(app.config["PUBLIC_URL"]),
                                    parse_hosts(app.config["ALLOWED_HOSTS"], app.config.get("SERVE_HOST")))
    app.add_template_global(external_url)
