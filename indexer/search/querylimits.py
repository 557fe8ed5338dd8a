"""Bound the work of one parsed query before it runs.

Whoosh expands a wildcard, prefix, regular expression, range or fuzzy term into every
matching word of the vocabulary, and a leading ``*`` scans the whole vocabulary of all
eight text fields. Here each such part becomes at most ``MAX_EXPANSIONS`` plain terms per
field (the most frequent of at most ``MAX_SCAN`` candidates), a pattern needs
``MIN_PREFIX`` literal characters before its first wildcard (else it is refused with a
message: a 400), a pattern of nothing but ``*`` means every document, and boosts are kept
within ``[MIN_BOOST, MAX_BOOST]`` (``x^0`` divided by zero; ``x^1e300`` overflowed).
"""
from __future__ import annotations

import heapq
import re
from itertools import islice

from whoosh.query import Every, FuzzyTerm, MultiTerm, NullQuery, Or, PatternQuery, Prefix, Query, Regex, Term, Wildcard

from indexer.codec.readers import expanded_terms, pattern_prefix, pattern_regex
from indexer.errors import QueryTooBroad

#: Literal characters a wildcard, prefix or regular expression needs before its first special one.
MIN_PREFIX = 2
#: Terms one multi-term part may expand to, per field.
MAX_EXPANSIONS = 64
#: Lexicon entries read to find them, per field.
MAX_SCAN = 1000
MIN_BOOST, MAX_BOOST = 0.01, 100.0



def bound_query(query: Query | None, reader) -> Query | None:
    """Return query with every multi-term part expanded, within the bounds above."""
    if query is None:
        return None
    return _bound(query, reader)


def _bound(q: Query, reader) -> Query:
    if isinstance(q, Every):
        return Every()  # Every(field) reads every posting of the field; all documents is the same here
    if isinstance(q, MultiTerm):
        return _expand(q, reader)
    q = q.apply(lambda child: _bound(child, reader))
    boost = getattr(q, "boost", 1.0)
    if not MIN_BOOST <= boost <= MAX_BOOST:
        q = q.copy()
        q.boost = min(max(boost, MIN_BOOST), MAX_BOOST)
    return q


def _expand(q: MultiTerm, reader) -> Query:
    field = q.field()
    schema = reader.schema
    if field not in schema or not schema[field].indexed:
        return NullQuery
    if isinstance(q, PatternQuery):
        if isinstance(q, Wildcard) and q.text and not q.text.strip("*"):
            return Every()
        prefix = q.text if type(q) is Prefix else pattern_prefix(q)
        if len(prefix) < MIN_PREFIX:
            raise QueryTooBroad(f"{_shown(q)}: a wildcard needs at least {MIN_PREFIX} letters before it")
        candidates = islice(reader.expand_prefix(field, prefix), MAX_SCAN)
        if type(q) is not Prefix:
            try:
                pattern = re.compile(pattern_regex(q))
            except re.error as exc:
                raise QueryTooBroad(f"{_shown(q)}: {exc}") from None
            from_bytes = schema[field].from_bytes
            candidates = (b for b in candidates if pattern.match(from_bytes(b)))
    elif isinstance(q, FuzzyTerm):
        candidates = islice(reader.terms_within(field, q.text, q.maxdist, prefix=max(q.prefixlength, MIN_PREFIX)),
                            MAX_SCAN)
    else:  # ranges and other expanding terms: every candidate read is a match
        candidates = islice(expanded_terms(q, reader), MAX_SCAN)
    texts = list(candidates)
    if len(texts) > MAX_EXPANSIONS:
        texts = heapq.nlargest(MAX_EXPANSIONS, texts, key=lambda t: reader.doc_frequency(field, t))
    if not texts:
        return NullQuery
    boost = min(max(q.boost, MIN_BOOST), MAX_BOOST)
    from_bytes = schema[field].from_bytes
    return Or([Term(field, from_bytes(t) if isinstance(t, bytes) else t) for t in texts], boost=boost)


def _shown(q: MultiTerm) -> str:
    text = q.text if isinstance(q, PatternQuery) else str(q)
    return f"'{text}*'" if type(q) is Prefix else (f"/{text}/" if isinstance(q, Regex) else f"'{text}'")
