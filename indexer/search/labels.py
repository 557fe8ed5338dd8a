"""The labels a query names: a thematic area or a country, in any of the three languages.

A person who types "social inclusion", "inclusión social" or "Ecuador" names a facet value,
not only words: the documents labelled with it (their "Área temática" / "Thématique" /
"Thematic area" and "País" / "Pays" / "Country" lines, ``enrich.facets``) are the answer,
and come first, in any language (``topk.ScoredMatches.lifted``). Words found elsewhere in a
document that is not labelled so still match as words, below them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.text import taxonomy
from indexer.text.analyzers import fold

#: The longest label looked for, in words ("Partnerships for effective migration management
#: for local development" has eight).
MAX_LABEL_WORDS = 12
#: A country named in a query has at least this many letters (no "de", "es" or "us" codes).
MIN_COUNTRY_CHARS = 4

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Named:
    """A facet value the query names, and where (word positions, end excluded)."""

    facet: str  # the facet's index field: "theme" or "country"
    value: str
    start: int
    end: int


def named_labels(text: str) -> list[Named]:
    """Return the facet values text names, longest names first, without overlaps."""
    words = [fold(w) for w in _WORD.findall(text)]
    themes, countries = taxonomy.theme_names(), taxonomy.ui_country_names()
    found, at = [], 0
    while at < len(words):
        for n in range(min(MAX_LABEL_WORDS, len(words) - at), 0, -1):
            key = " ".join(words[at:at + n])
            if key in themes:
                found.append(Named("theme", themes[key], at, at + n))
                break
            if len(key) >= MIN_COUNTRY_CHARS and key in countries:
                found.append(Named("country", countries[key], at, at + n))
                break
        else:
            at += 1
            continue
        at = found[-1].end
    return found
