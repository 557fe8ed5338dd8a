"""The small readings of Whoosh's objects the search side needs beyond its public API: a
document's segment and its stored fields, and what a multi-term query would expand to (its
literal prefix, its pattern, its candidate terms), which ``search.querylimits`` bounds.
"""
from __future__ import annotations

from whoosh.reading import MultiReader


def leaf_of(reader, docnum: int) -> tuple:
    """Return the segment reader holding docnum (of reader, a searcher's) and its number there."""
    if isinstance(reader, MultiReader):
        n, docnum = reader._segment_and_docnum(docnum)
        return reader.readers[n], docnum
    return reader, docnum


def stored_fields(reader, docnum: int) -> dict:
    """Return a document's stored fields from its segment's column. Whoosh's reader copies
    them into a new dict without the fields no longer in the schema (a third of the time
    here); the caller reads only fields of the schema. A reader without W3's per-document
    reader goes through Whoosh."""
    reader, docnum = leaf_of(reader, docnum)
    perdoc = getattr(reader, "_perdoc", None)
    return perdoc.stored_fields(docnum) if perdoc is not None else reader.stored_fields(docnum)


def pattern_prefix(q) -> str:
    """Return the literal text a wildcard or regular expression query starts with."""
    return q._find_prefix(q.text)


def pattern_regex(q) -> str:
    """Return the regular expression a wildcard or regular expression query matches words with."""
    return q._get_pattern()


def expanded_terms(q, reader):
    """Yield the terms (bytes) a multi-term query (a range, …) expands to in reader."""
    return q._btexts(reader)
