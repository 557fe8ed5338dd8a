"""URLs for the web crawl: normalization (one page, one URL), scope (where the crawl may go)
and link-trap rules.
"""
from __future__ import annotations

import ipaddress
import re
import socket
import threading
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
#: Query parameters that only track a visit; they never change what a page says.
TRACKING_PARAMS = frozenset({
    "gclid", "gclsrc", "dclid", "fbclid", "msclkid", "yclid", "twclid", "igshid", "mc_cid", "mc_eid",
    "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "wickedid",
})
TRACKING_PREFIXES = ("utm_", "pk_", "matomo_", "piwik_")
#: Characters left as they are in a path or query (RFC 3986 reserved and unreserved, plus "%").
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def normalize(url: str) -> str:
    """Return the normal form of an absolute http(s) URL.

    Lower-case scheme and host, no default port, no user info, no fragment, "/" for an empty
    path, percent-escapes upper-cased (and decoded where they stand for unreserved characters),
    tracking parameters dropped and the remaining query parameters sorted.

    :raises ValueError: for a URL that is not absolute http(s) or has an invalid host or port.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"not an http(s) URL: {url}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError(f"no host in {url}")
    port = parts.port  # raises ValueError when out of range
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _escape(remove_dot_segments(parts.path)) or "/"
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k)]
    query = urlencode(sorted(params), quote_via=quote, safe=_PATH_SAFE.replace("&", "").replace("=", ""))
    return urlunsplit((scheme, netloc, path, query, ""))


def remove_dot_segments(path: str) -> str:
    """Resolve "." and ".." segments of a path (RFC 3986, section 5.2.4)."""
    if "." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
        elif seg == ".":
            if last:
                out.append("")
        else:
            out.append(seg)
    return "/".join(out)


def _escape(path: str) -> str:
    def fix(m: re.Match) -> str:
        char = chr(int(m.group(0)[1:], 16))
        return char if char in _UNRESERVED else m.group(0).upper()
    return quote(_ESCAPE.sub(fix, path), safe=_PATH_SAFE)


def is_tracking(param: str) -> bool:
    """Return True for a query parameter that only tracks a visit (utm_source, fbclid, …)."""
    name = param.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def origin(url: str) -> str:
    """Return scheme://host[:port] of a normalized URL: the unit of robots.txt and politeness."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def host_of(url: str) -> str:
    """Return the lower-case host name of a URL, without brackets or port."""
    return (urlsplit(url).hostname or "").rstrip(".").lower()


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return the address a host names literally (127.0.0.1, [::1]), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_local_name(host: str) -> bool:
    """Return True for names that always mean this machine (localhost, *.localhost)."""
    return host == "localhost" or host.endswith(".localhost") or host in ("localhost.localdomain", "ip6-localhost")


class Scope:
    """Where a crawl may go: the seeds' hosts and the allowed domains, and never from a named
    public host to this machine, a private network or an IP literal.

    Ports count: a seed's host is in scope on the seed's port only (its scheme's default port
    when it names none), an allowed domain on the default ports and the seeds' ports.
    A seed that is itself local (``http://127.0.0.1:8000/``) makes its own host allowed; links
    from a public site to loopback, private or link-local addresses are refused, whether the
    link names the address or a name that resolves to one (checked once per host).
    """

    def __init__(self, seeds: list[str], allow_domains=()):
        self.hosts = {host_of(s) for s in seeds}
        self.ports: dict[str, set[int | None]] = {}  # seed host → its ports (None: the default)
        for seed in seeds:
            self.ports.setdefault(host_of(seed), set()).add(_port(seed))
        self.seed_ports = {None}.union(*self.ports.values())
        self.domains = {d.strip().lstrip(".").rstrip(".").lower() for d in allow_domains if d.strip()}
        self.public = all(ip_literal(h) is None and not is_local_name(h) for h in self.hosts)
        self._resolved: dict[str, bool] = {}
        self._lock = threading.Lock()

    def refuse(self, url: str) -> str | None:
        """Return why the crawl must not fetch url, or None when it may."""
        scheme = urlsplit(url).scheme
        if scheme not in DEFAULT_PORTS:
            return f"unsupported scheme: {scheme or 'none'}"
        host = host_of(url)
        try:
            port = _port(url)
        except ValueError:
            return "invalid port"
        if host in self.hosts and port in self.ports[host]:
            return None
        if not any(host == d or host.endswith("." + d) for d in self.domains):
            return "outside allowed domains" + (f": port {port} of {host}" if host in self.hosts else "")
        if port not in self.seed_ports:
            return f"outside allowed domains: port {port} of {host}"
        if host in self.domains:
            return None  # named exactly by the operator
        if self.public and (ip_literal(host) is not None or is_local_name(host) or self._private(host)):
            return "outside allowed domains: local or private address"
        return None

    def _private(self, host: str) -> bool:
        """Return True when a host name resolves to a non-public address (cached)."""
        with self._lock:
            if host in self._resolved:
                return self._resolved[host]
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
            private = any(not ipaddress.ip_address(info[4][0].split("%")[0]).is_global for info in infos)
        except (OSError, ValueError, UnicodeError):
            private = False  # unresolvable: the fetch itself will fail and say so
        with self._lock:
            self._resolved[host] = private
        return private


def _port(url: str) -> int | None:
    """Return the port a URL names, None for its scheme's default."""
    parts = urlsplit(url)
    port = parts.port
    return None if port == DEFAULT_PORTS.get(parts.scheme.lower()) else port


def trap_reason(url: str, max_length: int = 2048, max_segments: int = 24, max_repeats: int = 3,
                max_params: int = 12) -> str | None:
    """Return why a URL looks like a link trap (endless calendars, relative-link loops), or None."""
    if len(url) > max_length:
        return f"link trap: URL longer than {max_length} characters"
    parts = urlsplit(url)
    segments = [s for s in unquote(parts.path).split("/") if s]
    if len(segments) > max_segments:
        return f"link trap: more than {max_segments} path segments"
    counts: dict[str, int] = {}
    for s in segments:
        counts[s] = counts.get(s, 0) + 1
        if counts[s] >= max_repeats:
            return f"link trap: path segment {s!r} repeated {max_repeats} times"
    if parts.query and len(parse_qsl(parts.query, keep_blank_values=True)) > max_params:
        return f"link trap: more than {max_params} query parameters"
    return None
