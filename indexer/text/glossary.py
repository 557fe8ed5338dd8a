"""The trilingual glossary (``data/glossary.json``): the field's key terms in en, es and fr.

A query word or phrase that is a term of a concept also searches the concept's terms in the
other languages (see ``query.py``). Terms are matched on their stems in their own language,
so "refugiados" matches the concept of "refugiado", and "human mobility" matches as a phrase.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from indexer.text.analyzers import STEMMED, TOKEN_PATTERN, fold

_WORD = re.compile(TOKEN_PATTERN)


@dataclass(frozen=True)
class Term:
    """One term of a concept: its language and its words (lower case, as written)."""

    lang: str
    words: tuple[str, ...]


@lru_cache(maxsize=1)
def concepts() -> tuple[tuple[Term, ...], ...]:
    """Return every concept as the tuple of its terms, from the package's data file."""
    data = json.loads(resources.files("indexer").joinpath("data/glossary.json").read_text("utf-8"))
    out = []
    for concept in data["concepts"]:
        terms = tuple(Term(lang, tuple(w.lower() for w in _WORD.findall(text)))
                      for lang in STEMMED for text in concept.get(lang, ()))
        out.append(terms)
    return tuple(out)


class Glossary:
    """Find glossary terms in a query, given the query side's ``key(lang, word)`` function
    (the word's stem in lang, None for a stopword)."""

    def __init__(self, key):
        self._key = key
        self._index: dict[str, dict[tuple, set[int]]] = {lang: {} for lang in STEMMED}
        self.longest = 1
        #: Every word of every term, accent-folded.
        self.words = frozenset(fold(w) for terms in concepts() for t in terms for w in t.words)
        for number, terms in enumerate(concepts()):
            for term in terms:
                k = self.term_key(term)
                if k:
                    self._index[term.lang].setdefault(k, set()).add(number)
                    self.longest = max(self.longest, len(k))

    def term_key(self, term: Term) -> tuple:
        return tuple(s for s in (self._key(term.lang, w) for w in term.words) if s)

    def find(self, words: list[str]) -> list[tuple[int, int, list[Term]]]:
        """Return ``(start, stop, terms)`` for the longest glossary terms found in words (the
        query's content words, in order), left to right without overlap; ``terms`` are the
        concepts' other terms, to search as translations."""
        keys = {lang: [self._key(lang, w) for w in words] for lang in STEMMED}
        found, i = [], 0
        while i < len(words):
            for size in range(min(self.longest, len(words) - i), 0, -1):
                hits = set()
                for lang in STEMMED:
                    span = tuple(keys[lang][i:i + size])
                    if None not in span:
                        hits |= {(n, lang, span) for n in self._index[lang].get(span, ())}
                if hits:
                    matched = {(lang, span) for _, lang, span in hits}
                    terms = []
                    for n in sorted({n for n, _, _ in hits}):
                        terms += [t for t in concepts()[n]
                                  if (t.lang, self.term_key(t)) not in matched and t not in terms]
                    found.append((i, i + size, terms))
                    i += size
                    break
            else:
                i += 1
        return found
