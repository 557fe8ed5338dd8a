"""Spelling for the search side: the query as corrected (``replaced``), and the searches
offered when one finds nothing (``nearby``). The corrections themselves come from the
index's words (``lexicon.Lexicon``: one edit away, in the query's own language first)."""
from __future__ import annotations

import re

from indexer.text.analyzers import fold


def replaced(text: str, words: dict[tuple[int, int], str], lexicon) -> str | None:
    """Return text with the folded words at the given (start, end) spans replaced, as the
    documents write them (accents restored, a capital kept); None when there are none."""
    if not words:
        return None
    out, at = [], 0
    for (start, end), folded in sorted(words.items()):
        word = lexicon.display_form(folded)
        if text[start:end][:1].isupper():
            word = word[:1].upper() + word[1:]
        out += [text[at:start], word]
        at = end
    return "".join(out + [text[at:]])


def nearby(q: str, lexicon, stopwords, limit: int = 6) -> list[str]:
    """Return searches near a query of plain words that found nothing: each of its words
    replaced by an indexed word one edit away or one it begins, the most frequent first."""
    found: list[tuple[int, str]] = []
    for m in re.finditer(r"\w+", q):
        folded = fold(m.group())
        if folded in stopwords:
            continue
        for w in set(lexicon.neighbours(folded)) | set(lexicon.completions(folded, limit)):
            found.append((-lexicon.frequency(w), q[:m.start()] + lexicon.display_form(w) + q[m.end():]))
    return list(dict.fromkeys(t for _, t in sorted(found)))[:limit]
