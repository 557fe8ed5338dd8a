"""Slow clients against the production set-up: gunicorn behind the shipped nginx config.

Starts ``m4d-search serve`` (gunicorn, sync workers) on 127.0.0.1 and, in front of it, Debian's
nginx (``apt-get install -y nginx``) with the configuration ``m4d-search nginx-config``
prints, everything (config, pid, logs, temporary files) in a scratch folder. It then holds
``--slow`` connections open to nginx, half sending a request line a byte a second
(slowloris), half connected and silent, reopening any the server drops, and meanwhile sends
``--requests`` ordinary searches one after another, each on a new connection, reporting
p50/p99/max latency and every answer that was not a 200 within ``--timeout``. With
``--direct`` the same runs against gunicorn alone, for comparison. By hand:

    python -m benchmarks.slow_clients --index var/index --slow 50 --requests 1000
    python -m benchmarks.slow_clients --index var/index --slow 50 --requests 200 --direct

tests/test_deploy_nginx.py runs the same pieces with a looser bound.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from benchmarks.soak import free_port
from webapp.proxy import nginx_config

NGINX = "/usr/sbin/nginx"
EXE = str(Path(sys.executable).with_name("m4d-search"))
QUERIES = ["migration", "migración", "développement local", "remesas", "social inclusion", "derechos humanos",
           "mujeres", "education", "ville", "desarrollo", "\"local development\"", "emploi", "migra*"]

MAIN_CONF = """\
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    types {{ text/css css; application/javascript js; image/svg+xml svg; text/html html; }}
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/m4d-search.conf;
}}
"""


def _wait_port(port: int, proc: subprocess.Popen, deadline: float, log: Path) -> None:
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {port} did not start: "
                                   + log.read_text("utf-8", errors="replace")) from None
            time.sleep(0.05)


@contextmanager
def run_nginx(prefix: Path, upstream: str):
    """Run nginx in the foreground with the shipped config proxying to upstream; yield its
    base URL. Everything nginx writes stays under prefix."""
    prefix.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (prefix / "m4d-search.conf").write_text(nginx_config(f"127.0.0.1:{port}", upstream), "utf-8")
    main = prefix / "nginx.conf"
    main.write_text(MAIN_CONF.format(prefix=prefix), "utf-8")
    # As root, the workers would switch to "nobody", who cannot enter a private scratch folder.
    directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    cmd = [NGINX, "-e", str(prefix / "error.log"), "-p", str(prefix), "-c", str(main), "-g", directives]
    check = subprocess.run([*cmd, "-t", "-q"], capture_output=True, text=True, timeout=10)
    if check.returncode:
        raise RuntimeError(f"nginx -t refused the config: {check.stderr.strip()}")
    log = prefix / "error.log"
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, proc, time.monotonic() + 10, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def run_serve(index_dir: str, workers: int, log: Path, env: dict | None = None):
    """Run ``m4d-search serve --port 0``; yield its base URL once it answers."""
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen([EXE, "serve", "--port", "0", "--workers", str(workers), "--index", index_dir],
                                stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + 30
        while not (found := re.search(r"http://127\.0\.0\.1:(\d+)/", log.read_text("utf-8"))):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("m4d-search serve did not start: " + log.read_text("utf-8"))
            time.sleep(0.05)
        _wait_port(int(found.group(1)), proc, deadline, log)
        yield f"http://127.0.0.1:{found.group(1)}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


class SlowClients:
    """n connections held open to host:port: half trickling a request line a byte every
    interval (slowloris), half silent. A background thread reopens the ones the server drops
    and counts them; ``first_drops`` holds, for the first connections, seconds until dropped."""

    def __init__(self, host: str, port: int, n: int, interval: float = 1.0):
        self.address, self.n, self.interval = (host, port), n, interval
        self.dropped = 0
        self.first_drops: list[float] = []
        self._stop = threading.Event()
        self._socks: list[tuple[socket.socket, bool, float, bool]] = []  # sock, trickle, opened, first
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _open(self, trickle: bool, first: bool) -> tuple[socket.socket, bool, float, bool]:
        sock = socket.create_connection(self.address, timeout=5)
        if trickle:
            sock.sendall(b"GET /api/search?q=mig")  # half a request line, then a byte at a time
        sock.setblocking(False)
        return sock, trickle, time.monotonic(), first

    def __enter__(self):
        self._socks = [self._open(i % 2 == 0, True) for i in range(self.n)]
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)
        for sock, *_ in self._socks:
            sock.close()

    def _closed(self, sock: socket.socket, trickle: bool) -> bool:
        try:
            if trickle:
                sock.send(b"r")
            sock.recv(4096)  # the end of the connection (b""), or an answer (408, 400) that ends it
            return True
        except BlockingIOError:
            return False
        except OSError:
            return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for i, (sock, trickle, opened, first) in enumerate(self._socks):
                if self._closed(sock, trickle):
                    sock.close()
                    self.dropped += 1
                    if first:
                        self.first_drops.append(time.monotonic() - opened)
                    try:
                        self._socks[i] = self._open(trickle, False)
                    except OSError:
                        self._socks[i] = (socket.socket(), trickle, time.monotonic(), False)


def measure(base: str, n: int, timeout: float) -> tuple[list[float], list[str]]:
    """Send n searches one after another, each on a new connection; return the latencies of
    the 200s (seconds) and a line for each other outcome."""
    latencies, failures = [], []
    for i in range(n):
        # distinct URLs (no cached answer): another page size each round (a page past the last is a 400)
        url = f"{base}/api/search?q={quote(QUERIES[i % len(QUERIES)])}&per_page={5 + i // len(QUERIES) % 3}"
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                response.read()
                latencies.append(time.perf_counter() - start)
        except urllib.error.HTTPError as exc:
            failures.append(f"{url}: HTTP {exc.code}")
        except OSError as exc:
            failures.append(f"{url}: {exc}")
    return latencies, failures


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", default=os.environ.get("M4D_INDEX", "var/index"))
    ap.add_argument("--slow", type=int, default=50, help="slow and idle connections held open")
    ap.add_argument("--requests", type=int, default=1000, help="searches sent meanwhile (at least)")
    ap.add_argument("--seconds", type=float, default=15.0,
                    help="keep sending for at least this long (the slow clients get dropped and come back)")
    ap.add_argument("--no-cache", action="store_true", help="serve with M4D_CACHE_SIZE=0: every search computed")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds a search may take before it counts as failed")
    ap.add_argument("--direct", action="store_true", help="against gunicorn alone, without nginx")
    args = ap.parse_args(argv)
    if not args.direct and not Path(NGINX).exists():
        ap.error(f"{NGINX} is missing: apt-get install -y nginx")
    scratch = Path(tempfile.mkdtemp(prefix="m4d-slow-"))
    try:
        env = {"M4D_CACHE_SIZE": "0"} if args.no_cache else {}
        with run_serve(args.index, args.workers, scratch / "serve.log", env) as upstream:
            measure(upstream, 20, args.timeout)  # warm-up, no slow clients
            if args.direct:
                report = run(upstream, args)
            else:
                with run_nginx(scratch / "nginx", upstream.removeprefix("http://")) as base:
                    measure(base, 20, args.timeout)
                    report = run(base, args)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps(report, indent=2))
    return 1 if report["failed"] else 0


def run(base: str, args) -> dict:
    port = int(base.rsplit(":", 1)[1])
    with SlowClients("127.0.0.1", port, args.slow) as slow:
        time.sleep(1)  # let the slow clients settle in
        start = time.monotonic()
        latencies, failures = [], []
        # At least --requests searches and --seconds, but never past 4 × --seconds (a blocked server).
        while ((len(latencies) + len(failures) < args.requests or time.monotonic() - start < args.seconds)
               and time.monotonic() - start < 4 * args.seconds):
            ok, failed = measure(base, 10, args.timeout)
            latencies += ok
            failures += failed
        seconds = time.monotonic() - start
    ms = [x * 1000 for x in latencies]
    return {"front": "gunicorn alone" if args.direct else "nginx", "slow_connections": args.slow,
            "requests": len(latencies) + len(failures), "ok": len(latencies), "failed": len(failures),
            "first_failures": failures[:3], "seconds": round(seconds, 1),
            "p50_ms": round(percentile(ms, 50), 1), "p99_ms": round(percentile(ms, 99), 1),
            "max_ms": round(max(ms, default=float("nan")), 1), "dropped_by_server": slow.dropped}


if __name__ == "__main__":
    sys.exit(main())
