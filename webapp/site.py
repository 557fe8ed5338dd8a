"""Crawled local files, served read-only under ``/site/``.

A document crawled from a folder is identified by the folder's name and its path inside it
(``site/case-studies/a.html``; indexes of older versions hold ``file://`` URLs). When a site
folder holds the file, the result links to ``/site/<path>``; http(s) URLs are kept as they are.

The site folders are ``SITE_DIRS`` when configured, else the local sources of the last
crawl (``m4d-meta.json`` next to the index, absolute ``file://`` URLs; a relative path
there, from an older version, is ignored rather than read from the server's working
folder). With one folder its files are at
``/site/<path>``; with several, each folder is mounted under its own name,
``/site/<name>/<path>``. Only regular files inside a folder are served (no ``..``, no
symbolic link leading out or to a hidden file, no hidden files; a loop, an overlong name or
any error reading it is a 404), under a sandboxing Content-Security-Policy
so that nothing in them runs.
"""
from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from flask import Blueprint, abort, current_app, g, send_file, url_for

from indexer.settings import META_FILE

bp = Blueprint("site", __name__)

#: The Content-Security-Policy of a served file: inert (no scripts, no forms, no plugins).
SITE_CSP = ("sandbox; default-src 'none'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; media-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

_lock = threading.Lock()


def _source_path(source: str) -> Path | None:
    parts = urlsplit(source)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if parts.scheme in ("http", "https"):
        return None  # its documents keep their own URLs
    path = Path(source)  # an older crawl's record: only an absolute path is taken
    return path if path.is_absolute() else None


def _configured_dirs(app) -> list[Path]:
    dirs = app.config.get("SITE_DIRS")
    if dirs is not None:
        return [Path(d) for d in dirs]
    meta_path = Path(app.config["INDEX_DIR"]) / META_FILE
    try:
        sources = json.loads(meta_path.read_text("utf-8")).get("sources") or []
    except (OSError, ValueError):
        return []
    paths = [_source_path(s) for s in sources if isinstance(s, str)]
    return [p for p in paths if p is not None]


def mounts() -> dict[str, Path]:
    """Return mount name → resolved folder (or single file), re-read when the meta file changes."""
    app = current_app  # the proxy: each attribute is read from the current app
    meta_path = Path(app.config["INDEX_DIR"]) / META_FILE
    try:
        stamp = meta_path.stat().st_mtime_ns
    except OSError:
        stamp = None
    cached = app.extensions.get("m4d_site")
    if cached is not None and cached[0] == stamp:
        return cached[1]
    roots = []
    for path in _configured_dirs(app):
        path = path.expanduser().resolve()
        if path.exists() and path not in roots:
            roots.append(path)
    found: dict[str, Path] = {}
    if len(roots) == 1:
        found[""] = roots[0]
    else:
        for root in roots:
            name, n = root.name or "site", 1
            while name in found:
                n += 1
                name = f"{root.name}-{n}"
            found[name] = root
    with _lock:
        app.extensions["m4d_site"] = (stamp, found)
    return found


def link(url: str) -> str:
    """Return where a browser should open a document: ``/site/…`` for a file of a site folder.

    The check is on the path's text (the crawler records resolved paths); ``serve`` makes
    the strict one, on the file system, when the link is followed.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("file", "") or parts.netloc or not parts.path or url.startswith("/"):
        return url
    if "m4d_site" not in g:
        g.m4d_site = (mounts(), url_for("site.serve", subpath=""))
    found, base = g.m4d_site
    path = os.path.normpath(unquote(parts.path)) if parts.scheme else unquote(parts.path)
    for name, root in found.items():
        rel = _relative(root, path) if parts.scheme else _relative_id(root, path)
        if rel is not None:
            target = base + quote(f"{name}/{rel}" if name else rel)
            return target + (f"#{quote(parts.fragment)}" if parts.fragment else "")
    return url


def _relative(root: Path, path: str) -> str | None:
    """Return path relative to root ("/"-separated), or None when outside it or hidden."""
    top = str(root)
    if root.is_file():
        rel = root.name if path == top else None
    else:
        rel = path[len(top):].lstrip(os.sep) if path.startswith(top.rstrip(os.sep) + os.sep) else None
    if not rel or any(p.startswith(".") for p in rel.split(os.sep)):
        return None
    return rel.replace(os.sep, "/")


def _relative_id(root: Path, doc_id: str) -> str | None:
    """Return a document id's path inside root (ids are the folder's name, then the path),
    or None when the id is of another folder or names a hidden file."""
    if root.is_file():
        rel = root.name if doc_id == f"{root.parent.name or 'files'}/{root.name}" else None
    else:
        name, _, rel = doc_id.partition("/")
        rel = rel if name == (root.name or "files") else None
    if not rel or any(p.startswith(".") or p in ("", "..") for p in rel.split("/")):
        return None
    return rel


def _servable(root: Path, rel: str) -> Path | None:
    """Return the file for rel under root, or None when it must not be served: a hidden
    name on the way or at the end (after symbolic links too), outside root, not a regular
    file, a loop, a name too long, or any other error reading it."""
    parts = [p for p in rel.split("/") if p]
    if any(p.startswith(".") or "\\" in p or "\0" in p or len(p.encode("utf-8", "surrogateescape")) > 255
           for p in parts):
        return None
    try:
        if root.is_file():
            return root if parts == [root.name] else None
        target = Path(os.path.realpath(root.joinpath(*parts), strict=True)) if parts else root
        if stat.S_ISDIR(os.stat(target).st_mode):
            target = Path(os.path.realpath(target / "index.html", strict=True))
        if not target.is_relative_to(root) or not stat.S_ISREG(os.stat(target).st_mode):
            return None
    except (OSError, RuntimeError, ValueError):  # missing, a loop, a name too long, …
        return None
    if any(p.startswith(".") for p in target.relative_to(root).parts):
        return None  # a link to a hidden file inside the folder
    return target


@bp.get("/site/", defaults={"subpath": ""})
@bp.get("/site/<path:subpath>")
def serve(subpath: str):
    """Serve a file of a site folder, read-only."""
    found = mounts()
    if "" in found:
        root, rel = found[""], subpath
    else:
        name, _, rel = subpath.partition("/")
        root = found.get(name)
        if root is None:
            abort(404)
    target = _servable(root, rel)
    if target is None:
        abort(404)
    try:
        response = send_file(target, conditional=True, max_age=60)
    except OSError:  # gone or changed since it was checked
        abort(404)
    response.headers["Content-Security-Policy"] = SITE_CSP
    return response


def init_app(app) -> None:
    """Register the site blueprint and the ``site_link`` template helper."""
    app.config.setdefault("SITE_DIRS", None)
    app.register_blueprint(bp)
    app.jinja_env.globals["site_link"] = link
