"""Indexing benchmark: m4d-search against its naive self, plain Whoosh, SQLite FTS5 and Tantivy.

    python -m benchmarks.index_bench --corpus var/corpus-10k [--runs 3] [--json FILE]

``m4d-search`` crawls and indexes the corpus folder end to end (read, extract, segment,
enrich, analyze, write), as ``m4d-search crawl DIR --rebuild`` does; ``m4d-search-naive`` is
the same pipeline written naively (``benchmarks.naive``: Whoosh's plain writer,
snowballstemmer's pure-Python stemmers, no stem cache, one process). The peers index the texts m4d-search extracted, so
their time is indexing only; ``m4d-search (index only)`` writes the same extracted
documents, for the like-for-like ratio. Each system runs in its own process, one at a time,
so its peak RSS is its own. Medians over the runs; ratios are each system's documents/s
over m4d-search's.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import peers

ROOT = Path(__file__).resolve().parent.parent

SYSTEMS = ["m4d-search", "m4d-search-index-only", "m4d-search-naive", "whoosh-plain", "sqlite-fts5", "tantivy"]
#: The slow baselines, and the writing-only part of m4d-search's crawl (a figure of its own,
#: not a target), run --slow-runs times (default once), so that the benchmark stays within
#: 10 minutes on 2 cores.
SLOW = {"m4d-search-naive", "whoosh-plain", "m4d-search-index-only"}


def peak_rss_mb() -> float:
    """Peak resident memory of this process plus its largest finished child (KiB on Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round((own + children) / 1024, 1)


def worker(system: str, corpus: Path, docs_file: Path, out: Path, procs: int | None) -> dict:
    """Index once in this process and return seconds, peak RSS and index size."""
    if system in ("m4d-search", "m4d-search-naive"):
        from benchmarks.naive import write_documents_naive
        from indexer.pipeline import run_crawl
        from indexer.write import write_documents

        # naive: Whoosh's writer and pure-Python stemmers, pages extracted in this process
        how = {"procs": 1, "write": write_documents_naive} if system == "m4d-search-naive" else \
            {"procs": procs, "write": write_documents}
        started = time.perf_counter()
        summary = run_crawl([str(corpus)], out, rebuild=True, **how)
        seconds = time.perf_counter() - started
        documents = summary.documents
    elif system == "m4d-search-index-only":
        from indexer.write import write_documents

        with docs_file.with_suffix(".documents").open("rb") as f:
            docs = pickle.load(f)
        started = time.perf_counter()
        documents = write_documents(out, docs, [], rebuild=True, procs=procs)["added"]
        seconds = time.perf_counter() - started
    else:
        with docs_file.open("rb") as f:
            rows = pickle.load(f)
        build = {"whoosh-plain": peers.whoosh_plain_index, "sqlite-fts5": peers.sqlite_index,
                 "tantivy": peers.tantivy_index}[system]
        target = out / "fts.db" if system == "sqlite-fts5" else out
        out.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        build(rows, target)
        seconds = time.perf_counter() - started
        documents = len(rows)
    return {"seconds": seconds, "documents": documents, "peak_rss_mb": peak_rss_mb(),
            "index_bytes": peers.folder_bytes(out)}


def prepare(corpus: Path, work: Path) -> tuple[Path, list[dict]]:
    """Extract the corpus once: rows for the peers, Documents for the index-only run."""
    from indexer.pipeline import read_documents

    docs = read_documents(str(corpus))
    docs = list({d.id: d for d in docs}.values())
    rows = [{"id": d.id, "url": d.url, "title": d.title, "body": "\n".join([d.text, ", ".join(d.keywords)]).strip(),
             "lang": d.lang, "type": d.type, "themes": list(d.themes), "country": list(d.country)} for d in docs]
    docs_file = work / "extracted.pickle"
    with docs_file.open("wb") as f:
        pickle.dump(rows, f)
    with docs_file.with_suffix(".documents").open("wb") as f:
        pickle.dump(docs, f)
    return docs_file, rows


def run_system(system: str, args, docs_file: Path, work: Path) -> dict:
    out = work / f"ix-{system}"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "benchmarks.index_bench", "--worker", system, "--corpus", str(args.corpus.resolve()),
           "--docs-file", str(docs_file.resolve()), "--out", str(out.resolve())]
    if args.procs:
        cmd += ["--procs", str(args.procs)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{system} failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    shutil.rmtree(out, ignore_errors=True)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a folder written by benchmarks.make_corpus")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--runs", type=int, default=3, help="runs of each fast system (median reported)")
    parser.add_argument("--slow-runs", type=int, default=1, help="runs of m4d-search-naive, whoosh-plain and "
                        "m4d-search-index-only (default 1: on 10k documents 4-5 minutes, 1 and 0.5 a run)")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset of "
                        + ", ".join(SYSTEMS))
    parser.add_argument("--procs", type=int, help="m4d-search writer processes (default: its own choice)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--docs-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.corpus, args.docs_file, args.out, args.procs)))
        return 0

    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    slow_runs = min(args.slow_runs, args.runs)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="m4d-index-bench-") as tmp:
        work = Path(tmp)
        print(f"extracting {args.corpus} …", file=sys.stderr, flush=True)
        docs_file, rows = prepare(args.corpus, work)
        n_docs, tokens, tbytes = len(rows), peers.count_tokens(rows), peers.text_bytes(rows)
        print(f"{n_docs} documents, {tokens:,} tokens, {tbytes / 1e6:.1f} MB of text; "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}", file=sys.stderr, flush=True)
        results: dict[str, list[dict]] = {s: [] for s in systems}
        loads = []
        for run in range(max(args.runs, slow_runs)):
            for system in systems:
                if run >= (slow_runs if system in SLOW else args.runs):
                    continue
                loads.append(os.getloadavg()[0])
                r = run_system(system, args, docs_file, work)
                results[system].append(r)
                print(f"run {run + 1}: {system:22} {r['seconds']:7.2f} s  {r['documents'] / r['seconds']:8.0f} docs/s"
                      f"  {r['peak_rss_mb']:7.0f} MB  {r['index_bytes'] / 1e6:7.1f} MB index",
                      file=sys.stderr, flush=True)

    table, records = summarize(results, n_docs, tokens, tbytes)
    print(table)
    medians = table_rows(results, n_docs, tokens, tbytes)
    base = medians.get("m4d-search")
    elapsed = time.monotonic() - started
    line = f"index_bench: {n_docs} docs, {len(systems)} systems, runs {args.runs}/{slow_runs}, " \
           f"{elapsed:.0f} s, load avg {statistics.mean(loads):.2f} over {os.cpu_count()} cores"
    if base:
        ratios = {s: r["docs_per_s"] / base["docs_per_s"] for s, r in medians.items()}
        line += "; docs/s vs m4d-search: " + ", ".join(f"{s} {v:.2f}x" for s, v in ratios.items() if s != "m4d-search")
    print(line, file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"runs": records, "machine": {"cores": os.cpu_count(),
                                         "load_avg": round(statistics.mean(loads), 2)}}, indent=1), "utf-8")
    return 0


def table_rows(results: dict, n_docs: int, tokens: int, tbytes: int) -> dict[str, dict]:
    rows = {}
    for system, runs in results.items():
        if not runs:
            continue
        seconds = statistics.median(r["seconds"] for r in runs)
        rows[system] = {"seconds": seconds, "docs_per_s": n_docs / seconds, "tokens_per_s": tokens / seconds,
                        "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in runs),
                        "index_bytes": statistics.median(r["index_bytes"] for r in runs), "runs": len(runs)}
        rows[system]["bytes_per_text_byte"] = rows[system]["index_bytes"] / tbytes
    return rows


def summarize(results: dict, n_docs: int, tokens: int, tbytes: int) -> tuple[str, list[dict]]:
    rows = table_rows(results, n_docs, tokens, tbytes)
    base = rows.get("m4d-search")
    lines = ["| system | runs | seconds | docs/s | tokens/s | peak RSS MB | index MB | index B / text B "
             "| time ÷ m4d-search time |",
             "|---|---|---|---|---|---|---|---|---|"]
    records = []
    for system, r in rows.items():
        ratio = f"{r['seconds'] / base['seconds']:.2f}" if base else "–"
        lines.append(f"| {system} | {r['runs']} | {r['seconds']:.2f} | {r['docs_per_s']:.0f} "
                     f"| {r['tokens_per_s']:,.0f} | {r['peak_rss_mb']:.0f} | {r['index_bytes'] / 1e6:.1f} "
                     f"| {r['bytes_per_text_byte']:.2f} "
                     f"| {ratio} |")
        for metric in ("docs_per_s", "tokens_per_s", "peak_rss_mb", "index_bytes", "bytes_per_text_byte", "seconds"):
            records.append({"system": system, "corpus_docs": n_docs, "metric": metric,
                            "value": round(r[metric], 4), "runs": r["runs"]})
    return "\n".join(lines), records


if __name__ == "__main__":
    sys.exit(main())
