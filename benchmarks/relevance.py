"""Relevance benchmark: m4d-search against plain Whoosh, SQLite FTS5 and Tantivy on real
multilingual question answering data (XQuAD en/es, PIAF fr), run by hand.

    python -m benchmarks.relevance --data ../shared/data/retrieval [--json FILE] [--limit N]

Every system indexes the same paragraphs and answers the same questions; MRR@10, Recall@1
and Recall@10 come from ir-measures (trec_eval's implementation through pytrec_eval).
Variants: ``plain`` questions, ``no-accents`` (diacritics stripped), ``typo`` (one seeded
random edit in the longest word of 5+ letters), ``cross`` (Spanish questions against English
paragraphs and the reverse; the row's ``lang`` is the questions' language).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import ir_measures
from ir_measures import RR, R

from benchmarks.retrieval_data import COLLECTIONS, CROSS, load, variant_queries
from benchmarks.systems import SYSTEMS

MEASURES = {"mrr@10": RR @ 10, "recall@1": R @ 1, "recall@10": R @ 10}
VARIANTS = ("plain", "no-accents", "typo", "cross")
K = 10


def evaluate(qrels: dict[str, str], ranked: dict[str, list[str]]) -> dict[str, float]:
    """Return the mean of each measure over every question (a question with no result scores 0)."""
    qrel_rows = [ir_measures.Qrel(q, d, 1) for q, d in qrels.items()]
    run_rows = [ir_measures.ScoredDoc(q, d, float(K - i)) for q, ids in ranked.items() for i, d in enumerate(ids)]
    per_query = {name: dict.fromkeys(qrels, 0.0) for name in MEASURES}
    names = {str(m): name for name, m in MEASURES.items()}
    for metric in ir_measures.iter_calc(list(MEASURES.values()), qrel_rows, run_rows):
        per_query[names[str(metric.measure)]][metric.query_id] = metric.value
    return {name: round(statistics.fmean(values.values()), 4) for name, values in per_query.items()}


def run_queries(system, handle, queries: dict[str, str], label: str) -> tuple[dict[str, list[str]], float]:
    """Run every question; show progress on stderr; return the rankings and ms per query."""
    ranked, started = {}, time.perf_counter()
    for n, (qid, text) in enumerate(queries.items(), 1):
        ranked[qid] = system.search(handle, text, K)
        if n % 200 == 0 and sys.stderr.isatty():
            print(f"\r  {label}: {n}/{len(queries)}", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr, flush=True)
    return ranked, (time.perf_counter() - started) * 1000 / max(1, len(queries))


ROW = "{:<11} {:<4} {:<11} {:>7} {:>9} {:>10} {:>8} {:>9}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="the retrieval data folder (holding xquad/ and piaf/)")
    ap.add_argument("--json", metavar="FILE", help="write every figure to FILE as JSON")
    ap.add_argument("--limit", type=int, help="only the first N questions of each collection")
    ap.add_argument("--systems", default=",".join(s for s in SYSTEMS if s != "m4d-postgres"),
                    help="comma-separated systems (m4d-postgres, the PostgreSQL store, starts a local server)")
    ap.add_argument("--langs", default=",".join(COLLECTIONS), help="comma-separated query languages")
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated variants")
    ap.add_argument("--seed", type=int, default=42, help="seed of the typo variant")
    ap.add_argument("--ranking", metavar="NAME=VALUE", action="append", default=[],
                    help="override a field of m4d-search's indexer.search.weighting.Ranking (repeatable), "
                    "to measure it")
    args = ap.parse_args(argv)
    systems = [SYSTEMS[s]() for s in args.systems.split(",")]
    if args.ranking:
        for system in systems:
            if system.name == "m4d-search":
                system.ranking = ranking_with(args.ranking)
    langs = args.langs.split(",")
    variants = args.variants.split(",")
    needed = set(langs) | {CROSS[lang] for lang in langs if "cross" in variants and lang in CROSS}
    started = time.perf_counter()
    collections = {name: load(args.data, name, args.limit) for name in COLLECTIONS if name in needed}
    print("data: " + ", ".join(f"{n} {len(c.docs)} paragraphs / {len(c.queries)} questions"
                                for n, c in collections.items()), flush=True)
    runs = []
    with tempfile.TemporaryDirectory(prefix="m4d-relevance-") as tmp:
        handles = {}
        for system in systems:
            t0 = time.perf_counter()
            for name, coll in collections.items():
                handles[system.name, name] = system.build(coll.docs, coll.lang, Path(tmp) / system.name / name)
            print(f"indexed for {system.name} in {time.perf_counter() - t0:.1f} s", flush=True)
        print(ROW.format("system", "lang", "variant", "MRR@10", "Recall@1", "Recall@10", "queries", "ms/query"))
        for lang in langs:
            for variant in variants:
                if variant == "cross" and lang not in CROSS:
                    continue
                coll = collections[lang]
                target = CROSS[lang] if variant == "cross" else lang
                # XQuAD en/es are parallel: a question's paragraph has the same id in both.
                qrels = coll.qrels
                queries = variant_queries(coll.queries, variant, args.seed)
                for system in systems:
                    ranked, ms = run_queries(system, handles[system.name, target], queries,
                                             f"{system.name} {lang} {variant}")
                    scores = evaluate(qrels, ranked)
                    runs.append({"system": system.name, "lang": lang, "variant": variant, **scores})
                    print(ROW.format(system.name, lang, variant, f"{scores['mrr@10']:.3f}",
                                     f"{scores['recall@1']:.3f}", f"{scores['recall@10']:.3f}",
                                     len(queries), f"{ms:.1f}"), flush=True)
        for system in systems:
            for name in collections:
                system.close(handles[system.name, name])
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs}, indent=1) + "\n", "utf-8")
    print(summary(runs, time.perf_counter() - started))
    return 0


def ranking_with(overrides: list[str]):
    """Return m4d-search's default Ranking with NAME=VALUE overrides."""
    from dataclasses import fields, replace

    from indexer.search.weighting import Ranking

    types = {f.name: type(getattr(Ranking(), f.name)) for f in fields(Ranking)}
    changes = {}
    for item in overrides:
        name, _, value = item.partition("=")
        if name not in types:
            raise SystemExit(f"error: --ranking {name!r}: not a field of Ranking ({', '.join(types)})")
        kind = types[name]
        changes[name] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    return replace(Ranking(), **changes)


def summary(runs: list[dict], seconds: float) -> str:
    """One line: m4d-search's MRR@10 per language and variant against the best peer's."""
    parts = []
    for run in runs:
        if run["system"] != "m4d-search":
            continue
        peers = [r for r in runs if r["system"] != "m4d-search"
                 and (r["lang"], r["variant"]) == (run["lang"], run["variant"])]
        best = max(peers, key=lambda r: r["mrr@10"], default=None)
        text = f"{run['lang']}/{run['variant']} {run['mrr@10']:.3f}"
        if best:
            text += f" (best peer {best['system']} {best['mrr@10']:.3f})"
        parts.append(text)
    return "relevance: m4d-search MRR@10 " + "; ".join(parts) + f"; {len(runs)} runs in {seconds:.0f} s"


if __name__ == "__main__":
    sys.exit(main())
