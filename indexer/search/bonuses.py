"""The bonuses of a plain-words query (``query.Plan.proximity``): parts that rank the documents
matched by its words, never match one on their own, and are checked only for the documents
that can reach the page (``topk.ScoredMatches``).

- **Proximity**: two adjacent query words found near each other in a text.
- **Function words** of a keyword query ("about owasp", "control de", "de acceso"): the words
  are not required (a stopword is in every document), but a title or text that says them as
  typed ranks first. The neutral fields keep stopwords.
- **A title typed as the query** ("Note - OWASP Top 10:2021"): its words in a title, in their
  order and near each other.

Weights in ``weighting.Ranking``, measured with ``benchmarks/realsite.py`` (titles and
headings of a real site) and ``benchmarks/relevance.py`` (questions: no function-word or title
bonus applies to a question).
"""
from __future__ import annotations

from whoosh.query import Phrase

from indexer.text.analyzers import fold


def proximity(ranking, words: list[str]) -> list:
    """Return bonuses for adjacent query words (clauses' words) found near each other."""
    if not ranking.phrase_weight:
        return []
    return [Phrase("content_any", [fold(a), fold(b)], slop=ranking.phrase_slop, boost=ranking.phrase_weight)
            for a, b in zip(words, words[1:], strict=False) if " " not in a and " " not in b]


def function_phrases(ranking, words: list[str], stop) -> list:
    """Return bonuses for each pair of adjacent typed words with a stopword in it, found
    together in a title (``function_phrase_weight``) or the text (times ``title_weight``)."""
    weight = ranking.function_phrase_weight
    if not weight:
        return []
    out = []
    for a, b in zip(words, words[1:], strict=False):
        fa, fb = fold(a), fold(b)
        if fa in stop or fb in stop:
            out.append(Phrase("title_any", [fa, fb], slop=1, boost=weight))
            out.append(Phrase("content_any", [fa, fb], slop=1, boost=weight * ranking.title_weight))
    return out


def title_phrase(ranking, words: list[str]) -> list:
    """Return a bonus for a title holding the keywords (clauses' words) in their order."""
    weight = ranking.title_phrase_weight
    folded = [fold(w) for w in words if " " not in w]
    if not weight or len(folded) < 2 or len(folded) != len(words):
        return []
    return [Phrase("title_any", folded, slop=ranking.phrase_slop, boost=weight)]
