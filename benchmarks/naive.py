"""The indexing benchmark's naive baseline (``m4d-search-naive`` in ``benchmarks.index_bench``):
m4d-search's own pipeline, its documents written by Whoosh's own writer with snowballstemmer's
pure-Python stemmers and no stem cache, all in one process::

    run_crawl([folder], index_dir, rebuild=True, procs=1, write=write_documents_naive)

(``procs=1``: pages are extracted in this process; Whoosh's writer is one process anyway.)
"""
from __future__ import annotations

import importlib

from indexer.text.analyzers import STEMMED, SnowballFilter
from indexer.write import write_documents_plain


def write_documents_naive(index_dir, docs, sources, **kwargs) -> dict:
    """``write.write_documents_plain`` with ``naive_stemmers``; the same arguments as
    ``write.write_documents``."""
    return write_documents_plain(index_dir, docs, sources, prepare_schema=naive_stemmers, **kwargs)


def naive_stemmers(schema) -> None:
    """Give the schema's stemming filters snowballstemmer's pure-Python stemmers, uncached."""
    for name in schema.names():
        analyzer = getattr(schema[name], "analyzer", None)
        for part in getattr(analyzer, "items", [analyzer]):
            if isinstance(part, SnowballFilter) and part.lang in STEMMED:
                part._stem = pure_python_stemmer(STEMMED[part.lang]).stemWord


def pure_python_stemmer(algorithm: str):
    """Return snowballstemmer's own (pure-Python) stemmer, bypassing PyStemmer."""
    module = importlib.import_module(f"snowballstemmer.{algorithm}_stemmer")
    return getattr(module, f"{algorithm.capitalize()}Stemmer")()
