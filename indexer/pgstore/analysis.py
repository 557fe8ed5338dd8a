"""Documents → the store's rows: each text field analyzed exactly as the Whoosh store's
schema analyzes it (the same per-language Snowball chains, accent folding, stopwords and CJK
bigrams: ``indexer.schema``, ``indexer.text``), so that a query's terms are the same in both
stores, and counted per field for BM25."""
from __future__ import annotations

import re

from indexer.schema import TITLE_BOOST, build_schema, document_body
from indexer.text.analyzers import STEMMED, TOKEN_PATTERN
from indexer.text.chains import compile_chain

_WORD = re.compile(TOKEN_PATTERN)
#: PostgreSQL's text-search configuration of each language (migrations/0001_store.sql).
CONFIGS = {"en": "m4d_en", "es": "m4d_es", "fr": "m4d_fr"}
NEUTRAL_CONFIG = "m4d_any"


def config_of(lang: str) -> str:
    """Return the text-search configuration of a document's language."""
    return CONFIGS.get(lang, NEUTRAL_CONFIG)


class Analysis:
    """The schema's analyzers, compiled once, turning a document into posting rows."""

    def __init__(self):
        self.schema = build_schema()
        self._chains = {name: compile_chain(self.schema[name].analyzer)
                        for name in self.schema.names() if name.startswith(("title_", "content_"))}
        self._spelling = {lang: compile_chain(self.schema[f"content_{lang}"].analyzer, no_morph=True)
                          for lang in STEMMED}

    def terms(self, field: str, text: str) -> list[tuple[str, int]]:
        """Return the indexed terms of text in field with their positions, in order (stopped
        tokens left out; positions as Whoosh's writer numbers them: ``codec.postings``)."""
        if not text:
            return []
        chain = self._chains.get(field)
        if chain is None:
            return [(t.text, t.pos) for t in self.schema[field].analyzer(text, positions=True)]
        out, pos, term, renumber = [], -1, chain.term, chain.renumber
        for i, token in enumerate(chain.expression.findall(text)):
            found = term(token)
            if found is None:
                continue
            pos = (i if pos < 0 else pos + 1) if renumber else i
            out.append((found, pos))
        return out

    def spelling(self, lang: str, title: str, body: str) -> set[str]:
        """Return the words of a document as written (lowercase, accents kept): the
        ``spell_content_xx`` words of the Whoosh store, and its title's words."""
        chain = self._spelling[lang]
        words = set()
        if chain is not None:
            words.update(t for t in map(chain.term, chain.expression.findall(body)) if t)
        else:
            words.update(t.text for t in self.schema[f"content_{lang}"].analyzer(body, no_morph=True))
        words.update(_WORD.findall(title.lower()))
        return words

    def postings(self, doc) -> list[tuple[str, str, float, float, list[int]]]:
        """Return a document's rows: (field, term, weight, field length, positions); a title's
        weight counts ``TITLE_BOOST`` times, as the Whoosh schema's field boost makes it."""
        body = document_body(doc.text, doc.keywords)
        fields = [("title_any", doc.title, TITLE_BOOST), ("content_any", body, 1.0)]
        if doc.lang in STEMMED:
            fields += [(f"title_{doc.lang}", doc.title, TITLE_BOOST), (f"content_{doc.lang}", body, 1.0)]
        rows = []
        for field, text, boost in fields:
            terms = self.terms(field, text)
            positions: dict[str, list[int]] = {}
            for term, pos in terms:
                positions.setdefault(term, []).append(pos)
            length = float(len(terms))
            rows += [(field, term, len(p) * boost, length, p) for term, p in positions.items()]
        if doc.lang in STEMMED:
            rows += [(f"spell_{doc.lang}", word, 1.0, 0.0, []) for word in self.spelling(doc.lang, doc.title, body)]
        return rows
