"""Throwaway PostgreSQL clusters for the tests: Debian's server binaries, a data folder in a
temporary directory, run as an unprivileged user (the ``postgres`` account when the tests run
as root: the server refuses root), listening on 127.0.0.1 on a free port, trust
authentication. Tests create their own databases in it."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: Set by .ci/run: a missing PostgreSQL fails the tests instead of skipping them.
REQUIRED = os.environ.get("M4D_REQUIRE_POSTGRES") == "1"


def bindir() -> Path | None:
    """Return the folder of the newest installed server's binaries, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing_reason() -> str | None:
    """Return why no cluster can be started here, or None."""
    if bindir() is None:
        return "PostgreSQL's server is not installed (apt-get install postgresql postgresql-contrib)"
    if os.geteuid() == 0 and not _user_exists("postgres"):
        return "running as root and there is no postgres account to run the server as"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'm4d-search[postgresql]')"
    return None


def _user_exists(name: str) -> bool:
    import pwd
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One server: ``start`` initializes it (or copies a primary with ``pg_basebackup -R``
    for a standby), ``stop`` stops it and removes its folder."""

    def __init__(self, root: Path | None = None):
        self.bin = bindir()
        self.root = Path(root or tempfile.mkdtemp(prefix="m4d-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        os.chmod(self.root, 0o777)

    def _run(self, *args, check=True, **kwargs):
        cmd = [str(self.bin / args[0]), *map(str, args[1:])]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, **kwargs)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def init(self) -> Cluster:
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        with open(self.data / "postgresql.conf", "a") as f:
            f.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.root}'\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nwal_level = replica\n"
                    "max_wal_senders = 4\nhot_standby = on\nmax_connections = 200\nshared_buffers = 128MB\n")
        with open(self.data / "pg_hba.conf", "a") as f:
            f.write("host replication all 127.0.0.1/32 trust\n")
        return self

    def standby_of(self, primary: Cluster) -> Cluster:
        """Make this cluster a streaming standby of primary (``pg_basebackup -R``)."""
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", primary.port, "-U", "postgres", "-D", self.data,
                  "-R", "-X", "stream", "-c", "fast")
        with open(self.data / "postgresql.conf", "a") as f:
            f.write(f"\nport = {self.port}\nunix_socket_directories = '{self.root}'\n")
        return self

    def start(self) -> Cluster:
        self._run("pg_ctl", "-D", self.data, "-l", self.root / "server.log", "-w", "-t", "60", "start")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._run("pg_isready", "-h", "127.0.0.1", "-p", self.port, check=False).returncode == 0:
                return self
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not start: {self.log()}")

    def log(self) -> str:
        try:
            return (self.root / "server.log").read_text()[-2000:]
        except OSError:
            return ""

    def create_database(self, name: str) -> str:
        import psycopg
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)
