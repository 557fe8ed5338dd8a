"""The UI languages: Flask-Babel set-up, the locale choice, and compiling the catalogues.

The ``.po`` catalogues under ``webapp/translations/`` are the source; the ``.mo`` files
Flask-Babel reads are build output (git-ignored). ``init_app`` compiles any catalogue whose
``.mo`` is missing or older than its ``.po``, so a fresh clone, an editable install and
the test suite all work without a separate build step. When the package folder is
read-only, the catalogues are compiled into a cache folder instead.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import request
from flask_babel import Babel, get_locale

from indexer.errors import SearchError
from indexer.settings import UI_LANGS

from .params import ui_lang

#: The interface languages with their own names, in the switcher's order.
UI_NAMES = {"en": "English", "es": "Español", "fr": "Français"}
DOMAIN = "messages"
SOURCE_DIR = Path(__file__).resolve().parent / "translations"

log = logging.getLogger(__name__)


def _locale_selector() -> str:
    try:
        return ui_lang()
    except SearchError:
        # The error page itself still needs a language.
        return request.accept_languages.best_match(UI_LANGS) or "en"


def compile_catalogues(source: Path = SOURCE_DIR, target: Path | None = None) -> Path:
    """Compile each ``<lang>/LC_MESSAGES/messages.po`` under source into a ``.mo`` under
    target (default: next to the ``.po``) when missing or stale; return the folder used."""
    target = target or source
    for po_path in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as f:
            catalog = read_po(f, locale=po_path.parent.parent.name, domain=DOMAIN)
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=mo_path.parent, prefix=".mo-")
        with os.fdopen(fd, "wb") as f:
            write_mo(f, catalog)
        os.replace(tmp, mo_path)  # atomic: a concurrent start never reads half a file
    return target


def _translation_dir() -> Path:
    try:
        return compile_catalogues()
    except OSError as exc:  # a read-only install: compile into a per-user cache folder
        digest = hashlib.sha256(str(SOURCE_DIR).encode()).hexdigest()[:12]
        cache = Path(tempfile.gettempdir()) / f"m4d-search-{os.getuid()}-{digest}"
        log.warning("cannot write catalogues next to %s (%s); using %s", SOURCE_DIR, exc, cache)
        return compile_catalogues(target=cache)


def init_app(app) -> None:
    """Compile the catalogues if needed and set up Flask-Babel."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(_translation_dir()))
    Babel(app, locale_selector=_locale_selector)

    @app.context_processor
    def ui_context():
        return {"ui": str(get_locale() or "en"), "ui_names": UI_NAMES}
