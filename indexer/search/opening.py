"""Opening an index's versions, and a damaged index told apart from a bug: what opening or
reading a truncated, garbage, missing or unreadable file raises becomes ``IndexDamaged`` (one
line: exit 1 in the CLI, a 503 in the web app), never a traceback.

Opening a version (its table of contents, its segment files) may fail in any way Whoosh's
readers do, and every such failure is the index's: ``opening`` turns them all into
``IndexDamaged``. Once a version is open, a search reads posting lists and stored fields:
``reads`` turns only the errors of reading damaged bytes (``READ_ERRORS``) into
``IndexDamaged``, so that a bug still shows as one (a logged 500).

A new version that cannot be read does not stop the answers (``Versions``): a searcher open
on an older version stays on it, and a new searcher (a new thread or worker) opens the newest
version still whole on disk; each failure is logged once.
"""
from __future__ import annotations

import functools
import logging
import pickle
import struct
import zlib

from whoosh.index import IndexError as WhooshIndexError

from indexer.codec.format import check_reader
from indexer.codec.readers import close_files, damaged, generations, open_searcher
from indexer.errors import IndexDamaged, M4DError

log = logging.getLogger(__name__)

#: What reading an open index version's damaged files raises (I/O errors, files cut short,
#: bad compressed or pickled bytes, a bad table of contents).
READ_ERRORS = (OSError, EOFError, struct.error, zlib.error, pickle.UnpicklingError, WhooshIndexError)


def opening(index_dir, open_):
    """Return ``open_()``; any failure but the project's own errors (a missing index, another
    format) raises ``IndexDamaged``."""
    try:
        return open_()
    except M4DError:
        raise
    except Exception as exc:
        close_files(exc)  # what Whoosh opened before it failed
        raise damaged(index_dir, exc) from exc


def reads(method):
    """Decorate a ``SearchIndex`` method (its folder in ``self.path``) so that reading damaged
    files raises ``IndexDamaged``."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except M4DError:
            raise
        except READ_ERRORS as exc:
            raise damaged(self.path, exc) from exc
    return wrapper


class Versions:
    """Searchers on the versions of one open index (ix, in index_dir), each checked for the
    format of the project's additions (``IndexFormatError`` otherwise: no fall-back, the
    message says to rebuild); weighting() gives a searcher's scoring."""

    def __init__(self, ix, index_dir, weighting):
        self._ix, self._path, self._weighting = ix, index_dir, weighting
        self._failed = None  # the last failure logged

    def open(self, generation: int | None = None):
        """Return a searcher on one version (default: the latest)."""
        s = opening(self._path, lambda: open_searcher(self._ix, generation, weighting=self._weighting()))
        try:
            check_reader(s.reader(), self._path)
        except BaseException:
            s.close()
            raise
        return s

    def open_good(self):
        """Return a searcher on the latest version, else on the newest older one whole on
        disk (whose table of contents a writer has not removed); raise the latest's
        ``IndexDamaged`` when none opens."""
        try:
            return self.open()
        except IndexDamaged as exc:
            for generation in opening(self._path, lambda: generations(self._ix))[1:]:
                try:
                    s = self.open(generation)
                except IndexDamaged:
                    continue
                self._warn(exc, f"version {generation}, the newest that opens")
                return s
            raise

    def refresh(self, s):
        """Return a searcher on the latest version if s is not on it and it opens, else s."""
        try:
            if s.up_to_date():
                return s
            fresh = self.open()
        except (IndexDamaged, OSError) as exc:
            self._warn(exc, "the version opened before")
            return s
        s.close()
        return fresh

    def _warn(self, exc: BaseException, what: str) -> None:
        if str(exc) != self._failed:
            self._failed = str(exc)
            log.warning("the latest version of the index failed to open, answering from %s: %s", what, exc)
