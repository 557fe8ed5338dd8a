"""Search: the read side. A query and filters → the ``/api/search`` body.

``engine.SearchIndex`` is the entry point. Query understanding: ``query`` (plain words,
questions, phrases, accents, typos, glossary translations), ``lexicon`` (the index's words per
version), ``querylimits`` (bounded wildcards). Scoring: ``weighting`` (the ranking's measured
weights and BM25), ``scores`` (every match's score as arrays, from ``indexer.codec``'s
postings), ``phrases`` (proximity over positions), ``topk`` (the best matches first),
``matchsets`` (match sets for queries scored by Whoosh). The page: ``results`` (a hit as a
result, facet listings and labels), ``snippets`` and ``fragments`` (where a snippet is cut),
``translations`` (other-language versions, collapse). Per index version: ``versions`` (facet
columns, translation groups, links, lexicon) and ``cache``. Imports no writer module.
"""
