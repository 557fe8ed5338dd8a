"""Real-site benchmark: the OWASP Top 10 website (mkdocs-material, 15 languages), crawled over
HTTP the way a user would, against Tantivy and SQLite FTS5 indexing the same pages. Run by hand:

    python -m benchmarks.realsite [--site ../shared/data/sites/owasp-top10] [--json FILE]

- **Pages.** The site is served on 127.0.0.1 and m4d-search crawls it from its two seeds
  (``/Top10/`` and ``/Top10/2021/``). The peers index the very pages the crawl fetched, as a
  user would feed them: the ``<title>``, the ``<body>``'s text (scripts and styles removed) and
  the ``<html lang>``; Tantivy with one Snowball-stemmed field pair per language (en/es/fr, the
  others plain), FTS5 with ``unicode61 remove_diacritics 2``; both OR the query's words.
- **Judgements from the site's own hreflang links.** Each en/es/fr page's ``<title>`` is a
  query; the relevant documents are that page and its en/es/fr translations. MRR@10 and
  Recall@10, by path (a canonical URL on owasp.org and the served URL are the same page).
  The same for each page's ``<h1>`` (the words a reader sees, without " - OWASP Top 10:2025").
- **Peers at their best.** Each peer is measured at every title weight of
  ``PEER_TITLE_WEIGHTS`` (Tantivy also with one plain field pair for every language) and
  reported at the setup with its best title MRR@10.
- **Boilerplate.** Words found in the navigation, header or footer of at least half the pages
  and never in any page's ``<article>``, ``<main>`` or ``<title>``, not even as another form
  of a word there (en/es/fr Snowball stems, accents folded): each is searched alone (quoted,
  so that m4d-search does not correct it into another word); every hit is a page matched
  through its boilerplate (the sum is printed).
- **Language labels** m4d-search changed (declared ≠ detected in the main text), from the
  crawl's summary.
"""
from __future__ import annotations

import argparse
import functools
import json
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html

SITE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sites" / "owasp-top10"
SEEDS = ("/Top10/", "/Top10/2021/")
JUDGED = ("en", "es", "fr")
STEMMERS = {"en": "english", "es": "spanish", "fr": "french"}
K = 10
#: Title weights tried for each peer; each is reported at its best (its own best tuning).
PEER_TITLE_WEIGHTS = (0.5, 1.0, 2.0, 4.0)
_WORD = re.compile(r"\w+")
_BOILERPLATE = "//nav | //header | //footer | //*[@role='navigation']"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def page_key(url: str) -> str:
    """The page a URL names, from its path under ``/Top10/`` (canonical or served)."""
    path = unquote(urlsplit(url).path)
    at = path.find("/Top10/")
    path = path[at:] if at >= 0 else path
    return path[:-len("index.html")] if path.endswith("/index.html") else path


def _lang(tag: str | None) -> str:
    return (tag or "").replace("_", "-").split("-")[0].lower()


def read_page(site: Path, key: str):
    """The parsed HTML file behind a page key, or None (a missing file, a redirect stub)."""
    path = site / key.lstrip("/")
    if path.is_dir() or key.endswith("/"):
        path = path / "index.html"
    if not path.is_file():
        return None
    doc = lxml.html.fromstring(path.read_bytes())
    if doc.xpath("//meta[translate(@http-equiv, 'REFSH', 'refsh')='refresh']"):
        return None
    return doc


def peer_row(key: str, doc) -> dict:
    """A page as a user feeds it to a peer: title, the body's text, the declared language."""
    for el in doc.xpath("//script | //style | //noscript"):
        el.drop_tree()
    body = doc.find("body")
    text = " ".join((body if body is not None else doc).text_content().split())
    return {"key": key, "title": " ".join((doc.findtext(".//title") or "").split()), "body": text,
            "lang": _lang(doc.get("lang"))}


def judgements(site: Path, keys: list[str], base: str, heading: bool = False) -> list[tuple[str, set[str]]]:
    """(query, relevant page keys) for every en/es/fr page with a title (heading: its first
    ``<h1>`` instead, the words a reader sees, without the site's name)."""
    out = []
    for key in keys:
        doc = read_page(site, key)
        if doc is None or _lang(doc.get("lang")) not in JUDGED:
            continue
        if heading:
            h1 = doc.xpath("//h1")
            title = " ".join(h1[0].text_content().split()) if h1 else ""
        else:
            title = " ".join((doc.findtext(".//title") or "").split())
        if not title:
            continue
        relevant = {key}
        for link in doc.xpath("//link[@rel='alternate'][@hreflang]"):
            if _lang(link.get("hreflang")) in JUDGED and link.get("href"):
                relevant.add(page_key(urljoin(base + key, link.get("href"))))
        out.append((title, relevant))
    return out


def boilerplate_words(site: Path, keys: list[str]) -> list[str]:
    """Words of the navigation, header or footer of at least half the pages, and never of an
    ``<article>``, a ``<main>`` or a ``<title>``."""
    seen, content, pages = Counter(), set(), 0
    for key in keys:
        doc = read_page(site, key)
        if doc is None:
            continue
        pages += 1
        words = set()
        for el in doc.xpath(_BOILERPLATE):
            words.update(w.lower() for w in _WORD.findall(el.text_content()))
        seen.update(words)
        for el in doc.xpath("//article | //main | //title"):
            content.update(w.lower() for w in _WORD.findall(el.text_content()))
    forms = {stem(w) for stem in _stemmers() for w in content}  # a stemmer would match these
    return sorted(w for w, n in seen.items() if n * 2 >= pages and w not in content and not w.isdigit()
                  and not any(stem(w) in forms for stem in _stemmers()))


@functools.lru_cache(maxsize=1)
def _stemmers() -> list:
    import unicodedata

    import snowballstemmer

    def folder(algorithm: str):
        stemmer = snowballstemmer.stemmer(algorithm)
        return lambda w: "".join(c for c in unicodedata.normalize("NFKD", stemmer.stemWord(w))
                                 if not unicodedata.combining(c))
    return [folder(a) for a in STEMMERS.values()]


def measure(search, queries) -> dict:
    rr, recall = [], []
    for text, relevant in queries:
        hits = [page_key(u) for u in search(text)]
        first = next((i for i, h in enumerate(hits) if h in relevant), None)
        rr.append(0.0 if first is None else 1 / (first + 1))
        recall.append(len(relevant & set(hits)) / len(relevant))
    return {"mrr@10": round(statistics.fmean(rr), 3), "recall@10": round(statistics.fmean(recall), 3)}


# The peers


def fts5(rows: list[dict], title_weight: float = 2.0):
    """SQLite FTS5 over the rows: title and body, ``unicode61`` without diacritics, BM25."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE d USING fts5(key UNINDEXED, title, body, "
               "tokenize='unicode61 remove_diacritics 2')")
    db.executemany("INSERT INTO d VALUES (?, ?, ?)", [(r["key"], r["title"], r["body"]) for r in rows])

    def search(text: str, k: int = K) -> list[str]:
        words = _WORD.findall(text)
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        return [r[0] for r in db.execute("SELECT key FROM d WHERE d MATCH ? ORDER BY bm25(d, 0.0, ?, 1.0) LIMIT ?",
                                         (match, title_weight, k))]
    return search


def tantivy_peer(rows: list[dict], title_weight: float = 2.0, per_language: bool = True):
    """Tantivy over the rows: a title and body field per stemmed language plus a plain pair
    for the rest; or (``per_language=False``) every page in the plain pair (no stemming, but
    one idf for the whole site: per-field statistics make a small language's words look rare)."""
    import tantivy

    langs = [*STEMMERS, "any"]
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("key", stored=True, tokenizer_name="raw")
    for lang in langs:
        builder.add_text_field(f"title_{lang}", tokenizer_name=f"t_{lang}")
        builder.add_text_field(f"body_{lang}", tokenizer_name=f"t_{lang}")
    ix = tantivy.Index(builder.build())
    for lang in langs:
        chain = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.remove_long(40))
                 .filter(tantivy.Filter.lowercase()))
        if lang in STEMMERS:
            chain = chain.filter(tantivy.Filter.stopword(STEMMERS[lang])).filter(tantivy.Filter.stemmer(STEMMERS[lang]))
        ix.register_tokenizer(f"t_{lang}", chain.filter(tantivy.Filter.ascii_fold()).build())
    writer = ix.writer(heap_size=50_000_000, num_threads=1)
    for r in rows:
        lang = r["lang"] if r["lang"] in STEMMERS and per_language else "any"
        writer.add_document(tantivy.Document(key=r["key"], **{f"title_{lang}": r["title"], f"body_{lang}": r["body"]}))
    writer.commit()
    writer.wait_merging_threads()
    ix.reload()
    searcher = ix.searcher()
    fields = [f"{kind}_{lang}" for lang in langs for kind in ("title", "body")]
    boosts = {f: title_weight for f in fields if f.startswith("title")}

    def search(text: str, k: int = K) -> list[str]:
        words = _WORD.findall(text)
        if not words:
            return []
        query = ix.parse_query(" ".join(w.lower() for w in words), fields, field_boosts=boosts)
        return [searcher.doc(addr)["key"][0] for _, addr in searcher.search(query, k).hits]
    return search


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site", type=Path, default=SITE, help="the OWASP Top 10 site folder (default: %(default)s)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    from indexer.pipeline import run_crawl
    from indexer.search.engine import SearchIndex
    from indexer.settings import CrawlSettings

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(args.site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    figures: dict = {}
    with tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        print("crawling the site over HTTP…", file=sys.stderr)
        summary = run_crawl([base + s for s in SEEDS], Path(work) / "ix",
                            settings=CrawlSettings(delay=0, revalidated_delay=0, concurrency=4))
        server.shutdown()
        print(f"  {summary.line()}", file=sys.stderr)
        fetched = sorted({page_key(u) for u, (outcome, _) in summary.outcomes.items() if outcome in ("new", "changed")})
        rows = [peer_row(k, d) for k in fetched if (d := read_page(args.site, k)) is not None]
        queries = judgements(args.site, [r["key"] for r in rows], base)
        noise = boilerplate_words(args.site, [r["key"] for r in rows])
        ix = SearchIndex(Path(work) / "ix", cache_size=0)

        def m4d(text: str, k: int = K) -> list[str]:
            try:
                return [hit["url"] for hit in ix.search(text, per_page=k)["results"]]
            except Exception:  # a refused query finds nothing
                return []

        def hit_count(text: str) -> int:
            try:  # quoted: the word itself (a word the index lacks is not corrected to another)
                return ix.search(f'"{text}"', per_page=1)["total"]
            except Exception:
                return 0

        sets = {"title": queries, "heading": judgements(args.site, [r["key"] for r in rows], base, heading=True)}
        print(f"\nOWASP Top 10: {len(rows)} pages, {len(queries)} title queries (en/es/fr), "
              f"{len(noise)} boilerplate-only words; peers at their best title weight of "
              f"{', '.join(map(str, PEER_TITLE_WEIGHTS))} (and Tantivy's best field layout)", file=sys.stderr)
        print(f"{'system':<12} {'MRR@10':>7} {'R@10':>6} {'h1 MRR':>7} {'h1 R@10':>8} {'boilerplate hits':>17}")
        peers = {"tantivy": [("per-language fields", tantivy_peer),
                             ("one field", functools.partial(tantivy_peer, per_language=False))],
                 "sqlite-fts5": [("one field", fts5)]}
        candidates = {"m4d-search": [(None, m4d, hit_count)]}
        for name, setups in peers.items():
            candidates[name] = []
            for setup, make in setups:
                for weight in PEER_TITLE_WEIGHTS:
                    search = make(rows, weight)
                    candidates[name].append((f"{setup}, title weight {weight}", search,
                                             lambda t, s=search: len(s(t, 1000))))
        for name, tries in candidates.items():
            best = None
            for weight, search, count in tries:
                row = {"setup": weight, **measure(search, queries)}
                row.update({f"heading_{k}": v for k, v in measure(search, sets["heading"]).items()})
                if best is None or row["mrr@10"] > best[0]["mrr@10"]:
                    best = (row, count)
            row, count = best
            row["boilerplate_hits"] = sum(count(w) for w in noise)
            figures[name] = row
            print(f"{name:<12} {row['mrr@10']:>7.3f} {row['recall@10']:>6.3f} {row['heading_mrr@10']:>7.3f} "
                  f"{row['heading_recall@10']:>8.3f} {row['boilerplate_hits']:>17}"
                  + (f"   ({row['setup']})" if row["setup"] else ""))
        ix.close()
        relabelled = getattr(summary, "relabelled", {})
        figures["crawl"] = {"pages": len(rows), "queries": len(queries), "heading_queries": len(sets["heading"]),
                            "boilerplate_words": noise,
                            "documents": summary.documents, "by_lang": dict(summary.by_lang),
                            "relabelled": relabelled, "seconds": round(time.perf_counter() - started, 1)}
        changed = sum(relabelled.values()) if isinstance(relabelled, dict) else relabelled
        print(f"language labels changed by content: {changed}; documents by language: "
              + ", ".join(f"{k} {v}" for k, v in sorted(summary.by_lang.items())))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"done: {len(rows)} pages, {len(queries)} queries, {figures['crawl']['seconds']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
