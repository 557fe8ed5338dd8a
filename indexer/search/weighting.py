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
    #: A query of up to this many words stays a keyword query even with a function word in
    #: it ("About OWASP", "control de acceso"); a longer one reads as natural language.
    keyword_max_words: int = 3
    #: ...and so does a longer one whose function words are at most this share of its words.
    question_stopword_share: float = 0.25
    #: A keyword query's adjacent words with a function word among them ("about owasp"),
    #: found together in a title (this weight) or the text (times ``title_weight``).
    function_phrase_weight: float = 0.5
    #: A keyword query's words found in a title in their order, near each other.
    title_phrase_weight: float = 0.5
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

    #: A language's idf counts this many documents more than the language has (at most the
    #: whole index): a language of a few documents cannot tell a rare word from a common one.
    idf_prior_docs: int = 2

    def weighting(self) -> "BM25":
        return BM25(B=self.b, K1=self.k1, rsj_idf=self.idf == "rsj", prior_docs=self.idf_prior_docs)


class BM25(scoring.BM25F):
    """Whoosh's per-field BM25 with two changes.

    - The probabilistic idf ``log(1 + (N - n + 0.5) / (n + 0.5))`` (Robertson–Spärck Jones, as
      in Lucene and Tantivy). Whoosh's own ``log(N / (n + 1)) + 1`` keeps a word found in most
      documents at a weight near a rare word's: measured, this one ranks better in all three
      languages.
    - A language's fields (``content_es``…) take their average length over that language's
      documents, not over the whole index: otherwise the fewer documents a language has, the
      longer its documents look, and their own words lose to other languages' matches.
    - The idf of a language's field is the share of that language's documents holding the
      word, as if it were that share of the whole index: against the whole index, a word of a
      small language looked rare for being in few documents (a site's name in all its 17
      French pages outweighed the same name in its 34 English ones); against the language's
      count alone, a small language's idf would saturate low on a small index, so the count
      takes ``prior_docs`` more documents (at most the whole index's: an index of one
      language, or a tiny one, keeps the global idf). Measured on the OWASP site
      (``benchmarks/realsite.py``) against the global idf and the language's count alone.
    """

    def __init__(self, B=0.75, K1=1.2, rsj_idf: bool = True, prior_docs: int = 2, **kwargs):
        super().__init__(B=B, K1=K1, **kwargs)
        self.rsj_idf = rsj_idf
        self.prior_docs = prior_docs
        self._avgfl: dict = {}  # field → average length (a weighting serves one searcher)
        self._documents: dict = {}  # field → documents that can hold it

    def documents(self, searcher, fieldname: str) -> int:
        """Return how many documents can hold the field (a language field: that language's)."""
        known = self._documents.get(fieldname)
        if known is None:
            known = self._documents[fieldname] = self._count_documents(searcher, fieldname)
        return known

    @staticmethod
    def _count_documents(searcher, fieldname: str) -> int:
        parent = searcher.get_parent()
        lang = fieldname.rsplit("_", 1)[-1]
        if "_" in fieldname and lang in STEMMED and "lang" in parent.schema:
            return max(1, parent.doc_frequency("lang", lang))
        return max(1, parent.doc_count_all())

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        return self.field_idf(searcher, fieldname, parent.doc_frequency(fieldname, text))

    def field_idf(self, searcher, fieldname: str, n: int) -> float:
        """Return the idf of a word in n of the documents that can hold the field, scaled to
        the whole index (see the class)."""
        everyone = max(1, searcher.get_parent().doc_count_all())
        return self.idf_of(n * everyone / min(everyone, self.documents(searcher, fieldname) + self.prior_docs),
                           everyone)

    def idf_of(self, n: float, documents: int) -> float:
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
            idf = self.field_idf(searcher, fieldname, doc_frequency)
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
