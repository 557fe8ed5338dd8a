"""Weighting: the weights of a plain-words query and the scoring model, chosen by measurement.

Every default below was chosen with ``benchmarks/relevance.py`` (XQuAD en/es, PIAF fr);
the README's Relevance section gives the figures.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import log

from whoosh import scoring

from indexer.text.analyzers import STEMMED


@dataclass(frozen=True)
class Ranking:
    """How a plain-words query is weighted and when a document counts as a match."""

    #: A match of the word's stem in its language's fields.
    stem_weight: float = 1.0
    #: A match of the exact, accent-folded word in the neutral fields: an exact-form bonus on
    #: top of the stem match (1.0 over-rewards it: measured).
    any_weight: float = 0.5
    #: Multiplies a title field's weight (titles already count twice at indexing: with 1.0 a
    #: title word outweighs the paragraph's own words; measured).
    title_weight: float = 0.5
    #: Two adjacent query words found within ``phrase_slop`` words of each other.
    phrase_weight: float = 0.25
    phrase_slop: int = 2
    #: A glossary translation of a query word, relative to the word itself.
    glossary_weight: float = 0.3
    #: A keyword query (no function word, no question mark) of up to this many clauses (query
    #: words) requires every one (AND)...
    short_query: int = 2
    #: ...a longer one, this share of them (rounded up, and at least ``short_query``).
    keyword_min_match: float = 0.5
    #: A question requires this share of its clauses (0: any one), or any one when no document
    #: has that many. Measured: every share above 0 loses answers (Recall@10) and MRR@10.
    question_min_match: float = 0.0
    #: BM25 parameters, and its idf: "rsj" (see ``BM25``) or "whoosh" (Whoosh's own).
    k1: float = 0.9
    b: float = 0.75
    idf: str = "rsj"
    #: Replace a word the index does not have by its one-edit correction, when there is one.
    correct_typos: bool = True
    #: Drop stopwords and interrogatives of any of the three languages from plain-words queries.
    query_stopwords: bool = True

    def weighting(self) -> "BM25":
        return BM25(B=self.b, K1=self.k1, rsj_idf=self.idf == "rsj")


class BM25(scoring.BM25F):
    """Whoosh's per-field BM25 with two changes.

    - The probabilistic idf ``log(1 + (N - n + 0.5) / (n + 0.5))`` (Robertson–Spärck Jones, as
      in Lucene and Tantivy). Whoosh's own ``log(N / (n + 1)) + 1`` keeps a word found in most
      documents at a weight near a rare word's: measured, this one ranks better in all three
      languages.
    - A language's fields (``content_es``…) take their average length over that language's
      documents, not over the whole index: otherwise the fewer documents a language has, the
      longer its documents look, and their own words lose to other languages' matches.
      (The idf stays global: a word is as rare as it is in the whole index.)
    """

    def __init__(self, B=0.75, K1=1.2, rsj_idf: bool = True, **kwargs):
        super().__init__(B=B, K1=K1, **kwargs)
        self.rsj_idf = rsj_idf
        self._avgfl: dict = {}  # field → average length (a weighting serves one searcher)

    def documents(self, searcher, fieldname: str) -> int:
        """Return how many documents can hold the field (a language field: that language's)."""
        parent = searcher.get_parent()
        lang = fieldname.rsplit("_", 1)[-1]
        if "_" in fieldname and lang in STEMMED and "lang" in parent.schema:
            return max(1, parent.doc_frequency("lang", lang))
        return max(1, parent.doc_count_all())

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        return self.idf_of(parent.doc_frequency(fieldname, text), parent.doc_count_all())

    def idf_of(self, n: int, documents: int) -> float:
        """Return the idf of a word in n of the index's documents (deleted ones counted, as
        Whoosh counts them)."""
        if not self.rsj_idf:
            return log(documents / (n + 1)) + 1  # Whoosh's WeightingModel.idf
        return log(1 + max(0.0, documents - n + 0.5) / (n + 0.5))

    def term_constants(self, searcher, fieldname, text, doc_frequency: int | None = None) -> tuple | None:
        """Return ``(idf, avgfl, B, K1)`` as ``scorer`` gives them (None for a field it does
        not score with BM25F), without building a scorer: the field's average length is kept.

        :param doc_frequency: the word's document frequency, when the caller has read it."""
        if not searcher.schema[fieldname].scorable:
            return None
        parent = searcher.get_parent()
        avgfl = self.average_length(searcher, fieldname)
        if doc_frequency is None:
            idf = parent.idf(fieldname, text)
        else:
            idf = self.idf_of(doc_frequency, parent.doc_count_all())
        return idf, avgfl, self._field_B.get(fieldname, self.B), self.K1

    def average_length(self, searcher, fieldname: str) -> float:
        """Return the field's average length over the documents that can hold it (kept: a
        weighting serves one searcher, one index version)."""
        avgfl = self._avgfl.get(fieldname)
        if avgfl is None:
            length = searcher.get_parent().field_length(fieldname)
            avgfl = self._avgfl[fieldname] = (length / self.documents(searcher, fieldname)) or 1
        return avgfl

    def scorer(self, searcher, fieldname, text, qf=1):
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(scorer, scoring.BM25FScorer):
            scorer.avgfl = self.average_length(searcher, fieldname)
        return scorer
