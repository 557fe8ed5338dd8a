"""codec: Whoosh's on-disk structures, and the only folder allowed to touch them.

Whoosh's private attributes and functions (names starting with ``_``) are used here and
nowhere else in the product (ruff's ``SLF001`` holds the rest of ``indexer/`` and ``webapp/``
to it): the fast segment writer and its posting-list bytes (``postings``, ``blocks``,
``positions``), the finishing, merging and committing of segments (``segments``), the
read side's postings as arrays (``postingfile``) and small readers (``readers``), the
format version of the project's own additions to Whoosh's files (``format``) and the
Whoosh versions the code was written for (``compat``), checked on import: importing any
codec module with another Whoosh raises ``WhooshVersionError``. ``FORMAT.md`` describes the
bytes, the fall-backs and how to upgrade Whoosh.
"""
from indexer.codec.compat import check_whoosh

check_whoosh()
