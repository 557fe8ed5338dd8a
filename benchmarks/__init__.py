"""The benchmarks, run by hand from the repository root as modules (the ``bench`` extras
installed; ``--help`` for each one's options)::

    python -m benchmarks.relevance --data ../shared/data/retrieval [--json FILE] [--limit N]
    python -m benchmarks.make_corpus --data ../shared/data/retrieval --docs 10000 --out var/corpus-10k
    python -m benchmarks.index_bench --corpus var/corpus-10k [--runs 3] [--systems …] [--json FILE]
    python -m benchmarks.query_bench --corpus var/corpus-10k [--work var/qb-10k] [--json FILE]
    python -m benchmarks.bench_snippets [--index var/qb-10000/m4d] [--rows var/qb-10000/extracted.pickle]
    python -m benchmarks.bench_web [--requests 200]
    python -m benchmarks.bench_recrawl [RUNS] [DELAY]
    python -m benchmarks.soak --seconds 60 --connections 16

``make bench-relevance`` and ``make bench-speed`` run the first four. The other modules are
their parts: ``retrieval_data`` (the question-answering data), ``systems`` (the relevance
benchmark's systems), ``peers`` (the engines the speed benchmarks compare against),
``queries`` (seeded query sets) and ``naive`` (the indexing benchmark's naive baseline).
This package is not installed with m4d-search (pyproject.toml packages only indexer and webapp).
"""
