"""The Whoosh versions the codec was written for, checked when ``indexer.codec`` is imported.

The codec reads and writes Whoosh's private on-disk structures (``FORMAT.md`` lists the names
it relies on), which another Whoosh release may change without notice: rather than misread
an index, any other version stops the program with one line saying what to install.
"""
from __future__ import annotations

import whoosh

from indexer.errors import WhooshVersionError

#: ``whoosh.versionstring()`` of each release the codec was checked against (FORMAT.md's
#: upgrade checklist says how to add one).
SUPPORTED_WHOOSH = ("2.7.5",)


def check_whoosh(installed: str | None = None) -> None:
    """Raise ``WhooshVersionError`` unless installed (default: the imported Whoosh's version
    string) is one of ``SUPPORTED_WHOOSH``."""
    installed = whoosh.versionstring() if installed is None else installed
    if installed not in SUPPORTED_WHOOSH:
        raise WhooshVersionError(
            f"m4d-search's index codec was written for Whoosh {' or '.join(SUPPORTED_WHOOSH)}; "
            f"whoosh {installed} is installed: install whoosh-reloaded=={SUPPORTED_WHOOSH[-1]}")
