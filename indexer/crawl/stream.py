"""Bounded reading of one HTTP response, for ``fetch``: a deadline that covers the whole
exchange (connect, TLS, status line, headers, body) and Content-Encoding layers decoded in
small pieces, so that the decoded size is counted as bytes arrive.

httpx's own decoders inflate a whole network chunk at once (a 3 KB ``gzip, gzip`` body
becomes gigabytes before any size check) and its timeouts are per read (a server trickling
one header byte a second is never cut off). Here the raw bytes are decoded layer by layer,
each call producing at most ``PIECE_BYTES``, and every socket operation of a request is
given at most the time left before the request's deadline.
"""
from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterable, Iterator

import httpcore
import httpx

from indexer.errors import FetchError

#: Content-Encodings decoded here, and so the only ones asked for (Accept-Encoding).
ACCEPT_ENCODING = "gzip, deflate"
#: Most decoded bytes one decompression step produces.
PIECE_BYTES = 64 * 1024
#: Most Content-Encoding layers accepted on one response.
MAX_LAYERS = 3

_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16}
_local = threading.local()


# The deadline: every socket operation of a request gets at most the time left

def set_deadline(deadline: float | None) -> None:
    """Set (a ``time.monotonic()`` value) or clear the deadline of this thread's request."""
    _local.deadline = deadline


def _time_left(timeout: float | None) -> float | None:
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the response deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _time_left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _time_left(timeout)))

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options=None) -> httpcore.NetworkStream:
        return _DeadlineStream(super().connect_tcp(host, port, _time_left(timeout), local_address, socket_options))


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool whose sockets honour ``set_deadline``."""

    def __init__(self, limits: httpx.Limits):
        super().__init__(limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend())


# Content-Encoding, decoded in bounded pieces

def encodings(header: str | None) -> list[str]:
    """Return the Content-Encoding layers in the order they must be undone.

    :raises FetchError: an encoding that is not decoded here, or too many layers.
    """
    layers = [e.strip().lower() for e in (header or "").split(",")]
    layers = [e for e in layers if e and e != "identity"]
    if len(layers) > MAX_LAYERS:
        raise FetchError(f"more than {MAX_LAYERS} Content-Encoding layers: {header}")
    for layer in layers:
        if layer not in _WBITS and layer != "deflate":
            raise FetchError(f"unsupported Content-Encoding: {layer}")
    return layers[::-1]


def decode(chunks: Iterable[bytes], layers: list[str]) -> Iterator[bytes]:
    """Decode raw body chunks through the layers, lazily, each piece at most PIECE_BYTES.

    :raises FetchError: a body that is not valid for its encoding.
    """
    for layer in layers:
        chunks = _inflate(chunks, layer)
    return iter(chunks)


def _inflate(chunks: Iterable[bytes], layer: str) -> Iterator[bytes]:
    d = None
    try:
        for data in chunks:
            while data:
                if d is None:  # deflate: zlib-wrapped as the RFC says, or raw as some servers send
                    wbits = _WBITS.get(layer) or (zlib.MAX_WBITS if _zlib_header(data) else -zlib.MAX_WBITS)
                    d = zlib.decompressobj(wbits)
                out = d.decompress(data, PIECE_BYTES)
                if out:
                    yield out
                data = d.unconsumed_tail
                if d.eof:
                    if layer in _WBITS and d.unused_data:  # another gzip member follows
                        data, d = d.unused_data, None
                        continue
                    return  # anything after the end is ignored, as browsers do
        while d is not None and not d.eof and (out := d.decompress(b"", PIECE_BYTES)):
            yield out
    except zlib.error as exc:
        raise FetchError(f"invalid {layer} body: {exc}") from None


def _zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
